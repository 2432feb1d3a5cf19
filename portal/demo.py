"""Demo dossiers for the embedded default: every list a demo user opens shows something on first start.

`seed_demo_dossiers` files a handful of dossiers at both demo agencies through the same use cases as the API
(`file_verified`, `receive`, `complete`), each on a clock moved back by a number of working hours of the
agency's calendar, so that their deadlines stand where the demo needs them today: waiting for reception,
at the specialist, at the leader, waiting for a supplement (Mẫu 02), near due, overdue, ready to return
and returned. The citizens are the demo users of portal/auth.py (DEMO_USERS); officers, specialists and
leaders act as the demo staff of each agency, so timelines show their names.

It runs once: a database that already holds a dossier is left alone. `motcua serve` calls it on the embedded
default unless MOTCUA_SEED_DEMO=false; never in production.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from engine.actor import Role
from engine.catalog import current_versions
from engine.clock import FixedClock, to_local
from engine.forms import FormRegistry
from engine.services import Services
from engine.store.models import DossierRow, WorkTaskRow
from engine.usecases import dossiers, residents, tasks
from engine.usecases.calendars import calendar_for
from portal.auth import demo_actor
from portal.wiring import Container

log = logging.getLogger("motcua")

RESIDENCE = "1.004222"
BIRTH = "1.001193"
BA_DINH = "H29.12.3"
HOAN_KIEM = "H29.12.5"
AN = "nguyenvanan"
BINH = "tranthibinh"
# The demo staff of each agency (DEMO_USERS), by the role that works a step.
STAFF = {
    BA_DINH: {
        Role.OFFICER: "motcua.badinh",
        Role.SPECIALIST: "chuyenvien.badinh",
        Role.LEADER: "lanhdao.badinh",
    },
    HOAN_KIEM: {
        Role.OFFICER: "motcua.hoankiem",
        Role.SPECIALIST: "chuyenvien.hoankiem",
        Role.LEADER: "lanhdao.hoankiem",
    },
}
STEP_ROLE = {"appraisal": Role.SPECIALIST, "approval": Role.LEADER, "return": Role.OFFICER}

# --- what the citizens file (the population database knows them: integrations/residents/population.py) ----

APPLICANTS: dict[str, dict[str, Any]] = {
    AN: {
        "full_name": "Nguyễn Văn An",
        "identity_number": "001088012345",
        "phone": "0912345678",
        "email": "nguyenvanan@example.vn",
        "address": "Số 5 ngõ 2 phố Kim Liên, phường Kim Liên, Hà Nội",
    },
    BINH: {
        "full_name": "Trần Thị Bình",
        "identity_number": "001192004567",
        "phone": "0987000111",
        "email": "tranthibinh@example.vn",
        "address": "Số 21 ngõ 4 phố Tân Mai, phường Hoàng Mai, Hà Nội",
    },
}
DECLARANTS: dict[str, dict[str, Any]] = {
    AN: {
        "full_name": "Nguyễn Văn An",
        "date_of_birth": "1988-05-14",
        "sex": "Nam",
        "identity_number": "001088012345",
        "phone": "0912345678",
        "email": "nguyenvanan@example.vn",
    },
    BINH: {
        "full_name": "Trần Thị Bình",
        "date_of_birth": "1992-08-25",
        "sex": "Nữ",
        "identity_number": "001192004567",
        "phone": "0987000111",
        "email": "tranthibinh@example.vn",
    },
}
NEW_ADDRESS = {
    BA_DINH: {"province_code": "01", "commune_code": "00004", "detail": "Số 12, ngõ 34 phố Đội Cấn"},
    HOAN_KIEM: {"province_code": "01", "commune_code": "00070", "detail": "Số 9 phố Hàng Gai"},
}


def residence_form(citizen: str, agency: str) -> dict[str, Any]:
    """Tờ khai CT01: the citizen moves into the household of Nguyễn Văn Bình."""
    return {
        "applicant": copy.deepcopy(DECLARANTS[citizen]),
        "new_address": copy.deepcopy(NEW_ADDRESS[agency]),
        "reason": "Chuyển về ở cùng gia đình tại nhà riêng.",
        "relation_to_head": "Con" if citizen == AN else "Cháu",
        "household_head_name": "Nguyễn Văn Bình",
        "household_head_identity_number": "001060004321",
        "residence_proof_kind": "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở",
        "members": [],
    }


def birth_form(born: datetime) -> dict[str, Any]:
    """Birth declaration of Nguyễn Văn An's and Trần Thị Mai's newborn, declared by the father."""
    parent = {"ethnicity": "Kinh", "nationality": "Việt Nam", "residence": APPLICANTS[AN]["address"]}
    return {
        "child": {
            "full_name": "Nguyễn Minh Châu",
            "sex": "Nữ",
            "date_of_birth": to_local(born).date().isoformat(),
            "place_of_birth": "Bệnh viện Phụ sản Hà Nội, phường Láng, thành phố Hà Nội",
            "ethnicity": "Kinh",
            "nationality": "Việt Nam",
        },
        "mother": {
            "full_name": "Trần Thị Mai",
            "date_of_birth": "1990-09-02",
            "identity_number": "001190023456",
            **parent,
        },
        "father": {
            "full_name": "Nguyễn Văn An",
            "date_of_birth": "1988-05-14",
            "identity_number": "001088012345",
            **parent,
        },
        "declarant": {
            "full_name": "Nguyễn Văn An",
            "identity_number": "001088012345",
            "relation_to_child": "Cha",
            "phone": "0912345678",
            "email": "nguyenvanan@example.vn",
        },
        "birth_certificate_number": "04521/GCS",
    }


PAPERS: dict[str, list[dict[str, Any]]] = {
    RESIDENCE: [{"key": "ct01", "count": 1}, {"key": "residence_proof", "count": 1}],
    BIRTH: [{"key": "declaration"}, {"key": "birth_certificate"}, {"key": "applicant_id"}],
}

# --- the decisions along the way --------------------------------------------------------------------------

ACCEPT = {"decision": "accept", "note": "Hồ sơ đầy đủ, hợp lệ"}
RECEPTION_SUPPLEMENT = {
    "decision": "supplement",
    "note": "Đề nghị bổ sung trực tuyến trong thời hạn quy định",
    "missing_papers": [
        {
            "paper": "Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp",
            "reason": "Bản chụp mờ, không đọc được số thửa đất",
        }
    ],
}
PROPOSE_APPROVE = {"decision": "propose_approve", "opinion": "Đủ điều kiện theo Điều 20 Luật Cư trú"}
APPRAISAL_SUPPLEMENT = {
    "decision": "supplement",
    "opinion": "Thiếu ý kiến đồng ý của chủ hộ",
    "missing_papers": [
        {
            "paper": "Ý kiến đồng ý của chủ hộ, chủ sở hữu chỗ ở",
            "reason": "Đăng ký vào chỗ ở không thuộc sở hữu của người đăng ký",
        }
    ],
}
APPROVE = {"decision": "approve"}
RETURN = {"method": "counter", "note": "Công dân nhận trực tiếp tại Bộ phận Một cửa"}
BIRTH_OPINION = {"decision": "propose_approve", "opinion": "Đủ điều kiện đăng ký khai sinh"}


@dataclass(frozen=True)
class Step:
    """One action, `hours` working hours before now: `receive` or the completion of a BPMN step."""

    hours: float
    action: str  # "receive" | "appraisal" | "approval" | "return"
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Case:
    """One demo dossier: who files what where, how long ago, and what happened since."""

    name: str
    procedure: str
    agency: str
    citizen: str
    filed: float  # working hours before now
    steps: tuple[Step, ...] = ()


def _residence(name: str, agency: str, citizen: str, filed: float, *steps: Step) -> Case:
    return Case(name, RESIDENCE, agency, citizen, filed, steps)


def _accept(hours: float) -> Step:
    return Step(hours, "receive", ACCEPT)


def _propose(hours: float) -> Step:
    return Step(hours, "appraisal", PROPOSE_APPROVE)


def _supplement_case(agency: str, citizen: str) -> Case:
    """Ba Đình asks at reception (the clock has not started), Hoàn Kiếm at appraisal (the clock pauses)."""
    if agency == BA_DINH:
        return _residence("yêu cầu bổ sung", agency, citizen, 6, Step(5, "receive", RECEPTION_SUPPLEMENT))
    return _residence(
        "yêu cầu bổ sung", agency, citizen, 12, _accept(10), Step(3, "appraisal", APPRAISAL_SUPPLEMENT)
    )


def _returned_case(agency: str, citizen: str) -> Case:
    """Ba Đình: a birth registration finished within its day; Hoàn Kiếm: a permanent residence, early."""
    if agency == BA_DINH:
        steps = (
            Step(20.5, "receive", ACCEPT),
            Step(20, "appraisal", BIRTH_OPINION),
            Step(19.5, "approval", APPROVE),
            Step(19, "return", RETURN),
        )
        return Case("đã trả kết quả", BIRTH, agency, AN, 21, steps)
    return _residence(
        "đã trả kết quả",
        agency,
        citizen,
        90,
        _accept(88),
        _propose(70),
        Step(50, "approval", APPROVE),
        Step(45, "return", RETURN),
    )


def cases(agency: str, first: str, second: str) -> list[Case]:
    """The resting points at one agency, the two citizens taking turns.

    Permanent residence has 7 working days (56 h) and is near due when at most a quarter (14 h) is left:
    each case's working hours put it where its name says, today.
    """
    return [
        _residence("chờ tiếp nhận", agency, first, 1.5),
        _residence("đang thẩm định", agency, second, 10, _accept(8)),
        _residence("chờ lãnh đạo phê duyệt", agency, first, 26, _accept(24), _propose(4)),
        _supplement_case(agency, second),
        _residence("sắp đến hạn", agency, first, 46, _accept(45)),
        _residence("quá hạn", agency, second, 62, _accept(60), _propose(20)),
        _residence(
            "chờ trả kết quả", agency, first, 34, _accept(32), _propose(16), Step(2, "approval", APPROVE)
        ),
        _returned_case(agency, second),
    ]


def demo_cases() -> list[Case]:
    """Every demo dossier: the same resting points at both agencies, the citizens taking turns."""
    return cases(BA_DINH, AN, BINH) + cases(HOAN_KIEM, BINH, AN)


# --- filing them ------------------------------------------------------------------------------------------


def _services_at(container: Container, clock: FixedClock) -> Services:
    """The container's services on a clock of the seed's own (forms check dates against it too)."""
    forms = FormRegistry(container.settings.forms_dir, clock)
    return dataclasses.replace(container.services, clock=clock, forms=forms)


def _ready_task(container: Container, code: str, step: str) -> str:
    with container.transaction() as uow:
        task_id = uow.session.exec(
            select(WorkTaskRow.id)
            .join(DossierRow, col(DossierRow.id) == WorkTaskRow.dossier_id)
            .where(DossierRow.code == code, WorkTaskRow.step == step)
        ).first()
    if task_id is None:
        raise RuntimeError(f"demo dossier {code} has no ready {step} task")
    return task_id


def file_case(container: Container, case: Case, now: datetime) -> str:
    """File one demo dossier and take it through its steps, each at its moment; its code."""
    with container.transaction() as uow:
        calendar = calendar_for(uow, case.agency)

    def moment(hours: float) -> datetime:
        return calendar.subtract_working_time(now, timedelta(hours=hours)) if hours else now

    clock = FixedClock(moment(case.filed))
    services = _services_at(container, clock)
    citizen = demo_actor(case.citizen)
    if case.procedure == BIRTH:
        form = birth_form(clock.now() - timedelta(days=12))
    else:
        form = residence_form(case.citizen, case.agency)
    command = dossiers.FileDossier(
        procedure=case.procedure,
        agency=case.agency,
        channel="online",
        applicant=copy.deepcopy(APPLICANTS[case.citizen]),
        form=form,
        papers=copy.deepcopy(PAPERS[case.procedure]),
    )
    code = residents.file_verified(services, container.transaction, citizen, command, lambda _uow, d: d.code)
    for step in case.steps:
        clock.set(max(clock.now(), moment(step.hours)))
        role = Role.OFFICER if step.action == "receive" else STEP_ROLE[step.action]
        actor = demo_actor(STAFF[case.agency][role])
        payload = copy.deepcopy(dict(step.payload))
        if step.action == "receive":
            with container.transaction() as uow:
                dossiers.receive(services, uow, actor, code, payload)
            continue
        task_id = _ready_task(container, code, step.action)
        with container.transaction() as uow:
            tasks.complete(services, uow, actor, task_id, payload)
    return code


def seed_demo_dossiers(container: Container, now: datetime | None = None) -> list[str]:
    """File the demo dossiers once, into a database without any dossier; their codes (none: skipped)."""
    settings = container.settings
    if not settings.seed_demo or settings.env == "production":
        return []
    with container.transaction() as uow:
        if uow.session.exec(select(DossierRow.id).limit(1)).first() is not None:
            return []
    now = now or container.services.clock.now()
    with container.transaction() as uow:
        published = {v.code for v in current_versions(uow)}
    cases = [case for case in demo_cases() if case.procedure in published]
    if len(cases) < len(demo_cases()):
        # A procedures folder without the demo's procedures (or whose check failed) still starts.
        log.warning(
            "demo dossiers of unpublished procedures skipped: %s",
            sorted({c.procedure for c in demo_cases()} - published),
        )
    codes = [file_case(container, case, now) for case in cases]
    log.info("filed %d demo dossiers (MOTCUA_SEED_DEMO=false to start without them)", len(codes))
    return codes
