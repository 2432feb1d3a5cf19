"""Time is a port: every use case asks a Clock, tests move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    """Source of the current time (aware, UTC)."""

    def now(self) -> datetime:
        """Return the current moment as an aware UTC datetime."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Return the current moment as an aware UTC datetime."""
        return datetime.now(UTC)


class FixedClock:
    """A clock the caller sets and moves (tests, scenarios, simulations)."""

    def __init__(self, at: datetime) -> None:
        self._at = to_utc(at)

    def now(self) -> datetime:
        """Return the moment the clock was set to."""
        return self._at

    def set(self, at: datetime) -> None:
        """Jump to an absolute moment."""
        self._at = to_utc(at)

    def advance(self, delta: timedelta) -> None:
        """Move forward by a duration."""
        self._at += delta


def to_utc(moment: datetime) -> datetime:
    """Aware UTC datetime; a naive one is read as local time (Asia/Ho_Chi_Minh)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    """Aware local datetime (Asia/Ho_Chi_Minh); a naive one is read as UTC (how the database stores it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ)
