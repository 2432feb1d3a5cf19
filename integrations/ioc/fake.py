"""An in-process sink for tests: records what it was sent, fails when told to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.delivery import DeliveryFailed


class RecordingSink:
    """Keeps every event it takes; `fail_next(n)` makes the next n sends fail."""

    name = "fake"

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._failures = 0

    def fail_next(self, count: int) -> None:
        """Refuse the next `count` events."""
        self._failures = count

    def send(self, event: Mapping[str, Any]) -> None:
        """Record the event, or fail."""
        if self._failures:
            self._failures -= 1
            raise DeliveryFailed("HTTP 500: told to fail")
        self.events.append(dict(event))

    def close(self) -> None:
        """Nothing to release."""
