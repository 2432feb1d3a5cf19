"""Build the sinks of the message channels from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.delivery import DeliveryFailed, EventSink
from integrations.notify.email import MailFolderSink, SmtpSink
from integrations.notify.settings import SmsSettings, SmtpSettings
from integrations.notify.sms import SmsFolderSink, SmsGatewaySink


class Unconfigured:
    """Production without a server for a channel: every attempt fails visibly, and the rows are parked."""

    def __init__(self, name: str, hint: str) -> None:
        self.name = name
        self.hint = hint

    def send(self, event: Mapping[str, Any]) -> None:
        """Refuse: nothing is sent, nothing is lost."""
        raise DeliveryFailed(self.hint)

    def close(self) -> None:
        """Nothing to release."""


def email_sink(settings: SmtpSettings, *, public_url: str, data_dir: Path, production: bool) -> EventSink:
    """SMTP when MOTCUA_SMTP_HOST is set; else files (development) or a visible refusal (production)."""
    if settings.host:
        return SmtpSink(settings, public_url)
    if production:
        return Unconfigured("smtp", "MOTCUA_SMTP_HOST is not set: citizen e-mail cannot be sent")
    return MailFolderSink(data_dir / "mail", settings, public_url)


def sms_sink(settings: SmsSettings, *, public_url: str, data_dir: Path, production: bool) -> EventSink:
    """The gateway when MOTCUA_SMS_URL is set; else files (development) or a visible refusal (production)."""
    if settings.url:
        return SmsGatewaySink(settings, public_url)
    if production:
        return Unconfigured("sms-gateway", "MOTCUA_SMS_URL is not set: citizen SMS cannot be sent")
    return SmsFolderSink(data_dir / "sms", settings, public_url)
