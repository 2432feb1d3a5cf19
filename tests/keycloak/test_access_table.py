"""docs/access.md is the truth: every route is listed, and every /api/v1 row holds for every role.

Each role calls each endpoint with a real Keycloak token of its demo user, on objects that role would
normally work on (its own dossier, its agency's task for its lane). ✓ means the call got past authorization
(any answer but 401/403/404), ∅ an empty list, — a refusal (401 anonymous, else 403 or 404).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import col, select
from starlette.routing import Mount, Route

from engine.clock import FixedClock
from engine.document.kinds import DocumentKind
from engine.store.models import DocumentRow, DossierRow
from integrations.pdf.signing import KeyDirSigner, write_key
from portal.settings import ROOT
from portal.wiring import Container
from tests.builders import (
    AN,
    BA_DINH,
    LEADER,
    OFFICER,
    PROPOSE_APPROVE,
    SPECIALIST,
    SUPERVISOR,
    Api,
    birth_filing,
    ok,
    outbox,
    residence_filing,
)
from tests.kc import RunningKeycloak

TABLE = ROOT / "docs" / "access.md"
ROLES = ("anonymous", "citizen", "officer", "specialist", "leader", "supervisor", "admin", "ioc")
USERS = {
    "citizen": AN,
    "officer": OFFICER,
    "specialist": SPECIALIST,
    "leader": LEADER,
    "supervisor": SUPERVISOR,
    "admin": "quantri",
    "ioc": "ioc.hanoi",
}
REFUSED = {401, 403, 404}
COMPLETE = {
    "officer": {"decision": "accept"},
    "specialist": PROPOSE_APPROVE,
    "leader": {"decision": "approve"},
}
MINIMAL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# What an anonymous caller gets from a page (200 unless listed); pages behind sign-in send it to /dang-nhap.
PAGES = {
    ("GET", "/dang-nhap"): 303,
    ("POST", "/dang-nhap"): 403,
    ("GET", "/dang-nhap/keycloak"): 303,
    ("GET", "/ngon-ngu"): 303,
    ("GET", "/auth/callback"): 401,
    ("POST", "/dang-xuat"): 303,
}


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    method: str
    path: str
    cells: dict[str, str]


def table() -> list[Row]:
    """The rows of docs/access.md."""
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == len(ROLES) + 3 and cells[0] in ("GET", "POST"):
            rows.append(Row(cells[0], cells[1], dict(zip(ROLES, cells[2:-1], strict=True))))
    return rows


def routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, through included routers."""
    found: set[tuple[str, str]] = set()
    for route in app.routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            prefix = route.include_context.prefix  # type: ignore[attr-defined]
            for inner in included.routes:
                found |= {(m, prefix + inner.path) for m in inner.methods - {"HEAD"}}
        elif isinstance(route, Mount):
            found.add(("GET", f"{route.path}/{{path}}"))
        elif isinstance(route, APIRoute | Route) and route.methods:
            found |= {(m, route.path) for m in route.methods - {"HEAD"}}
    return found


def test_every_route_is_in_the_table_and_every_row_is_a_route(kc_app: FastAPI) -> None:
    listed = {(r.method, r.path) for r in table()}

    assert routes(kc_app) - listed == set(), "routes missing from docs/access.md"
    assert listed - routes(kc_app) == set(), "rows of docs/access.md the app does not serve"


class TokenCache:
    """Access tokens of the demo users, fetched again after two minutes (password hashing is slow)."""

    def __init__(self, keycloak: RunningKeycloak) -> None:
        self.keycloak = keycloak
        self.cache: dict[str, tuple[float, str]] = {}

    def __getitem__(self, username: str) -> str:
        at, token = self.cache.get(username, (0.0, ""))
        if time.monotonic() - at > 120:
            token = self.keycloak.token(username)
            self.cache[username] = (time.monotonic(), token)
        return token


@pytest.fixture(scope="module")
def tokens(keycloak: RunningKeycloak) -> TokenCache:
    """The module's token cache."""
    return TokenCache(keycloak)


@dataclass
class World:
    """A dossier per stage at Ba Đình (filed, received, appraised) and the tasks and event they carry."""

    filed: str
    received: str
    appraised: str
    tasks: dict[str, str]
    event_id: str
    document_id: int  # the receipt of `received`
    content_hash: str
    upload_id: str  # referenced by `filed`


def build_world(api: Api, container: Container) -> World:
    """Nguyễn Văn An's dossiers at three stages; the first references a file he uploaded."""
    uploaded = api.client.post(
        "/api/v1/uploads",
        headers=api.auth(AN),
        files={"file": ("giay-to.pdf", MINIMAL_PDF, "application/pdf")},
    )
    upload_id = ok(uploaded)["id"]
    proof = {"key": "residence_proof", "count": 1, "uploads": [upload_id]}
    filed = api.filed(AN, residence_filing(papers=[{"key": "ct01", "count": 1}, proof]))
    received = api.filed(AN)
    ok(api.receive(received))
    appraised = api.filed(AN)
    ok(api.receive(appraised))
    api.complete_step(appraised, "appraisal", SPECIALIST, PROPOSE_APPROVE)
    tasks = {
        "officer": api.task_id(filed, "reception"),
        "specialist": api.task_id(received, "appraisal"),
        "leader": api.task_id(appraised, "approval"),
    }
    event_id = next(e.id for e in outbox(container) if e.subject == received)
    with container.transaction() as uow:
        receipt = uow.session.exec(
            select(DocumentRow)
            .join(DossierRow, col(DossierRow.id) == DocumentRow.dossier_id)
            .where(DossierRow.code == received, DocumentRow.kind == DocumentKind.RECEIPT.value)
        ).one()
    assert receipt.id is not None
    # The agency publishes a signing key, so the public key route has something to serve.
    keys = container.settings.data_dir / "signing-keys"
    write_key(keys, BA_DINH)
    container.signer = KeyDirSigner(keys)
    return World(filed, received, appraised, tasks, event_id, receipt.id, receipt.content_hash, upload_id)


def request_for(row: Row, role: str, world: World) -> tuple[str, dict[str, Any] | None]:
    """The concrete path and a valid body of a row, for a role."""
    path = row.path.replace("/api/v1", "", 1)
    code = world.received if "extension" in path else world.filed
    values = {
        "{code}": "1.004222" if "procedures" in path else code,
        "{task_id}": world.tasks.get(role, world.tasks["officer"]),
        "{event_id}": world.event_id,
        "{document_id}": str(world.document_id),
        "{upload_id}": world.upload_id,
        "{agency}": BA_DINH,
        "{year}": "2026",
    }
    for name, value in values.items():
        path = path.replace(name, value)
    bodies: dict[str, dict[str, Any]] = {
        "/dossiers": birth_filing() if role == "officer" else residence_filing(),
        "/receive": {"decision": "accept", "note": "Đủ giấy tờ"},
        "/supplement": {"note": "Bổ sung"},
        "/extension": {"reason": "Cần xác minh thêm", "new_due_at": "2026-03-20T16:00"},
        "/withdraw": {"reason": "Không còn nhu cầu"},
        "/claim": {},
        "/complete": {"data": COMPLETE.get(role, {})},
        "/ack": {"note": "Đã xem"},
        "/prefill": {"procedure": "1.004222"},
        f"/dossiers/{code}/verify": {"method": "in_person", "note": "Đã đối chiếu thẻ căn cước bản gốc"},
        "/control-sheet": {},
        "/document": {},
        "/rating": {"overall": "satisfied"},
    }
    body = next((b for suffix, b in bodies.items() if path.endswith(suffix)), None)
    if path == "/calendar/due":
        path += "?start=2026-03-02T09:00&unit=working_days&amount=7"
    if path == "/verify":
        path += f"?ma={world.received}&h={world.content_hash}"
    return path, body if row.method == "POST" else None


API_ROWS = [r for r in table() if r.path.startswith("/api/v1") and r.path != "/api/v1/openapi.json"]


@pytest.mark.parametrize("row", API_ROWS, ids=lambda r: f"{r.method} {r.path}")
def test_the_row_holds_for_every_role(
    row: Row, kc_client: TestClient, kapi_world: tuple[Api, World], tokens: TokenCache, container: Container
) -> None:
    _, world = kapi_world
    # Refusals first: they change nothing, so the allowed calls that follow find the world intact.
    for role in sorted(ROLES, key=lambda r: row.cells[r] == "✓"):
        path, body = request_for(row, role, world)
        if path.startswith("/track/"):  # the public status needs the access key printed on the receipt
            with container.transaction() as uow:
                dossier = uow.session.exec(select(DossierRow).where(DossierRow.code == world.filed)).one()
            path += f"?k={dossier.access_key}"
        headers = {} if role == "anonymous" else {"Authorization": f"Bearer {tokens[USERS[role]]}"}
        response = kc_client.request(row.method, f"/api/v1{path}", headers=headers, json=body)
        cell, status = row.cells[role], response.status_code
        where = f"{role} {row.method} {path}: {status} {response.text[:200]}"
        if cell == "✓":
            assert status not in REFUSED, where
        elif cell == "∅":
            assert status == 200, where
            assert response.json() == [], where
        else:
            assert status == (401 if role == "anonymous" else status), where
            assert status in REFUSED, where


@pytest.fixture
def kapi_world(
    kc_client: TestClient, container: Container, tokens: TokenCache, clock: FixedClock
) -> tuple[Api, World]:
    """The world, built with the same Keycloak tokens."""
    api = Api(kc_client, lambda user: {"Authorization": f"Bearer {tokens[user]}"}, clock)
    return api, build_world(api, container)


@pytest.mark.parametrize(
    "row", [r for r in table() if r not in API_ROWS], ids=lambda r: f"{r.method} {r.path}"
)
def test_the_pages_answer_anonymous_callers_as_listed(row: Row, kc_client: TestClient) -> None:
    path = row.path.replace("{code}", "1.004222").replace("{path}", "dist/motcua.css")
    path = path.replace("{document_id}", "1").replace("{slug}", "thu-tuc").replace("{fmt}", "csv")

    response = kc_client.request(row.method, path, follow_redirects=False)

    # A page behind sign-in ("—" for anonymous callers) sends the browser to the sign-in page and back.
    signed_in = row.cells["anonymous"] == "—"
    expected = 303 if signed_in else PAGES.get((row.method, row.path), 200)
    assert response.status_code == expected, f"{row.path}: {response.text[:200]}"
    if signed_in:
        assert response.headers["location"].startswith("/dang-nhap?next=")
