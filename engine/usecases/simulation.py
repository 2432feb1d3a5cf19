"""Due-date simulation for one procedure version (/quan-tri/thu-tuc/{code}/mo-phong): pure computation.

For a receipt moment the administrator picks, show the appointment (the legal due time) and each step's due
time on the real working calendar, once for the happy path and once for a path where the citizen is asked
to supplement during processing (the clock follows the procedure's clock policy: pause, restart or none).
Nothing is written: the same calendar functions as a real dossier (engine/calendar.py), no dossier row.

Step due times are counted the way engine/usecases/progress.py counts them: a step's budget (working hours,
procedure.yaml `budgets`) from the moment its task becomes ready. The simulation assumes every step uses its
whole budget, so the next step starts when the previous one falls due; after a supplement, the interrupted
step starts again with its full budget (a new task), as in the engine.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlmodel import col, select

from engine.actor import Actor
from engine.calendar import Due, WorkingCalendar
from engine.catalog import definition_of, ensure_spec
from engine.clock import LOCAL_TZ, FixedClock, to_local, to_utc
from engine.errors import FieldError, InvalidInput, NotFound
from engine.procedure import ClockPolicy, ProcedureDefinition
from engine.scenarios import ScenarioResult, run_scenario, scenario_files
from engine.services import Services
from engine.store.db import UnitOfWork
from engine.store.models import AgencyRow, ProcedureVersionRow
from engine.usecases.agencies import require_admin
from engine.usecases.calendars import calendar_for

__all__ = [
    "PathPlan",
    "Simulation",
    "SimulationInput",
    "StepPlan",
    "check_input",
    "agency_options",
    "procedure_versions",
    "run_procedure_scenarios",
    "simulate",
    "version_of",
]

DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
YEARS_BACK, YEARS_AHEAD = 2, 3
MAX_ASK_HOURS = 400  # at most this many working hours after receipt the supplement request can come
MAX_WAIT_DAYS = 90  # and the citizen may take up to this many days to supplement (the model's own limit: 30)
MAX_VERSIONS = 200  # versions listed for one procedure


@dataclass
class SimulationInput:
    """The form as typed: dd/mm/yyyy, HH:MM (24 h, Asia/Ho_Chi_Minh), version, agency, supplement timing."""

    day: str = ""
    clock_time: str = "09:00"
    version: str = ""  # empty: the newest version
    agency: str = ""  # empty: the national calendar with default office hours
    ask_after_hours: str = "8"  # the supplement is requested this many working hours after the receipt
    wait_days: str = "5"  # the citizen supplements this many days (calendar) after the request


@dataclass(frozen=True)
class CheckedInput:
    """The form's values, typed and bounded."""

    received_at: datetime  # aware UTC
    version: int | None
    agency: str | None
    ask_after: timedelta
    wait: timedelta


@dataclass(frozen=True)
class StepPlan:
    """One step of a path: when it starts, when it is due, and why (Vietnamese)."""

    step: str
    title: str
    hours: float | None  # the step's budget; None: the citizen's time (not a step of the agency)
    starts_at: datetime
    due_at: datetime
    explanation: str
    citizen: bool = False


@dataclass(frozen=True)
class PathPlan:
    """A path through the procedure: its steps, its appointment and the explanation of the appointment."""

    title: str
    due: datetime
    explanation: list[str]
    steps: list[StepPlan]
    paused_at: datetime | None = None
    resumed_at: datetime | None = None


@dataclass
class Simulation:
    """Both paths for one receipt moment on one version."""

    code: str
    name: str
    version: int
    deadline_label: str
    clock: ClockPolicy
    received_at: datetime
    agency_name: str
    happy: PathPlan
    supplement: PathPlan
    notes: list[str] = field(default_factory=list)


def procedure_versions(uow: UnitOfWork, actor: Actor, code: str) -> list[ProcedureVersionRow]:
    """The published versions of a procedure, newest first; NotFound for an unknown code."""
    require_admin(actor)
    rows = list(
        uow.session.exec(
            select(ProcedureVersionRow)
            .where(ProcedureVersionRow.code == code)
            .order_by(col(ProcedureVersionRow.version).desc())
            .limit(MAX_VERSIONS)
        ).all()
    )
    if not rows:
        raise NotFound(
            f"Không tìm thấy thủ tục hành chính có mã «{code}».",
            f"No administrative procedure with code '{code}'.",
            code="ProcedureNotFound",
        )
    return rows


def agency_options(uow: UnitOfWork, actor: Actor) -> list[tuple[str, str]]:
    """The agencies with a one-stop counter (code, name): whose calendar and office hours to simulate on."""
    require_admin(actor)
    rows = uow.session.exec(
        select(AgencyRow.code, AgencyRow.name)
        .where(col(AgencyRow.has_counter).is_(True))
        .order_by(col(AgencyRow.name))
        .limit(MAX_VERSIONS)
    ).all()
    return [(code, name) for code, name in rows]


def version_of(uow: UnitOfWork, actor: Actor, code: str, version: int | None) -> ProcedureVersionRow:
    """One published version (None: the newest); NotFound when it does not exist."""
    rows = procedure_versions(uow, actor, code)
    if version is None:
        return rows[0]
    for row in rows:
        if row.version == version:
            return row
    raise NotFound(
        f"Thủ tục «{code}» không có phiên bản {version}.",
        f"Procedure '{code}' has no version {version}.",
        code="VersionNotFound",
    )


def _read_day(text: str, today: date, problems: dict[str, FieldError]) -> date | None:
    match = DATE_RE.match(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        day, month, year = (int(g) for g in match.groups())
        found = date(year, month, day)
    except ValueError:
        problems["day"] = FieldError(
            "Nhập ngày tiếp nhận có thật, dạng dd/mm/yyyy.", "Enter a real receipt date as dd/mm/yyyy."
        )
        return None
    first, last = today.year - YEARS_BACK, today.year + YEARS_AHEAD
    if not first <= found.year <= last:
        problems["day"] = FieldError(
            f"Ngày tiếp nhận phải trong các năm {first}–{last}.",
            f"The receipt date must fall within {first}–{last}.",
        )
        return None
    return found


def _read_time(text: str, problems: dict[str, FieldError]) -> time | None:
    match = TIME_RE.match(text.strip())
    try:
        if match is None:
            raise ValueError(text)
        return time(int(match.group(1)), int(match.group(2)))
    except ValueError:
        problems["clock_time"] = FieldError(
            "Nhập giờ tiếp nhận dạng 24 giờ HH:MM, ví dụ 14:30.", "Enter the receipt time as 24-hour HH:MM."
        )
        return None


def _read_int(
    text: str, name: str, bounds: tuple[int, int], problems: dict[str, FieldError], label: tuple[str, str]
) -> int | None:
    low, high = bounds
    value = text.strip()
    if not value.isdigit() or len(value) > 6 or not low <= int(value) <= high:
        problems[name] = FieldError(
            f"{label[0]}: nhập số nguyên từ {low} đến {high}.",
            f"{label[1]}: enter a whole number {low}–{high}.",
        )
        return None
    return int(value)


def check_input(uow: UnitOfWork, data: SimulationInput, today: date) -> CheckedInput:
    """Every field typed and bounded; InvalidInput names each bad one (nothing is computed then)."""
    problems: dict[str, FieldError] = {}
    day = _read_day(data.day, today, problems)
    moment = _read_time(data.clock_time, problems)
    version: int | None = None
    if data.version.strip():
        version = _read_int(data.version, "version", (1, 100_000), problems, ("Phiên bản", "Version"))
    agency = data.agency.strip() or None
    if agency is not None and (len(agency) > 35 or uow.session.get(AgencyRow, agency) is None):
        problems["agency"] = FieldError("Không có cơ quan với mã này.", "No agency has this code.")
    ask = _read_int(
        data.ask_after_hours,
        "ask_after_hours",
        (0, MAX_ASK_HOURS),
        problems,
        ("Thời điểm yêu cầu bổ sung", "When the supplement is requested"),
    )
    wait = _read_int(
        data.wait_days,
        "wait_days",
        (0, MAX_WAIT_DAYS),
        problems,
        ("Số ngày công dân bổ sung", "Days to supplement"),
    )
    if problems or day is None or moment is None or ask is None or wait is None:
        raise InvalidInput("Thông tin mô phỏng chưa hợp lệ.", "The simulation input is not valid.", problems)
    received = to_utc(datetime.combine(day, moment, LOCAL_TZ))
    return CheckedInput(received, version, agency, timedelta(hours=ask), timedelta(days=wait))


# --- the computation ------------------------------------------------------------------------------------


def _fmt(moment: datetime) -> str:
    local = to_local(moment)
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


def _skipped_text(calendar: WorkingCalendar, start: datetime, end: datetime) -> str:
    first, last = to_local(start).date() + timedelta(days=1), to_local(end).date() - timedelta(days=1)
    days = calendar.skipped_days(first, last) if first <= last else []
    if not days:
        return ""
    listed = ", ".join(f"{s.day:%d/%m/%Y} ({s.reason})" for s in days)
    return f" Không tính các ngày nghỉ: {listed}."


def _titles(services: Services, uow: UnitOfWork, version: ProcedureVersionRow) -> dict[str, str]:
    ensure_spec(uow, services.runtime, version.spec_hash)
    info = services.runtime.spec_info(version.spec_hash)
    titles: dict[str, str] = {}
    for name, props in info.user_tasks.items():
        step = props.get("step")
        if step and step not in titles:
            titles[step] = info.task_titles.get(name, step)
    return titles


def _step(calendar: WorkingCalendar, step: str, title: str, hours: float, ready: datetime) -> StepPlan:
    start, reason = calendar.start_of_count(ready)
    due = calendar.add_working_time(start, timedelta(hours=hours))
    text = f"{reason} Thời gian của bước: {hours:g} giờ làm việc; đến hạn lúc {_fmt(due)}." + _skipped_text(
        calendar, start, due
    )
    return StepPlan(step, title, hours, start, due, text)


def _chain(
    calendar: WorkingCalendar, definition: ProcedureDefinition, titles: dict[str, str], ready: datetime
) -> list[StepPlan]:
    steps = []
    for step, hours in definition.budgets.items():
        plan = _step(calendar, step, titles.get(step, step), hours, ready)
        steps.append(plan)
        ready = plan.due_at
    return steps


def _happy(
    calendar: WorkingCalendar, definition: ProcedureDefinition, titles: dict[str, str], base: Due
) -> PathPlan:
    return PathPlan(
        "Hồ sơ đầy đủ, không phải bổ sung",
        base.due,
        base.explanation(),
        _chain(calendar, definition, titles, base.received_at),
    )


def _resumed_due(
    calendar: WorkingCalendar, definition: ProcedureDefinition, base: Due, paused: datetime, back: datetime
) -> tuple[datetime, str]:
    """The appointment after the pause, by the clock policy (as engine/usecases/progress.py resumes)."""
    deadline = definition.deadline
    if definition.clock is ClockPolicy.NONE:
        return base.due, (
            f"Thủ tục không tạm dừng thời hạn khi bổ sung (chế độ «none»): thời gian chờ công dân từ "
            f"{_fmt(paused)} đến {_fmt(back)} vẫn được tính; hạn giữ nguyên {_fmt(base.due)}."
        )
    if definition.clock is ClockPolicy.RESTART:
        due = calendar.due(back, deadline.amount, deadline.unit, deadline.cutoff).due
        return due, (
            f"Tạm dừng từ {_fmt(paused)} đến {_fmt(back)} (chờ công dân bổ sung); thủ tục tính lại thời hạn "
            f"từ đầu khi nhận đủ hồ sơ (chế độ «restart»): hạn mới {_fmt(due)}."
        )
    left = calendar.working_time_between(paused, base.due)
    start, _ = calendar.start_of_count(back)
    due = calendar.add_working_time(start, left)
    hours = left.total_seconds() / 3600
    return due, (
        f"Tạm dừng từ {_fmt(paused)} đến {_fmt(back)} (chờ công dân bổ sung, chế độ «pause»); "
        f"{hours:g} giờ làm việc còn lại được tính tiếp từ {_fmt(start)}: hạn mới {_fmt(due)}."
        + _skipped_text(calendar, start, due)
    )


def _with_supplement(
    calendar: WorkingCalendar,
    definition: ProcedureDefinition,
    titles: dict[str, str],
    base: Due,
    checked: CheckedInput,
) -> PathPlan:
    happy = _chain(calendar, definition, titles, base.received_at)
    paused = calendar.add_working_time(base.start, checked.ask_after)
    back = paused + checked.wait
    due, line = _resumed_due(calendar, definition, base, paused, back)
    steps: list[StepPlan] = []
    interrupted: StepPlan | None = None
    for index, plan in enumerate(happy):
        if plan.due_at <= paused and index < len(happy) - 1:
            steps.append(plan)
            continue
        interrupted = plan
        steps.append(
            StepPlan(
                plan.step,
                plan.title,
                plan.hours,
                plan.starts_at,
                paused,
                f"{plan.explanation} Bước này yêu cầu công dân bổ sung hồ sơ lúc {_fmt(paused)}.",
            )
        )
        steps.append(
            StepPlan(
                "supplement",
                "Công dân bổ sung hồ sơ",
                None,
                paused,
                back,
                f"Công dân bổ sung sau {checked.wait.days} ngày, lúc {_fmt(back)}. {line}",
                citizen=True,
            )
        )
        rest = [(p.step, p.title, p.hours) for p in happy[index:]]
        ready = back
        for step, title, hours in rest:
            assert hours is not None
            again = _step(calendar, step, title, hours, ready)
            steps.append(again)
            ready = again.due_at
        break
    assert interrupted is not None
    return PathPlan(
        "Công dân phải bổ sung hồ sơ trong khi giải quyết",
        due,
        [*base.explanation()[:-1], line, f"Hạn trả kết quả: {_fmt(due)}."],
        steps,
        paused_at=paused,
        resumed_at=back,
    )


def simulate(
    services: Services, uow: UnitOfWork, actor: Actor, code: str, data: SimulationInput
) -> Simulation:
    """Both paths for the typed receipt moment; InvalidInput for bad fields, NotFound for a bad code."""
    require_admin(actor)
    procedure_versions(uow, actor, code)  # 404 before the form's problems
    checked = check_input(uow, data, to_local(services.clock.now()).date())
    version = version_of(uow, actor, code, checked.version)
    definition = definition_of(version)
    calendar = calendar_for(uow, checked.agency)
    deadline = definition.deadline
    base = calendar.due(checked.received_at, deadline.amount, deadline.unit, deadline.cutoff)
    titles = _titles(services, uow, version)
    agency = uow.session.get(AgencyRow, checked.agency) if checked.agency else None
    notes = []
    if not definition.budgets:
        notes.append("Thủ tục chưa chia thời hạn cho từng bước (procedure.yaml «budgets»).")
    return Simulation(
        code=version.code,
        name=version.name,
        version=version.version,
        deadline_label=deadline.label,
        clock=definition.clock,
        received_at=checked.received_at,
        agency_name=agency.name if agency else "Lịch chung toàn quốc, giờ làm việc mặc định",
        happy=_happy(calendar, definition, titles, base),
        supplement=_with_supplement(calendar, definition, titles, base, checked)
        if definition.budgets
        else PathPlan("Công dân phải bổ sung hồ sơ trong khi giải quyết", base.due, base.explanation(), []),
        notes=notes,
    )


# --- scenarios --------------------------------------------------------------------------------------------


def run_procedure_scenarios(
    uow: UnitOfWork,
    actor: Actor,
    code: str,
    processes_dir: Path,
    services_factory: Callable[[FixedClock], Services],
) -> list[ScenarioResult]:
    """Run the scenario files of the procedure's folder (processes/<slug>/scenarios), each on a fresh DB.

    The folder on disk is what runs: the next version to publish, which may differ from the stored ones.
    """
    newest = procedure_versions(uow, actor, code)[0]
    folder = (processes_dir / newest.slug).resolve()
    if folder.parent != processes_dir.resolve() or not folder.is_dir():
        raise NotFound(
            f"Không tìm thấy thư mục thủ tục «{newest.slug}» trong processes/.",
            f"Procedure folder '{newest.slug}' not found under processes/.",
            code="ProcedureFolderNotFound",
        )
    return [run_scenario(path, services_factory) for path in scenario_files(folder)]
