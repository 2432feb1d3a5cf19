"""A circuit breaker and a short cache for the registry client; both thread-safe (FastAPI runs sync routes
in a thread pool) and both read the time from an injectable monotonic clock."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from enum import StrEnum
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BreakerState(StrEnum):
    """Closed: calls go through. Open: calls fail at once. Half-open: one trial call decides."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `threshold` failures in a row; after `reset_seconds` lets one trial call through."""

    def __init__(
        self, threshold: int = 5, reset_seconds: float = 30.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> BreakerState:
        """Where the breaker stands now."""
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._monotonic() - self._opened_at >= self.reset_seconds:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open state, only the one trial call)."""
        with self._lock:
            state = self._state()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self._trial:
                self._trial = True
                return True
            return False

    def success(self) -> None:
        """The call worked: close."""
        with self._lock:
            self._failures, self._opened_at, self._trial = 0, None, False

    def failure(self) -> None:
        """The call failed: count it; open at the threshold, or again after a failed trial."""
        with self._lock:
            self._failures += 1
            if self._trial or self._failures >= self.threshold:
                self._opened_at = self._monotonic()
            self._trial = False

    def release(self) -> None:
        """A trial call ended without telling anything (e.g. the caller gave up): allow another trial."""
        with self._lock:
            self._trial = False


class TtlCache(Generic[K, V]):
    """At most `size` entries, each kept `seconds` (0 turns the cache off); least recently used go first."""

    def __init__(
        self, seconds: float, size: int = 1024, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.seconds = seconds
        self.size = size
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value if present and fresh."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self._monotonic() >= entry[0]:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: K, value: V) -> None:
        """Keep a value for `seconds`."""
        if self.seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (self._monotonic() + self.seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
