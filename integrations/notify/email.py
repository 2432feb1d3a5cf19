"""The e-mail channel: SMTP (with STARTTLS and login when configured), or files on the embedded default."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from typing import Any

from engine.delivery import DeliveryFailed
from integrations.notify.messages import email_message
from integrations.notify.settings import SmtpSettings


class SmtpSink:
    """Sends each message over one SMTP session per round of the worker (reconnects when dropped)."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings, public_url: str) -> None:
        if not settings.host:
            raise ValueError("MOTCUA_SMTP_HOST is not set")
        self.settings = settings
        self.public_url = public_url
        self._smtp: smtplib.SMTP | None = None

    def send(self, event: Mapping[str, Any]) -> None:
        """Hand one message to the mail server; any refusal or network error is a failed attempt."""
        message = email_message(event, sender=self.settings.sender, public_url=self.public_url)
        try:
            self._connection().send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryFailed(f"SMTP: {type(exc).__name__}: {exc}") from exc

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None:
            try:
                self._smtp.noop()
                return self._smtp
            except (smtplib.SMTPException, OSError):
                self.close()
        s = self.settings
        assert s.host is not None
        smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
        try:
            smtp.ehlo()
            if s.starttls and smtp.has_extn("starttls"):
                smtp.starttls()
                smtp.ehlo()
            if s.username:
                smtp.login(s.username, s.password.get_secret_value() if s.password else "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        """Say goodbye to the server (quietly if it is already gone)."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            self._smtp.close()
        self._smtp = None
