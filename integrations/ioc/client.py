"""HTTP client of the IOC webhook: CloudEvents 1.0 in structured mode, signed with HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import httpx

from engine.delivery import DeliveryFailed

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
SIGNATURE_HEADER = "X-MotCua-Signature"


def encode(event: Mapping[str, Any]) -> bytes:
    """The exact body bytes that are sent and signed."""
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of the body>`, the value of X-MotCua-Signature."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute the signature of the raw body and compare in constant time."""
    return header is not None and hmac.compare_digest(signature(secret, body), header)


class IocClient:
    """POSTs one event per request; any answer but 2xx, a timeout or a network error is a DeliveryFailed."""

    def __init__(
        self,
        url: str,
        secret: str | None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url
        self._secret = secret
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False)

    def post_event(self, event: Mapping[str, Any]) -> None:
        """Send the event; return once the receiver answered 2xx."""
        body = encode(event)
        headers = {
            "Content-Type": CONTENT_TYPE,
            "ce-id": str(event.get("id", "")),
            "User-Agent": "MotCua/0.1",
        }
        if self._secret:
            headers[SIGNATURE_HEADER] = signature(self._secret, body)
        try:
            response = self._http.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
        if not response.is_success:
            raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()
