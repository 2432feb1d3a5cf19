"""`GET /api/v1/metrics`: Prometheus text exposition (format 0.0.4), written by hand (no extra dependency).

What it shows: request latencies by route template (a histogram per method, route and status class, of this
process), the backlog of background work (pending documents and outbox rows per channel, the age of the
oldest of each, parked rows), the residents registry's circuit breaker, and the IOC summary's open-dossier
counts (from the tally, as `/api/v1/ioc/summary`). The database figures are read on each scrape through
indexed queries over pending rows and the tally only.

Who may read it: a bearer token (or session) of role `admin` or `ioc`, like the IOC summary (docs/access.md).
Prometheus scrapes it with its `oauth2` client-credentials setting against a Keycloak service account of
role `ioc`. With `motcua serve --workers N`, each scrape reaches one process: the latency histograms are that
process's; the database figures are the same from any.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine import backlog, tally
from engine.actor import Role
from engine.errors import Forbidden
from integrations.residents.breaker import BreakerState
from portal.api.deps import ContainerDep
from portal.api.models import errors
from portal.auth import CurrentActor

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
READERS = frozenset({Role.ADMIN, Role.IOC})


class Histogram:
    """Cumulative-bucket histograms keyed by a label tuple; thread-safe (sync routes run in a pool)."""

    def __init__(self, buckets: tuple[float, ...] = BUCKETS) -> None:
        self.buckets = buckets
        self._lock = threading.Lock()
        self._series: dict[tuple[str, ...], list[float]] = {}  # bucket counts..., +Inf count, sum

    def observe(self, labels: tuple[str, ...], value: float) -> None:
        with self._lock:
            series = self._series.get(labels)
            if series is None:
                series = self._series[labels] = [0.0] * (len(self.buckets) + 2)
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    series[i] += 1
            series[-2] += 1
            series[-1] += value

    def snapshot(self) -> dict[tuple[str, ...], list[float]]:
        with self._lock:
            return {labels: list(series) for labels, series in self._series.items()}


class RequestTimer:
    """ASGI middleware: the duration of every HTTP request, by method, route template and status class."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app = app
        self.histogram = histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self.histogram.observe(
                (scope.get("method", ""), route_template(scope), f"{status[0] // 100}xx"),
                time.perf_counter() - started,
            )


def route_template(scope: Scope) -> str:
    """The matched route's template with its router's prefix ("/api/v1/dossiers/{code}"), never the raw path
    (label values stay bounded); "unmatched" for a 404 of the router.

    FastAPI puts the route as declared in its router (without the include prefix) in the scope; the prefix is
    the leading segments of the request path the template does not cover.
    """
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not isinstance(template, str) or not template:
        return "unmatched"
    if ":path}" in template:
        return template
    path = str(scope.get("path", ""))
    segments = path.rstrip("/").split("/")
    depth = len(template.rstrip("/").split("/")) - 1
    prefix = "/".join(segments[: len(segments) - depth]) if depth else path.rstrip("/")
    return prefix + template if template != "/" else (prefix or "/")


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    if not labels:
        return ""
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class Exposition:
    """Lines of the text format, each metric family with its HELP and TYPE once."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(
        self, name: str, kind: str, help_text: str, samples: Iterable[tuple[dict[str, str], float]]
    ) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            self.lines.append(f"{name}{_labels(**labels)} {_number(value)}")

    def histogram(self, name: str, help_text: str, histogram: Histogram, names: tuple[str, ...]) -> None:
        self.lines.append(f"# HELP {name} {help_text}")
        self.lines.append(f"# TYPE {name} histogram")
        for labels, series in sorted(histogram.snapshot().items()):
            base = dict(zip(names, labels, strict=True))
            for bound, count in zip(histogram.buckets, series, strict=False):
                self.lines.append(f"{name}_bucket{_labels(**base, le=_number(bound))} {_number(count)}")
            self.lines.append(f"{name}_bucket{_labels(**base, le='+Inf')} {_number(series[-2])}")
            self.lines.append(f"{name}_sum{_labels(**base)} {series[-1]!r}")
            self.lines.append(f"{name}_count{_labels(**base)} {_number(series[-2])}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


BREAKER_VALUES = {BreakerState.CLOSED: 0, BreakerState.HALF_OPEN: 1, BreakerState.OPEN: 2}


def render(container: Any, requests: Histogram) -> str:
    """The whole exposition of this process and the database it works on."""
    out = Exposition()
    out.histogram(
        "motcua_http_request_duration_seconds",
        "Time to answer an HTTP request, by method, route template and status class (this process).",
        requests,
        ("method", "route", "status"),
    )
    now = container.services.clock.now()
    with container.transaction() as uow:
        documents = backlog.documents(uow, now)
        messages = backlog.outbox(uow, now)
        parked = backlog.parked(uow)
        cells = tally.cells(uow, None)
    out.family(
        "motcua_documents_pending",
        "gauge",
        "Documents waiting to be rendered to PDF.",
        [({}, documents.pending)],
    )
    out.family(
        "motcua_documents_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest document waiting to be rendered (0 when none).",
        [({}, documents.oldest_age_seconds)],
    )
    out.family(
        "motcua_outbox_pending",
        "gauge",
        "Outbox rows waiting for delivery, by channel (retries included).",
        [({"channel": c.value}, b.pending) for c, b in messages.items()],
    )
    out.family(
        "motcua_outbox_oldest_pending_age_seconds",
        "gauge",
        "Age of the oldest outbox row waiting for delivery, by channel (0 when none).",
        [({"channel": c.value}, b.oldest_age_seconds) for c, b in messages.items()],
    )
    out.family(
        "motcua_outbox_parked",
        "gauge",
        "Outbox rows whose every attempt failed (motcua outbox retry), by channel.",
        [({"channel": c.value}, n) for c, n in parked.items()],
    )
    breaker = getattr(container.services.registry, "breaker", None)
    if breaker is not None:
        state = breaker.state
        out.family(
            "motcua_circuit_breaker_state",
            "gauge",
            "Circuit breaker of an external service: 0 closed, 1 half-open, 2 open.",
            [({"service": "residents"}, BREAKER_VALUES[state])],
        )
    out.family(
        "motcua_open_dossiers",
        "gauge",
        "Open dossiers by agency, procedure and deadline state (the IOC summary's tally).",
        [
            ({"agency": agency, "procedure": procedure, "state": str(state)}, count)
            for (agency, procedure, state), count in sorted(cells.items())
        ],
    )
    return out.text()


router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "content": {CONTENT_TYPE: {"schema": {"type": "string"}}},
            "description": "Prometheus text format 0.0.4",
        },
        **errors(401, 403),
    },
)
def metrics(request: Request, actor: CurrentActor, c: ContainerDep) -> Response:
    """Prometheus metrics: latencies, backlog and its age, breaker states, open dossiers (admin, ioc)."""
    if not any(actor.has(role) for role in READERS):
        raise Forbidden(
            "Chỉ quản trị và IOC được đọc số liệu vận hành.", "Only admin and ioc may read metrics."
        )
    return Response(render(c, request.app.state.request_latency), media_type=CONTENT_TYPE)


def install(app: Any) -> None:
    """Time every request of the app (outermost middleware: the whole answer) and keep the histogram."""
    app.state.request_latency = Histogram()
    app.add_middleware(RequestTimer, histogram=app.state.request_latency)
