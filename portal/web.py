"""The page toolkit: one Jinja2 environment, `render()`, who is signed in, CSRF on forms, filters.

Every page handler is as thin as an API route: parse the form, call the same use case, `render()`. See
docs/portal.md for the rules pages follow.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine import limits
from engine.actor import Actor, Role, actor_from_claims
from engine.errors import DomainError, FieldError, Forbidden, InvalidInput
from engine.usecases.progress import ROLE_LABELS
from portal.guard import BodyRefused, clean_text
from portal.i18n import COOKIE as LANG_COOKIE
from portal.i18n import N_, current_locale, gettext, ngettext
from portal.sessions import container_of, live_session, same

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
TEMPLATE_DIR = Path(__file__).parent / "templates"
ANON_CSRF_COOKIE = "motcua_csrf"
CSRF_FIELD = "csrf"
MAX_FORM_FIELDS = 2000
# The workshop's textareas hold a whole file (portal/pages/admin_procedures.py, capped there by the use case):
# these fields may be longer than any other text of a page.
SOURCE_FIELDS = frozenset({"bpmn_xml", "form_schema", "scenario_json"})
MAX_FORM_FILES = 20
# One multipart text part: a workshop file typed in a textarea may reach limits.SOURCE characters of UTF-8
# (Starlette's default, 1 MB, would refuse it as a malformed form before the page could name the field);
# the body guard still bounds the whole request, clean_text each field.
MAX_FORM_PART = 4 * limits.SOURCE

# Autoescape everything: data shown on pages comes from citizens and uploaded procedures.
environment = Environment(
    loader=FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
TEMPLATES = Jinja2Templates(env=environment)


# --- filters ------------------------------------------------------------------------------------------


def _local(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(LOCAL)


def vn_datetime(value: datetime | str | None) -> str:
    """'HH:MM dd/mm/yyyy' in Asia/Ho_Chi_Minh, as Vietnamese documents write a moment."""
    moment = _local(value)
    return f"{moment:%H:%M %d/%m/%Y}" if moment else "—"


def vn_date(value: date | datetime | str | None) -> str:
    """'dd/mm/yyyy' (a date-time is first moved to Asia/Ho_Chi_Minh)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else _local(value)
    if isinstance(value, datetime):
        value = _local(value) or value
    assert isinstance(value, date)
    return f"{value:%d/%m/%Y}"


def vn_time(value: datetime | str | None) -> str:
    """'HH:MM', 24 h, Asia/Ho_Chi_Minh."""
    moment = _local(value)
    return f"{moment:%H:%M}" if moment else "—"


def money(amount: int | None) -> str:
    """Integer đồng as Vietnamese write it: '20.000 đồng' (a space that does not break, so «đồng» never
    starts a line alone); zero or none is 'Miễn phí'."""
    if not amount:
        return gettext("Miễn phí")
    return f"{amount:,}".replace(",", ".") + "\u00a0đồng"


environment.filters.update(vn_datetime=vn_datetime, vn_date=vn_date, vn_time=vn_time, money=money)


# --- who is signed in ---------------------------------------------------------------------------------


def page_actor(request: Request) -> Actor | None:
    """The signed-in person of this browser (their session), or None. CSRF is checked on forms, not here."""
    if hasattr(request.state, "page_actor"):
        cached: Actor | None = request.state.page_actor
        return cached
    row = live_session(request)
    actor = None
    if row is not None and row.claims is not None:
        request.state.web_session = row
        actor = actor_from_claims(row.claims)
    request.state.page_actor = actor
    return actor


async def _page_actor(request: Request) -> Actor | None:
    return await run_in_threadpool(page_actor, request)


PageActor = Annotated[Actor | None, Depends(_page_actor)]


class LoginRequired(Exception):
    """The page needs a signed-in person: the handler map sends the browser to /dang-nhap?next=…"""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def require(*roles: Role) -> Callable[[Request], Awaitable[Actor]]:
    """Dependency: a signed-in actor holding one of `roles` (any role when none is named).

    Anonymous → redirect to the sign-in page and back; signed in without the role → the 403 page. On a
    POST it also checks the form's CSRF token, so no signed-in form can be forged from another site.
    """

    async def dependency(request: Request) -> Actor:
        actor = await run_in_threadpool(page_actor, request)
        if actor is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target if request.method == "GET" else request.url.path)
        if roles and not any(actor.has(r) for r in roles):
            raise Forbidden(
                "Tài khoản của bạn không có quyền mở trang này.",
                "Your account may not open this page.",
                code="RoleRequired",
            )
        if request.method not in ("GET", "HEAD"):
            await check_csrf(request)
        return actor

    return dependency


# --- CSRF ---------------------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token forms of this browser carry: the session's, or (signed out) a random cookie's."""
    row = getattr(request.state, "web_session", None)
    if row is None:
        page_actor(request)
        row = getattr(request.state, "web_session", None)
    if row is not None:
        return str(row.csrf)
    token = request.cookies.get(ANON_CSRF_COOKIE) or getattr(request.state, "new_anon_csrf", None)
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(24)
        request.state.new_anon_csrf = token
    return token


async def read_form(request: Request) -> FormData:
    """The posted form (urlencoded or multipart), parsed once per request, with bounded fields and files.

    Text is normalised to NFC; a field holding NUL or a lone surrogate is refused (422) on that field.
    """
    cached: FormData | None = getattr(request.state, "clean_form", None)
    if cached is not None:
        return cached
    try:
        form: FormData = await request.form(
            max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_PART
        )
    except StarletteHTTPException as exc:  # Starlette's 400: a malformed body, too many fields or files
        raise invalid(
            FormErrors(
                {},
                "Biểu mẫu gửi lên không đúng định dạng hoặc có quá nhiều trường.",
                "The form sent is malformed or has too many fields.",
            )
        ) from exc
    items: list[tuple[str, Any]] = []
    problems: dict[str, FieldError] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            try:
                value = clean_text(value, key, limits.SOURCE if key in SOURCE_FIELDS else limits.TEXT)
            except BodyRefused as refused:
                problems[key] = FieldError(refused.message, refused.message_en)
        items.append((key, value))
    if problems:
        raise invalid(FormErrors(problems, "Dữ liệu chưa hợp lệ.", "The input is not valid."))
    request.state.clean_form = FormData(items)
    return request.state.clean_form


async def check_csrf(request: Request) -> FormData:
    """Refuse (403) a form whose CSRF token is missing or is not this browser's."""
    form = await read_form(request)
    sent = form.get(CSRF_FIELD)
    expected = await run_in_threadpool(csrf_token, request)
    if not isinstance(sent, str) or not sent or not same(sent, expected):
        raise Forbidden(
            "Biểu mẫu đã hết hạn hoặc không hợp lệ (mã chống giả mạo). Vui lòng tải lại trang và gửi lại.",
            "The form expired or is not valid (CSRF token). Reload the page and send it again.",
            code="CsrfRefused",
        )
    return form


async def csrf_form(request: Request) -> FormData:
    """Dependency for the form of a page: the parsed form after its CSRF check."""
    return await check_csrf(request)


CsrfForm = Annotated[FormData, Depends(csrf_form)]


# --- errors on forms ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormErrors:
    """Field-level errors of a form: `field id → (Vietnamese, English)`, in the order of the page."""

    fields: Mapping[str, FieldError]
    message: str = ""
    message_en: str = ""

    def __bool__(self) -> bool:
        return bool(self.fields) or bool(self.message)

    def get(self, key: str) -> FieldError | None:
        """The error of one field, or None."""
        return self.fields.get(key)

    @classmethod
    def of(cls, exc: DomainError, prefix: str = "") -> FormErrors:
        """From an engine error (field keys prefixed to match the page's field names)."""
        fields = {f"{prefix}{k}" if prefix else k: v for k, v in exc.fields.items()}
        return cls(fields, exc.message, exc.message_en)

    @classmethod
    def one(cls, key: str, message: str, message_en: str) -> FormErrors:
        """A single field error raised by the page itself (e.g. a date it could not read)."""
        return cls({key: FieldError(message, message_en)}, message, message_en)


NO_ERRORS = FormErrors({})


def field_id(key: str) -> str:
    """The HTML id of a field from its dotted key: `applicant.full_name` → `f-applicant-full_name`."""
    cleaned = "".join(ch if ch.isalnum() or ch in "_-" else "-" for ch in key)
    return "f-" + cleaned.strip("-")


def localized(vietnamese: str | None, english: str | None) -> str:
    """Pick the English twin of data the engine gives in both languages (labels, names)."""
    if current_locale() == "en" and english:
        return english
    return vietnamese or english or ""


environment.globals.update(field_id=field_id, localized=localized, current_locale=current_locale)


def invalid(errors: FormErrors) -> InvalidInput:
    """An InvalidInput carrying a page's own field errors (for handlers that fail before the engine)."""
    exc = InvalidInput(errors.message or "Dữ liệu chưa hợp lệ.", errors.message_en or "Invalid input.")
    exc.fields = dict(errors.fields)
    return exc


# --- the page frame -----------------------------------------------------------------------------------

NAVIGATION: tuple[tuple[str, str, frozenset[Role] | None], ...] = (
    ("/thu-tuc", N_("Thủ tục hành chính"), None),
    ("/ho-so", N_("Hồ sơ của tôi"), frozenset({Role.CITIZEN})),
    ("/mot-cua", N_("Một cửa"), frozenset({Role.OFFICER})),
    ("/cong-viec", N_("Công việc"), frozenset({Role.SPECIALIST, Role.LEADER})),
    (
        "/ho-so",
        N_("Hồ sơ của cơ quan"),
        frozenset({Role.OFFICER, Role.SPECIALIST, Role.LEADER, Role.SUPERVISOR}),
    ),
    ("/giam-sat", N_("Giám sát"), frozenset({Role.SUPERVISOR, Role.ADMIN})),
    ("/quan-tri", N_("Quản trị"), frozenset({Role.ADMIN})),
    ("/tra-cuu", N_("Tra cứu hồ sơ"), None),
    ("/xac-minh", N_("Xác thực văn bản"), None),
)


def navigation(actor: Actor | None, path: str) -> list[dict[str, Any]]:
    """The service navigation for this person, the current section marked."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for href, label, roles in NAVIGATION:
        if roles is not None and (actor is None or not (actor.roles & roles)):
            continue
        if href in seen:
            continue
        seen.add(href)
        active = path == href or path.startswith(href + "/")
        items.append({"href": href, "label": gettext(label), "active": active})
    return items


# The engine's role names, marked for the catalog (role_label translates them).
ROLE_NAMES = (
    N_("Công dân"),
    N_("Bộ phận Một cửa"),
    N_("Chuyên viên"),
    N_("Lãnh đạo"),
    N_("Lãnh đạo giám sát"),
    N_("Quản trị"),
)


def role_label(actor: Actor) -> str:
    """The person's roles as they read them: «Chuyên viên»."""
    return ", ".join(gettext(ROLE_LABELS.get(r, r.value)) for r in sorted(actor.roles) if r in ROLE_LABELS)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """A page in the layout, with who is signed in, the CSRF token, the language and the navigation."""
    actor = page_actor(request)
    token = csrf_token(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    values: dict[str, Any] = {
        "actor": actor,
        "role_label": role_label(actor) if actor else "",
        "agency_name": agency_name(request, actor.agency) if actor and actor.agency else None,
        "csrf_token": token,
        "csrf_input": lambda: Markup('<input type="hidden" name="csrf" value="{}">').format(token),
        "lang": current_locale(),
        "here": here,
        "here_quoted": quote(here, safe=""),
        "nav": navigation(actor, request.url.path),
        "errors": NO_ERRORS,
        **(context or {}),
    }
    response = TEMPLATES.TemplateResponse(
        request, template, values, status_code=status_code, headers=dict(headers or {})
    )
    new_token = getattr(request.state, "new_anon_csrf", None)
    if new_token:
        settings = container_of(request).settings
        response.set_cookie(
            ANON_CSRF_COOKIE,
            new_token,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            path="/",
        )
    response.headers.setdefault("Cache-Control", "no-store" if actor else "no-cache")
    response.headers["Content-Language"] = current_locale()
    return response


_AGENCY_NAMES: dict[str, str] = {}


def agency_name(request: Request, code: str) -> str:
    """The agency's name for the header (read once per process: names change by administrators rarely)."""
    if code not in _AGENCY_NAMES:
        from engine.store.models import AgencyRow  # noqa: PLC0415 — only pages of staff need it

        with container_of(request).transaction() as uow:
            row = uow.session.get(AgencyRow, code)
        _AGENCY_NAMES[code] = row.name if row else code
    return _AGENCY_NAMES[code]


def language_cookie(response: HTMLResponse | Any, locale: str, secure: bool) -> None:
    """Remember the chosen language for a year."""
    response.set_cookie(LANG_COOKIE, locale, max_age=365 * 86400, samesite="lax", secure=secure, path="/")
