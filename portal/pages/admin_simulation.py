"""Administrators' pages for one procedure's versions: due-date simulation and moving running dossiers.

- /quan-tri/thu-tuc/{code}/mo-phong: a receipt moment (dd/mm/yyyy, HH:MM) and a version → the appointment and
  each step's due time on the real calendar, for the happy path and a path with a supplement request
  (engine/usecases/simulation.py; a GET form: pure computation, nothing written). Its scenarios run from the
  page (POST, CSRF).
- /quan-tri/thu-tuc/{code}/chuyen-phien-ban: from-version, to-version and the deadline policy → the dry run
  (open dossiers of the old version, a keyset page at a time, each with its verdict), then applying to one, a
  selection or all, with an audit note (engine/usecases/version_migration.py).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from engine.actor import Actor, Role
from engine.errors import DomainError, InvalidInput
from engine.usecases import simulation as sim_uc
from engine.usecases import version_migration as move_uc
from portal.api.deps import ContainerDep
from portal.i18n import N_
from portal.i18n import gettext as _
from portal.web import CsrfForm, FormErrors, render, require
from portal.wiring import build_services

router = APIRouter(include_in_schema=False)

Admin = Annotated[Actor, Depends(require(Role.ADMIN))]

POLICY_LABELS = {
    move_uc.KEEP: N_("Giữ thời hạn luật định đã áp dụng khi tiếp nhận (mặc định)"),
    move_uc.NEW_TERM: N_("Áp dụng thời hạn của phiên bản mới, tính từ lúc chuyển"),
}
CLOCK_LABELS = {
    "pause": N_("tạm dừng khi chờ bổ sung, tính tiếp phần còn lại"),
    "restart": N_("tính lại từ đầu khi nhận đủ hồ sơ"),
    "none": N_("không tạm dừng"),
}


def _text(source: Any, key: str, limit: int) -> str:
    value = source.get(key)
    return value[: limit + 1] if isinstance(value, str) else ""


def _versions(c: ContainerDep, actor: Actor, code: str) -> list[Any]:
    with c.transaction() as uow:
        return sim_uc.procedure_versions(uow, actor, code)  # 404 for an unknown procedure


# --- simulation -------------------------------------------------------------------------------------------


def _sim_input(request: Request) -> sim_uc.SimulationInput | None:
    query = request.query_params
    if "ngay" not in query:
        return None
    default = sim_uc.SimulationInput()

    def read(key: str, limit: int, fallback: str = "") -> str:
        return _text(query, key, limit) if key in query else fallback

    return sim_uc.SimulationInput(
        day=read("ngay", 20),
        clock_time=read("gio", 10),
        version=read("phien-ban", 10),
        agency=read("co-quan", 40),
        ask_after_hours=read("bo-sung-sau", 10, default.ask_after_hours),
        wait_days=read("so-ngay-bo-sung", 10, default.wait_days),
    )


def _agencies(c: ContainerDep, actor: Actor) -> list[tuple[str, str]]:
    with c.transaction() as uow:
        return sim_uc.agency_options(uow, actor)


def _simulation_page(
    request: Request,
    c: ContainerDep,
    actor: Actor,
    code: str,
    *,
    scenarios: list[Any] | None = None,
) -> HTMLResponse:
    versions = _versions(c, actor, code)
    data = _sim_input(request)
    result: sim_uc.Simulation | None = None
    errors = FormErrors({})
    status = 200
    if data is not None:
        try:
            with c.transaction() as uow:
                result = sim_uc.simulate(c.services, uow, actor, code, data)
        except InvalidInput as exc:
            errors, status = FormErrors.of(exc), 422
        except DomainError as exc:
            if exc.code != "VersionNotFound":
                raise
            errors, status = FormErrors.one("version", exc.message, exc.message_en), 422
    context = {
        "code": code,
        "name": versions[0].name,
        "versions": [(str(v.version), _("Phiên bản %(n)s", n=v.version)) for v in versions],
        "data": data or sim_uc.SimulationInput(version=str(versions[0].version)),
        "agencies": _agencies(c, actor),
        "result": result,
        "errors": errors,
        "scenarios": scenarios,
        "clock_labels": CLOCK_LABELS,
        "query_string": request.url.query if data is not None else "",  # the scenarios keep the simulation
    }
    return render(request, "admin_simulation/simulate.html", context, status_code=status)


@router.get("/quan-tri/thu-tuc/{code}/mo-phong", response_class=HTMLResponse)
def simulate(request: Request, c: ContainerDep, actor: Admin, code: str) -> HTMLResponse:
    """The simulation form; with a receipt moment, the appointment and step due times of both paths."""
    return _simulation_page(request, c, actor, code[:40])


@router.post("/quan-tri/thu-tuc/{code}/mo-phong/kich-ban", response_class=HTMLResponse)
def run_scenarios(
    request: Request, c: ContainerDep, actor: Admin, code: str, posted: CsrfForm
) -> HTMLResponse:
    """Run the procedure's scenario files (each on a fresh in-memory database) and show pass/fail."""
    settings = c.settings
    with c.transaction() as uow:
        results = sim_uc.run_procedure_scenarios(
            uow, actor, code[:40], settings.processes_dir, lambda clock: build_services(settings, clock)
        )
    return _simulation_page(request, c, actor, code[:40], scenarios=results)


# --- moving dossiers to another version -------------------------------------------------------------------


def _move_input(source: Any) -> move_uc.MoveInput:
    return move_uc.MoveInput(
        from_version=_text(source, "tu", 10),
        to_version=_text(source, "den", 10),
        policy=_text(source, "cach", 20) or move_uc.KEEP,
        note=_text(source, "ghi-chu", move_uc.NOTE_MAX),
    )


def _after(request: Request) -> int | None:
    value = request.query_params.get("sau", "")
    return int(value) if value.isdigit() and len(value) < 12 else None


def _move_page(  # noqa: PLR0913 — the page's inputs plus what applying reported
    request: Request,
    c: ContainerDep,
    actor: Actor,
    code: str,
    data: move_uc.MoveInput | None,
    *,
    after: int | None = None,
    report: move_uc.ApplyReport | None = None,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    versions = _versions(c, actor, code)
    page: move_uc.DryRun | None = None
    problems = errors or FormErrors({})
    status = status_code
    if data is not None and (data.from_version or data.to_version):
        try:
            with c.transaction() as uow:
                page = move_uc.dry_run(c.services, uow, actor, code, data, after=after)
        except InvalidInput as exc:
            problems, status = FormErrors.of(exc), 422
    with c.transaction() as uow:
        history = move_uc.moves_of(uow, actor, code)
    numbers = {v.id: v.version for v in versions}
    query = {"tu": data.from_version, "den": data.to_version, "cach": data.policy} if data else {}
    base = f"/quan-tri/thu-tuc/{code}/chuyen-phien-ban"
    next_after = page.next_after if page else None
    context = {
        "code": code,
        "name": versions[0].name,
        "versions": [(str(v.version), _("Phiên bản %(n)s", n=v.version)) for v in versions],
        "policies": [(k, _(v)) for k, v in POLICY_LABELS.items()],
        "data": data or move_uc.MoveInput(from_version="", to_version=str(versions[0].version)),
        "page": page,
        "report": report,
        "errors": problems,
        "history": [(move, dossier_code, numbers.get(move.to_version_id)) for move, dossier_code in history],
        "next_url": f"{base}?{urlencode({**query, 'sau': next_after})}" if next_after else None,
        "first_url": f"{base}?{urlencode(query)}" if after else None,
        "policy_labels": POLICY_LABELS,
    }
    return render(request, "admin_simulation/migrate.html", context, status_code=status)


@router.get("/quan-tri/thu-tuc/{code}/chuyen-phien-ban", response_class=HTMLResponse)
def migrate_view(request: Request, c: ContainerDep, actor: Admin, code: str) -> HTMLResponse:
    """Choose the versions and the policy; with both versions, the dry run (a page at a time)."""
    data = _move_input(request.query_params) if "tu" in request.query_params else None
    return _move_page(request, c, actor, code[:40], data, after=_after(request))


def _chosen(posted: FormData) -> tuple[list[int] | None, FormErrors | None]:
    """Which dossiers: the row's own button, the ticked boxes, or all (None)."""
    one = posted.get("mot")
    if isinstance(one, str) and one:
        return ([int(one)], None) if one.isdigit() and len(one) < 12 else ([], None)
    if posted.get("pham-vi") == "tat-ca":
        return None, None
    ticked = [v for v in posted.getlist("hoso") if isinstance(v, str)][: move_uc.MAX_SELECTED + 1]
    if not ticked or any(not v.isdigit() or len(v) >= 12 for v in ticked):
        return [], FormErrors.one(
            "dossiers", "Chọn ít nhất một hồ sơ cần chuyển.", "Choose at least one dossier to move."
        )
    return [int(v) for v in ticked], None


@router.post("/quan-tri/thu-tuc/{code}/chuyen-phien-ban", response_class=HTMLResponse)
def migrate_apply(
    request: Request, c: ContainerDep, actor: Admin, code: str, posted: CsrfForm
) -> HTMLResponse:
    """Move one dossier, the ticked ones or all open ones of the old version; report each outcome."""
    code = code[:40]
    _versions(c, actor, code)  # 404 before reading the form
    data = _move_input(posted)
    ids, problem = _chosen(posted)
    if problem is not None:
        return _move_page(request, c, actor, code, data, errors=problem, status_code=422)
    try:
        report = move_uc.apply(c.transaction, c.services, actor, code, data, dossier_ids=ids)
    except InvalidInput as exc:
        return _move_page(request, c, actor, code, data, errors=FormErrors.of(exc), status_code=422)
    data.note = ""
    return _move_page(request, c, actor, code, data, report=report)
