"""The SMS channel: a JSON POST per message to an HTTP gateway, or files on the embedded default.

The request: `POST MOTCUA_SMS_URL` with `Authorization: Bearer MOTCUA_SMS_TOKEN`,
`Idempotency-Key: <outbox id>` and the body `{"id", "to", "brandname", "text", "dossier"}`. Any 2xx is
taken; anything else, a timeout or a network error is a failed attempt, retried with the same id (a gateway
deduplicates on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from engine.delivery import DeliveryFailed
from integrations.notify.messages import sms_text
from integrations.notify.settings import SmsSettings


def sms_request(event: Mapping[str, Any], settings: SmsSettings, public_url: str) -> dict[str, Any]:
    """The gateway request body of one message."""
    return {
        "id": event["id"],
        "to": _international(str(event["to"])),
        "brandname": settings.brandname,
        "text": sms_text(event, public_url=public_url, ascii_only=settings.ascii_only),
        "dossier": event["dossier"],
    }


def _international(phone: str) -> str:
    """0912345678 → +84912345678 (the form gateways expect)."""
    return "+84" + phone[1:] if phone.startswith("0") else phone


class SmsGatewaySink:
    """Posts each message to the gateway."""

    name = "sms-gateway"

    def __init__(
        self, settings: SmsSettings, public_url: str, transport: httpx.BaseTransport | None = None
    ) -> None:
        if not settings.url:
            raise ValueError("MOTCUA_SMS_URL is not set")
        self.settings = settings
        self.url = settings.url
        self.public_url = public_url
        headers = {"User-Agent": "MotCua/0.1"}
        if settings.token:
            headers["Authorization"] = f"Bearer {settings.token.get_secret_value()}"
        self._http = httpx.Client(
            timeout=settings.timeout_seconds, transport=transport, headers=headers, follow_redirects=False
        )

    def send(self, event: Mapping[str, Any]) -> None:
        """Send one message; return once the gateway answered 2xx."""
        body = sms_request(event, self.settings, self.public_url)
        try:
            response = self._http.post(self.url, json=body, headers={"Idempotency-Key": str(event["id"])})
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"SMS gateway: {type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"SMS gateway: HTTP {response.status_code}: {response.text[:200]}")

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()
