"""Build the sinks of the message channels from the settings."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.delivery import DeliveryFailed, EventSink
from integrations.notify.email import SmtpSink
from integrations.notify.messages import email_message
from integrations.notify.settings import SmsSettings, SmtpSettings
from integrations.notify.sms import SmsGatewaySink, sms_request


class FolderSink:
    """The embedded default: each message written as `<folder>/<outbox id><suffix>`, as a server gets it.

    The same id overwrites the same file, as a receiver deduplicates on it.
    """

    def __init__(
        self, name: str, folder: Path, suffix: str, render: Callable[[Mapping[str, Any]], bytes]
    ) -> None:
        self.name = name
        self.folder = folder
        self.suffix = suffix
        self.render = render

    def send(self, event: Mapping[str, Any]) -> None:
        """Write the rendered message."""
        content = self.render(event)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{event['id']}{self.suffix}").write_bytes(content)

    def close(self) -> None:
        """Nothing to release."""


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
    return FolderSink(
        "mail-folder",
        data_dir / "mail",
        ".eml",
        lambda event: email_message(event, sender=settings.sender, public_url=public_url).as_bytes(),
    )


def sms_sink(settings: SmsSettings, *, public_url: str, data_dir: Path, production: bool) -> EventSink:
    """The gateway when MOTCUA_SMS_URL is set; else files (development) or a visible refusal (production)."""
    if settings.url:
        return SmsGatewaySink(settings, public_url)
    if production:
        return Unconfigured("sms-gateway", "MOTCUA_SMS_URL is not set: citizen SMS cannot be sent")
    return FolderSink(
        "sms-folder",
        data_dir / "sms",
        ".json",
        lambda event: json.dumps(
            sms_request(event, settings, public_url), ensure_ascii=False, indent=2
        ).encode(),
    )
