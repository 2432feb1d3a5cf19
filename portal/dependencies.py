"""Checks of the external services a deployment is configured with (issue 11: misconfiguration is loud).

`motcua serve` and `motcua worker` check every configured service at start and log an error naming the one
that does not answer as it should; in production a broken *required* service (the population registry and
Keycloak: without them no filing is verified and nobody signs in) stops the start with the reason.
`GET /api/v1/health` reports each service's state — ok, down or not_configured — and nothing else: no URL,
host, token or error text, which stay in the log.

Each probe asks the service something harmless and checks the answer's shape, so that a reachable server at
the wrong address is caught, not only a dead one:

- registry: POST an empty body to the lookup path with the token; the lookup API refuses it with 400 (its
  own JSON error). 404/405 mean the URL misses its path (e.g. no `/api/v1`); 401/403 a refused token; any
  other answer (a 200 from some other server) is not the API.
- IOC webhook: a HEAD request answered by an HTTP server at all (the receiver only takes signed POSTs).
- SMTP: the server greets (220) and answers EHLO.
- SMS gateway: an HTTP answer below 500 (the gateway only takes authenticated POSTs).
- Keycloak: the realm's OpenID metadata answers with the realm as issuer.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

import httpx

from integrations.residents.wire import LOOKUP_PATH
from portal.settings import Settings

log = logging.getLogger("motcua.dependencies")

PROBE_TIMEOUT_SECONDS = 3.0


class State(StrEnum):
    OK = "ok"
    DOWN = "down"
    NOT_CONFIGURED = "not_configured"


@dataclass(frozen=True)
class Check:
    """One service's state; `reason` (for the log only) says what was wrong."""

    name: str
    state: State
    required: bool = False
    reason: str = ""


class Broken(Exception):
    """A required service is down in production."""


def _http(timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": "MotCua/0.1"})


def check_registry(settings: Settings, timeout: float = PROBE_TIMEOUT_SECONDS) -> Check:
    """The population registry's lookup API (MOTCUA_RESIDENTS_URL)."""
    residents = settings.residents
    required = settings.env == "production"
    if not residents.url:
        return Check("residents", State.NOT_CONFIGURED, required, "the embedded simulator answers lookups")
    url = residents.url.rstrip("/") + LOOKUP_PATH
    token = residents.token.get_secret_value() if residents.token else None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with _http(timeout) as client:
            response = client.post(
                url, content=b"{}", headers={**headers, "Content-Type": "application/json"}
            )
    except httpx.HTTPError as exc:
        return Check("residents", State.DOWN, required, f"no answer from {url}: {type(exc).__name__}: {exc}")
    problem = _registry_problem(url, response)
    if problem:
        return Check("residents", State.DOWN, required, problem)
    return Check("residents", State.OK, required)


def _registry_problem(url: str, response: httpx.Response) -> str | None:
    status = response.status_code
    if status in (404, 405):
        return (
            f"{url} answered {status}: MOTCUA_RESIDENTS_URL does not lead to the lookup API "
            "(is its path, e.g. /api/v1, missing?)"
        )
    if status in (401, 403):
        return f"{url} refused MOTCUA_RESIDENTS_TOKEN ({status})"
    if status >= 500:
        return f"{url} answered {status}"
    if status not in (400, 422) or "json" not in response.headers.get("content-type", ""):
        return f"{url} answered an empty lookup with {status}, not with the API's refusal: not the lookup API"
    return None


def check_ioc(settings: Settings, timeout: float = PROBE_TIMEOUT_SECONDS) -> Check:
    """The IOC webhook (MOTCUA_IOC_WEBHOOK_URL): an HTTP server answers there."""
    url = settings.ioc.webhook_url
    if not url:
        return Check("ioc", State.NOT_CONFIGURED)
    try:
        with _http(timeout) as client:
            response = client.head(url)
    except httpx.HTTPError as exc:
        return Check("ioc", State.DOWN, reason=f"no answer from {url}: {type(exc).__name__}: {exc}")
    if response.status_code in (502, 503, 504):
        return Check("ioc", State.DOWN, reason=f"{url} answered {response.status_code}")
    return Check("ioc", State.OK)


def check_smtp(settings: Settings, timeout: float = PROBE_TIMEOUT_SECONDS) -> Check:
    """The mail server (MOTCUA_SMTP_HOST): it greets and answers EHLO."""
    smtp = settings.smtp
    if not smtp.host:
        return Check("smtp", State.NOT_CONFIGURED)
    where = f"{smtp.host}:{smtp.port}"
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout) as server:
            code, _ = server.ehlo()
            if code != 250:
                return Check("smtp", State.DOWN, reason=f"{where} answered EHLO with {code}")
            if smtp.starttls and not server.has_extn("starttls"):
                return Check(
                    "smtp", State.DOWN, reason=f"{where} does not offer STARTTLS (MOTCUA_SMTP_STARTTLS)"
                )
    except (OSError, smtplib.SMTPException) as exc:
        return Check("smtp", State.DOWN, reason=f"{where} did not greet: {type(exc).__name__}: {exc}")
    return Check("smtp", State.OK)


def check_sms(settings: Settings, timeout: float = PROBE_TIMEOUT_SECONDS) -> Check:
    """The SMS gateway (MOTCUA_SMS_URL): an HTTP answer below 500."""
    url = settings.sms.url
    if not url:
        return Check("sms", State.NOT_CONFIGURED)
    try:
        with _http(timeout) as client:
            response = client.head(url)
    except httpx.HTTPError as exc:
        return Check("sms", State.DOWN, reason=f"no answer from {url}: {type(exc).__name__}: {exc}")
    if response.status_code >= 500:
        return Check("sms", State.DOWN, reason=f"{url} answered {response.status_code}")
    return Check("sms", State.OK)


def check_keycloak(settings: Settings, timeout: float = PROBE_TIMEOUT_SECONDS) -> Check:
    """Keycloak (MOTCUA_KEYCLOAK_URL): the realm's OpenID metadata names the realm as issuer."""
    base = settings.keycloak_url
    required = settings.env == "production"
    if not base:
        return Check("keycloak", State.NOT_CONFIGURED, required)
    realm_url = f"{base.rstrip('/')}/realms/{settings.keycloak_realm}"
    url = f"{realm_url}/.well-known/openid-configuration"
    try:
        with _http(timeout) as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        return Check("keycloak", State.DOWN, required, f"no answer from {url}: {type(exc).__name__}: {exc}")
    if response.status_code != 200:
        return Check("keycloak", State.DOWN, required, f"{url} answered {response.status_code}")
    try:
        issuer = response.json().get("issuer")
    except (ValueError, AttributeError):
        issuer = None
    if not isinstance(issuer, str) or not issuer.rstrip("/").endswith(f"/realms/{settings.keycloak_realm}"):
        return Check("keycloak", State.DOWN, required, f"{url} is not the realm's OpenID metadata")
    return Check("keycloak", State.OK, required)


PROBES: tuple[Callable[[Settings], Check], ...] = (
    check_registry,
    check_ioc,
    check_smtp,
    check_sms,
    check_keycloak,
)


def check_all(settings: Settings) -> list[Check]:
    """Every probe at once, each bounded by its timeout: the whole takes about the slowest one."""
    with ThreadPoolExecutor(max_workers=len(PROBES), thread_name_prefix="motcua-probe") as pool:
        return list(pool.map(lambda probe: probe(settings), PROBES))


def check_at_start(settings: Settings, role: str) -> list[Check]:
    """Log each configured service's state; in production raise `Broken` when a required one is down."""
    checks = check_all(settings)
    for check in checks:
        if check.state is State.DOWN:
            log.error("%s: dependency %s is DOWN: %s", role, check.name, check.reason)
        elif check.state is State.OK:
            log.info("%s: dependency %s ok", role, check.name)
    broken = [c for c in checks if c.required and c.state is not State.OK]
    if broken and settings.env == "production":
        raise Broken("; ".join(f"{c.name}: {c.reason or c.state.value}" for c in broken))
    return checks


class HealthCache:
    """The states `/api/v1/health` reports, probed at most every `ttl` seconds, one prober at a time."""

    def __init__(
        self, settings: Settings, ttl: float = 30.0, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self.ttl = ttl
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._checks: list[Check] | None = None
        self._at = 0.0

    def checks(self) -> list[Check]:
        """The last probe's results, probing again once they are older than the TTL. While another request
        probes, the previous results are answered at once: a health check never queues behind a slow
        dependency (only the very first one waits for the probes, at most their timeout)."""
        if not self._lock.acquire(blocking=self._checks is None):
            return list(self._checks or [])
        try:
            if self._checks is None or self._monotonic() - self._at >= self.ttl:
                self._checks = check_all(self.settings)
                self._at = self._monotonic()
                for check in self._checks:
                    if check.state is State.DOWN:
                        log.error("dependency %s is DOWN: %s", check.name, check.reason)
            return list(self._checks)
        finally:
            self._lock.release()


def health(checks: list[Check]) -> dict[str, object]:
    """What `/api/v1/health` answers: "degraded" when a configured service is down; states, no details."""
    down = any(c.state is State.DOWN for c in checks)
    return {"status": "degraded" if down else "ok", "dependencies": {c.name: c.state.value for c in checks}}
