"""Languages of the portal: Vietnamese first (the source text), English from Babel catalogs.

The Vietnamese string is the message id; each area of the portal keeps its English in its own catalog,
`portal/i18n/en/LC_MESSAGES/<area>.po`, so that areas can grow their strings independently. `make assets`
compiles the catalogs (`python -m portal.i18n compile`); a catalog whose `.mo` is missing or older than its
`.po` is read from the `.po` directly, so a fresh checkout still speaks English.

`python -m portal.i18n update` adds the new strings of each area's templates and pages to its catalog (with an
empty translation to fill in); `tests/portal/test_i18n.py` fails while any string has no English.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from functools import lru_cache
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.support import Translations

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
COOKIE = "motcua_lang"
HERE = Path(__file__).resolve().parent
CATALOG_DIR = HERE / "i18n"
KEYWORDS = {"_": None, "gettext": None, "N_": None, "ngettext": (1, 2)}

_locale: ContextVar[str] = ContextVar("motcua_locale", default=DEFAULT_LOCALE)


def current_locale() -> str:
    """The language of the request being served ("vi" or "en")."""
    return _locale.get()


def use_locale(locale: str) -> None:
    """Set the language for the rest of this request (or test)."""
    _locale.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def catalog_files(locale: str = "en") -> list[Path]:
    """The `.po` files of a language, one per area."""
    return sorted((CATALOG_DIR / locale / "LC_MESSAGES").glob("*.po"))


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> Translations:
    """Every area's catalog of a language merged into one (compiled `.mo` when fresh, else the `.po`)."""
    merged = Translations()
    for po in catalog_files(locale):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            with mo.open("rb") as handle:
                merged.merge(Translations(handle))
            continue
        buffer = io.BytesIO()
        with po.open("rb") as handle:
            write_mo(buffer, read_po(handle, locale=locale))
        buffer.seek(0)
        merged.merge(Translations(buffer))
    return merged


def gettext(message: str, **variables: Any) -> str:
    """The message in the request's language; `%(name)s` placeholders filled from `variables`."""
    locale = _locale.get()
    text = message if locale == DEFAULT_LOCALE else translations(locale).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    """Plural form (Vietnamese has one form; English two)."""
    locale = _locale.get()
    if locale == DEFAULT_LOCALE:
        text = singular
    else:
        text = translations(locale).ngettext(singular, plural, n)
    return text % {"num": n, **variables}


_ = gettext


def N_(message: str) -> str:  # noqa: N802 — the conventional name of a "mark for translation" marker
    """Mark a string for the catalog without translating it now (module-level constants)."""
    return message


class LocaleMiddleware:
    """Sets the request's language from `?lang=` or the `motcua_lang` cookie (Vietnamese by default)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Pick the language before the request runs (a pure ASGI middleware: no per-request task)."""
        if scope["type"] == "http":
            use_locale(locale_of(scope))
        await self.app(scope, receive, send)


def locale_of(scope: dict[str, Any]) -> str:
    """The language a request asks for: query `lang`, then the cookie, then Vietnamese."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    asked = (query.get("lang") or [""])[0]
    if asked in LOCALES:
        return asked
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            cookie: SimpleCookie = SimpleCookie()
            try:
                cookie.load(value.decode("latin-1"))
            except Exception:  # noqa: BLE001 — a malformed cookie header means no preference
                continue
            morsel = cookie.get(COOKIE)
            if morsel is not None and morsel.value in LOCALES:
                return morsel.value
    return DEFAULT_LOCALE


# --- catalogs ------------------------------------------------------------------------------------------

AREA_SOURCES = ("templates", "pages")


def area_of(path: Path) -> str:
    """The catalog a source file's strings belong to: its area folder or page module, else `base`."""
    rel = path.relative_to(HERE)
    if rel.parts[0] == "templates" and len(rel.parts) > 2 and rel.parts[1] != "components":
        return rel.parts[1]
    if rel.parts[0] == "pages" and rel.stem != "__init__":
        return rel.stem
    return "base"


def source_files() -> Iterator[tuple[Path, str]]:
    """Every portal file whose strings are translated, with its extraction method."""
    for path in sorted(HERE.rglob("*.html")):
        if "templates" in path.relative_to(HERE).parts:
            yield path, "jinja2"
    for path in sorted(HERE.rglob("*.py")):
        if "cli" not in path.relative_to(HERE).parts:
            yield path, "python"


def extract() -> dict[str, dict[str, list[str]]]:
    """msgid → where it is used, grouped by area."""
    found: dict[str, dict[str, list[str]]] = {}
    for path, method in source_files():
        method_name = "jinja2.ext:babel_extract" if method == "jinja2" else "python"
        options = {"extensions": "jinja2.ext.i18n"} if method == "jinja2" else {}
        with path.open("rb") as handle:
            for lineno, message, _comments, _context in extract_from_file(
                method_name, str(path), keywords=KEYWORDS, options=options
            ):
                msgid = message[0] if isinstance(message, tuple) else message
                if not msgid:
                    continue
                where = f"{path.relative_to(HERE)}:{lineno}"
                found.setdefault(area_of(path), {}).setdefault(msgid, []).append(where)
            del handle
    return found


def missing_translations(locale: str = "en") -> dict[str, list[str]]:
    """msgid → places, for every string of the portal without a translation in `locale`."""
    translated = translations.__wrapped__(locale)._catalog  # noqa: SLF001 — msgid → msgstr of translated ones
    missing: dict[str, list[str]] = {}
    for messages in extract().values():
        for msgid, places in messages.items():
            if not translated.get(msgid):
                missing.setdefault(msgid, []).extend(places)
    return missing


def update(locale: str = "en") -> dict[str, int]:
    """Add each area's new strings to its catalog (empty translation); returns how many were added."""
    folder = CATALOG_DIR / locale / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    known: set[str] = set()
    catalogs: dict[str, Catalog] = {}
    for po in catalog_files(locale):
        with po.open("rb") as handle:
            catalogs[po.stem] = read_po(handle, locale=locale)
        known.update(str(m.id) for m in catalogs[po.stem] if m.id)
    added: dict[str, int] = {}
    for area, messages in extract().items():
        catalog = catalogs.setdefault(area, Catalog(locale=locale, domain=area))
        for msgid, places in messages.items():
            if msgid in known:
                continue
            catalog.add(
                msgid, "", locations=[(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places]
            )
            known.add(msgid)
            added[area] = added.get(area, 0) + 1
    for area, catalog in catalogs.items():
        with (folder / f"{area}.po").open("wb") as handle:
            write_po(handle, catalog, width=110, omit_header=True, sort_output=True, include_lineno=False)
    return added


def compile_all() -> int:
    """Compile every `.po` into its `.mo` (git-ignored); returns the number of catalogs."""
    count = 0
    for locale in LOCALES:
        for po in catalog_files(locale):
            with po.open("rb") as handle:
                catalog = read_po(handle, locale=locale)
            with po.with_suffix(".mo").open("wb") as out:
                write_mo(out, catalog)
            count += 1
    translations.cache_clear()
    return count


def main(argv: list[str]) -> int:
    """`python -m portal.i18n update|compile|check`."""
    command = argv[0] if argv else "check"
    if command == "update":
        for area, n in sorted(update().items()):
            print(f"{area}: {n} new string(s) — write their English in portal/i18n/en/LC_MESSAGES/{area}.po")  # noqa: T201
        return 0
    if command == "compile":
        compile_all()
        return 0
    missing = missing_translations()
    for msgid, places in sorted(missing.items()):
        print(f"untranslated: {msgid!r} at {', '.join(places)}")  # noqa: T201
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
