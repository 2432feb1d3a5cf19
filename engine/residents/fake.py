"""An in-process population database for engine unit tests; the contract test holds it to the HTTP adapter."""

from __future__ import annotations

from collections.abc import Iterable

from engine.residents.matching import answer
from engine.residents.registry import (
    LookupRequest,
    LookupResult,
    RegistryUnavailable,
    Resident,
    UnavailableReason,
)


class FakeRegistry:
    """Residents kept in a dict; `fail_with(reason)` makes every lookup fail until `recover()`."""

    def __init__(self, residents: Iterable[Resident] = ()) -> None:
        self._by_number: dict[str, Resident] = {}
        self.requests: list[LookupRequest] = []
        self._failure: UnavailableReason | None = None
        for resident in residents:
            self.add(resident)

    def add(self, resident: Resident) -> None:
        """Register a person under their number (and their legacy CMND, if any)."""
        self._by_number[resident.identity_number] = resident
        if resident.legacy_id_number:
            self._by_number[resident.legacy_id_number] = resident

    def fail_with(self, reason: UnavailableReason) -> None:
        """Make the registry unavailable."""
        self._failure = reason

    def recover(self) -> None:
        """Answer again."""
        self._failure = None

    def lookup(self, request: LookupRequest) -> LookupResult:
        """Answer from the dict, or raise the failure set by `fail_with`."""
        self.requests.append(request)
        if self._failure is not None:
            raise RegistryUnavailable(self._failure, "fake registry set to fail")
        return answer(self._by_number.get(request.identity_number), request)
