"""`GET /api/v1/metrics`: Prometheus text: latencies by route, backlog and its age, breaker, open dossiers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from engine import backlog
from portal.metrics import Histogram
from portal.wiring import Container
from tests.builders import AN, OFFICER, SUPERVISOR, Api, birth_filing, ok

ADMIN = "quantri"
IOC = "ioc.hanoi"


def sample(text: str, name: str, **labels: str) -> float:
    """The value of the first sample of the exposition with these labels."""
    found = samples(text, name, **labels)
    if not found:
        raise AssertionError(f"no sample {name} {labels} in:\n{text}")
    return found[0]


def samples(text: str, name: str, **labels: str) -> list[float]:
    """The values of every sample of the exposition with these labels."""
    values = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        metric, _, value = line.rpartition(" ")
        base, _, rest = metric.partition("{")
        if base != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest))
        if all(found.get(k) == v for k, v in labels.items()):
            values.append(float(value))
    return values


@pytest.mark.parametrize("user", [ADMIN, IOC])
def test_admin_and_ioc_read_it_in_prometheus_format(api: Api, user: str) -> None:
    response = api.get("/metrics", user)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE motcua_http_request_duration_seconds histogram" in response.text


@pytest.mark.parametrize("user", [AN, OFFICER, SUPERVISOR])
def test_others_are_refused(api: Api, user: str) -> None:
    response = api.get("/metrics", user)
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"


def test_anonymous_is_refused(client: TestClient) -> None:
    response = client.get("/api/v1/metrics")
    assert response.status_code == 401
    assert set(response.json()) >= {"error", "message", "message_en"}


def test_latency_is_by_route_template_never_by_raw_path(api: Api) -> None:
    for code in ("1.001193", "9.999999", "x" * 40):
        api.get(f"/procedures/{code}")
    text = api.get("/metrics", ADMIN).text
    counts = samples(
        text, "motcua_http_request_duration_seconds_count", method="GET", route="/api/v1/procedures/{code}"
    )
    assert sum(counts) == 3  # 200 and 404s alike
    assert "x" * 40 not in text
    assert "9.999999" not in text


def test_backlog_and_age_of_the_oldest_pending(api: Api, container: Container) -> None:
    ok(api.file(OFFICER, birth_filing()))  # a receipt to render and events to deliver
    api.clock.advance(timedelta(minutes=10))
    text = api.get("/metrics", IOC).text
    assert sample(text, "motcua_documents_pending") >= 1
    assert sample(text, "motcua_documents_oldest_pending_age_seconds") == pytest.approx(600, abs=1)
    assert sample(text, "motcua_outbox_pending", channel="ioc") >= 1
    assert sample(text, "motcua_outbox_oldest_pending_age_seconds", channel="ioc") == pytest.approx(
        600, abs=1
    )
    assert sample(text, "motcua_outbox_parked", channel="ioc") == 0
    assert sample(text, "motcua_circuit_breaker_state", service="residents") == 0
    assert sample(text, "motcua_open_dossiers", procedure="1.001193") >= 1
    with container.transaction() as uow:
        assert backlog.documents(uow, api.clock.now()).pending == sample(text, "motcua_documents_pending")


def test_nothing_pending_reads_zero_age(api: Api) -> None:
    text = api.get("/metrics", ADMIN).text
    assert sample(text, "motcua_documents_pending") == 0
    assert sample(text, "motcua_documents_oldest_pending_age_seconds") == 0


def test_histogram_buckets_are_cumulative() -> None:
    histogram = Histogram((0.1, 1.0))
    for value in (0.05, 0.5, 5.0):
        histogram.observe(("GET", "/x", "2xx"), value)
    [(labels, series)] = histogram.snapshot().items()
    assert series[:3] == [1, 2, 3]
    assert series[-1] == pytest.approx(5.55)
