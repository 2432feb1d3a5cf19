"""The engine's EventSink for the IOC channel: the webhook when configured, else the log."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from engine.delivery import EventSink
from integrations.ioc.client import IocClient
from integrations.ioc.settings import IocSettings

log = logging.getLogger("motcua.ioc")


class WebhookSink:
    """Delivers to MOTCUA_IOC_WEBHOOK_URL."""

    name = "webhook"

    def __init__(self, client: IocClient) -> None:
        self.client = client

    def send(self, event: Mapping[str, Any]) -> None:
        """POST the signed event."""
        self.client.post_event(event)

    def close(self) -> None:
        """Release the HTTP connections."""
        self.client.close()


class LogSink:
    """The embedded default: no webhook, so each event is logged and marked delivered to "log".

    The row stays in the outbox and the operations center reads it from the pull feed
    (`GET /api/v1/ioc/events`); acknowledging there is independent of delivery.
    """

    name = "log"

    def send(self, event: Mapping[str, Any]) -> None:
        """Log the event's type and subject."""
        log.info(
            "IOC event %s %s %s (no webhook configured)",
            event.get("id"),
            event.get("type"),
            event.get("subject"),
        )

    def close(self) -> None:
        """Nothing to release."""


def build_sink(settings: IocSettings) -> EventSink:
    """The webhook sink when a URL is configured, else the log sink."""
    if not settings.webhook_url:
        return LogSink()
    secret = settings.secret.get_secret_value() if settings.secret else None
    if not secret:
        log.warning("MOTCUA_IOC_SECRET is not set: IOC events are sent unsigned (refused in production)")
    return WebhookSink(IocClient(settings.webhook_url, secret, settings.timeout_seconds))
