"""HTTP client of the population-database lookup service (httpx); implements engine's ResidentRegistry.

Time: each attempt has a connect and a read timeout, and the whole lookup (retries included) a budget.
Retries only where the request cannot have been served: the connection was never made, or a gateway
answered 502/503/504. Never after a read timeout (the service may still be working on it, and the citizen
would wait twice), a 500, or an unreadable answer. A circuit breaker fails fast after repeated failures, and
a short cache spares the service the same question within a minute.

Nothing is logged but the request id, the HTTP status and the outcome: never a number, a name or a body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

import httpx

from engine.residents.matching import fold_name
from engine.residents.registry import (
    LookupRequest,
    LookupResult,
    RegistryUnavailable,
    UnavailableReason,
)
from integrations.residents.breaker import CircuitBreaker, TtlCache
from integrations.residents.settings import ResidentsSettings
from integrations.residents.wire import LOOKUP_PATH, Malformed, decode_result, encode_request

log = logging.getLogger("motcua.residents.client")

RETRYABLE_STATUS = frozenset({502, 503, 504})
RETRY_PAUSE_SECONDS = 0.1
_CacheKey = tuple[str, str | None, str | None]


class ResidentsClient:
    """Looks people up over HTTP; raises RegistryUnavailable with the reason when there is no answer."""

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        connect_timeout: float = 1.0,
        read_timeout: float = 3.0,
        budget: float = 5.0,
        retries: int = 1,
        breaker: CircuitBreaker | None = None,
        cache: TtlCache[_CacheKey, LookupResult] | None = None,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url.rstrip("/") + LOOKUP_PATH
        self._token = token
        self._connect, self._read, self._budget = connect_timeout, read_timeout, budget
        self._retries = retries
        self.breaker = breaker if breaker is not None else CircuitBreaker()
        self.cache: TtlCache[_CacheKey, LookupResult] = cache if cache is not None else TtlCache(0)
        self._monotonic = monotonic
        self._http = httpx.Client(
            transport=transport, follow_redirects=False, headers={"User-Agent": "MotCua/0.1"}
        )

    @classmethod
    def from_settings(
        cls, settings: ResidentsSettings, url: str | None = None, token: str | None = None
    ) -> ResidentsClient:
        """A client configured by MOTCUA_RESIDENTS_* (url and token given for the embedded simulator)."""
        base = url or settings.url
        if not base:
            raise ValueError("no population-database URL")
        return cls(
            base,
            token or (settings.token.get_secret_value() if settings.token else None),
            connect_timeout=settings.connect_timeout_seconds,
            read_timeout=settings.read_timeout_seconds,
            budget=settings.budget_seconds,
            retries=settings.retries,
            breaker=CircuitBreaker(settings.breaker_failures, settings.breaker_reset_seconds),
            cache=TtlCache(settings.cache_seconds, settings.cache_size),
        )

    def lookup(self, request: LookupRequest) -> LookupResult:
        """Answer from the cache, or ask the service unless the breaker is open."""
        key = _cache_key(request)
        cached = self.cache.get(key)
        if cached is not None:
            return replace(cached, cached=True)
        if not self.breaker.allow():
            raise RegistryUnavailable(UnavailableReason.CIRCUIT_OPEN, "circuit breaker open")
        try:
            result = self._ask(request)
        except RegistryUnavailable as exc:
            self.breaker.failure()
            log.warning("lookup %s failed: %s (%s)", request.request_id, exc.reason.value, exc.detail)
            raise
        except BaseException:
            self.breaker.release()
            raise
        self.breaker.success()
        self.cache.put(key, result)
        log.info("lookup %s answered: %s", request.request_id, result.status.value)
        return result

    def _ask(self, request: LookupRequest) -> LookupResult:
        deadline = self._monotonic() + self._budget
        headers = {"X-Request-ID": request.request_id}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        body = encode_request(request)
        attempt = 0
        while True:
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                raise RegistryUnavailable(UnavailableReason.TIMEOUT, "time budget spent")
            timeout = httpx.Timeout(
                connect=min(self._connect, remaining),
                read=min(self._read, remaining),
                write=min(self._read, remaining),
                pool=min(self._connect, remaining),
            )
            try:
                response = self._http.post(self.url, json=body, headers=headers, timeout=timeout)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                # Never reached the service: safe to try again within the budget.
                failure = RegistryUnavailable(
                    UnavailableReason.TIMEOUT
                    if isinstance(exc, httpx.ConnectTimeout)
                    else UnavailableReason.UNREACHABLE,
                    type(exc).__name__,
                )
            except httpx.TimeoutException as exc:
                raise RegistryUnavailable(UnavailableReason.TIMEOUT, type(exc).__name__) from exc
            except httpx.HTTPError as exc:
                raise RegistryUnavailable(UnavailableReason.UNREACHABLE, type(exc).__name__) from exc
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    return _read(response, request.request_id)
                failure = RegistryUnavailable(UnavailableReason.SERVER_ERROR, f"HTTP {response.status_code}")
            attempt += 1
            if attempt > self._retries or deadline - self._monotonic() <= RETRY_PAUSE_SECONDS:
                raise failure
            time.sleep(RETRY_PAUSE_SECONDS)

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()


def _read(response: httpx.Response, request_id: str) -> LookupResult:
    status = response.status_code
    if status >= 500:
        raise RegistryUnavailable(UnavailableReason.SERVER_ERROR, f"HTTP {status}")
    if status != 200:
        raise RegistryUnavailable(UnavailableReason.REJECTED, f"HTTP {status}")
    try:
        return decode_result(response.json(), request_id)
    except (ValueError, Malformed) as exc:
        # The message names a field, never its value (wire.Malformed) or is the JSON parser's position.
        detail = str(exc) if isinstance(exc, Malformed) else "body is not JSON"
        raise RegistryUnavailable(UnavailableReason.MALFORMED, detail) from exc


def _cache_key(request: LookupRequest) -> _CacheKey:
    name = fold_name(request.full_name) if request.full_name else None
    born = request.date_of_birth.isoformat() if request.date_of_birth else None
    return request.identity_number, name, born
