"""Word a citizen message from its outbox payload (engine/notify.py): Vietnamese first, English line second.

Rendering happens at delivery, from the data recorded at the change, so a corrected template applies to
messages still waiting, and a message sent twice after a crash is worded the same way twice.
"""

from __future__ import annotations

import email.policy
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from engine.clock import to_local

TEMPLATES = Path(__file__).resolve().parent / "templates"
# CPython 3.11's header folding drops the space between two RFC 2047 encoded words, so a folded Vietnamese
# subject reads "trảkết". Headers are not folded below the SMTP line limit instead (one encoded word).
POLICY = email.policy.default.clone(max_line_length=998)


def moment(value: str | None) -> str:
    """An ISO moment as the citizen reads it: `09:00 ngày 11/03/2026` (24 h, Asia/Ho_Chi_Minh)."""
    if not value:
        return "—"
    local = to_local(datetime.fromisoformat(value))
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "html.j2"]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["moment"] = moment
    return env


_ENV = _environment()


@dataclass(frozen=True)
class Worded:
    """An e-mail in words: subject, plain paragraphs, the English line, and the tracking address."""

    subject: str
    paragraphs: list[str]
    english: str
    track: str


def _macro(payload: Mapping[str, Any], part: str, *args: Any) -> str:
    """Render `<part>_<notice>`; an unknown notice is an error (the row is retried, then parked)."""
    notice = str(payload["notice"])
    found = getattr(_ENV.get_template("notices.j2").module, f"{part}_{notice}", None)
    if found is None:
        raise ValueError(f"no {part} template for notice {notice!r}")
    return str(found(_Attrs(payload), *args)).strip()


def word(payload: Mapping[str, Any], public_url: str) -> Worded:
    """The e-mail's words (the SMS is worded by `sms_text` alone)."""
    track = tracking_url(public_url, str(payload["dossier"]), payload.get("access_key"))
    body = _macro(payload, "body", track)
    return Worded(
        subject=_macro(payload, "subject"),
        paragraphs=[p.strip() for p in body.split("\n\n") if p.strip()],
        english=_macro(payload, "en"),
        track=track,
    )


def tracking_url(public_url: str, code: str, access_key: str | None = None) -> str:
    """The public tracking page of a dossier (no personal data there), with its access key when known."""
    key = f"&k={quote(access_key)}" if access_key else ""
    return f"{public_url.rstrip('/')}/tra-cuu?ma={quote(code)}{key}"


def email_message(payload: Mapping[str, Any], *, sender: str, public_url: str) -> EmailMessage:
    """A multipart (text + HTML) e-mail; its Message-ID comes from the outbox id, stable on retry."""
    worded = word(payload, public_url)
    name = str(payload.get("applicant_name") or "")
    text = "\n\n".join([f"Kính gửi Ông/Bà {name},", *worded.paragraphs, "—", f"English: {worded.english}"])
    html = _ENV.get_template("email.html.j2").render(
        subject=worded.subject,
        agency=payload["agency"]["name"],
        name=name,
        paragraphs=worded.paragraphs,
        english=worded.english,
        track=worded.track,
        code=payload["dossier"],
    )
    message = EmailMessage(policy=POLICY)
    message["Subject"] = worded.subject
    message["From"] = sender
    message["To"] = formataddr((name, str(payload["to"])))
    message["Message-ID"] = message_id(payload)
    message["Date"] = format_datetime(to_local(datetime.fromisoformat(str(payload["at"]))))
    message["X-MotCua-Dossier"] = str(payload["dossier"])
    message["X-MotCua-Notice"] = str(payload["notice"])
    message.set_content(text + "\n", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = "vi"  # after the content: set_content replaces the Content-* headers
    return message


def message_id(payload: Mapping[str, Any]) -> str:
    """`<outbox id@motcua>`: the same message has the same id however often it is sent."""
    event_id = str(payload.get("id") or "")
    return f"<{event_id}@motcua>" if event_id else make_msgid(domain="motcua")


def sms_text(payload: Mapping[str, Any], *, public_url: str, ascii_only: bool) -> str:
    """The SMS text, unaccented when the gateway bills diacritics extra."""
    text = _macro(
        payload, "sms", tracking_url(public_url, str(payload["dossier"]), payload.get("access_key"))
    )
    return unaccent(text) if ascii_only else text


def unaccent(text: str) -> str:
    """Vietnamese without diacritics: `Hồ sơ đã được tiếp nhận` → `Ho so da duoc tiep nhan`."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


class _Attrs(dict[str, Any]):
    """A payload whose keys read as attributes in the templates (`m.agency.name`); missing keys are None."""

    def __getattr__(self, name: str) -> Any:
        value = self.get(name)
        return _Attrs(value) if isinstance(value, dict) else value
