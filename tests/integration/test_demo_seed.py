"""The demo dossiers of the embedded default (portal/demo.py): every demo list shows something, once."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from engine.usecases.queries import dossier_detail, visible_dossiers
from engine.usecases.tasks import list_tasks
from portal.auth import demo_actor
from portal.bootstrap import prepare
from portal.demo import demo_cases, seed_demo_dossiers
from portal.wiring import Container
from tests.builders import BA_DINH, HOAN_KIEM, row_counts

STAFF = {
    BA_DINH: ("motcua.badinh", "chuyenvien.badinh", "lanhdao.badinh"),
    HOAN_KIEM: ("motcua.hoankiem", "chuyenvien.hoankiem", "lanhdao.hoankiem"),
}


@pytest.fixture
def seeded(container: Container) -> tuple[Container, list[str]]:
    """The test's database after `motcua serve`'s first start (demo dossiers included)."""
    started = time.perf_counter()
    codes = seed_demo_dossiers(container)
    spent = time.perf_counter() - started
    assert spent < 20, f"seeding took {spent:.1f} s"  # ~1 s on a quiet core; generous for a shared machine
    return container, codes


class TestDemoDossiers:
    def test_every_demo_case_is_filed(self, seeded: tuple[Container, list[str]]) -> None:
        _, codes = seeded
        assert len(codes) == len(demo_cases()) == 16
        assert len(set(codes)) == len(codes)

    @pytest.mark.parametrize("agency", [BA_DINH, HOAN_KIEM])
    def test_each_agency_has_every_resting_point(
        self, seeded: tuple[Container, list[str]], agency: str
    ) -> None:
        container, _ = seeded
        officer = demo_actor(STAFF[agency][0])
        with container.transaction() as uow:
            rows = visible_dossiers(uow, officer, limit=200)
            states = Counter(
                dossier_detail(container.services, uow, officer, row.code)["deadline"]["state"]
                for row in rows
            )
        assert {row.status for row in rows} == {1, 4, 5, 9, 10}
        assert states["near_due"] >= 1, states
        assert states["overdue"] >= 1, states
        assert states["on_track"] >= 1, states

    @pytest.mark.parametrize("agency", [BA_DINH, HOAN_KIEM])
    def test_staff_work_lists_are_not_empty(self, seeded: tuple[Container, list[str]], agency: str) -> None:
        container, _ = seeded
        officer, specialist, leader = (demo_actor(name) for name in STAFF[agency])
        with container.transaction() as uow:
            waiting = visible_dossiers(uow, officer, status=1)
            reception = [v for v in list_tasks(uow, officer) if v.task.step == "reception"]
            returns = [v for v in list_tasks(uow, officer) if v.task.step == "return"]
            appraisal = list_tasks(uow, specialist)
            approval = list_tasks(uow, leader)
        assert waiting, "the one-stop officer's queue of online dossiers waiting for reception"
        assert reception
        assert all(v.dossier.status == 1 for v in reception)
        assert returns
        assert all(v.dossier.status == 9 for v in returns)
        assert {v.task.step for v in appraisal} == {"appraisal"}
        assert len(appraisal) >= 2  # on track and near due
        assert {v.task.step for v in approval} == {"approval"}
        assert len(approval) >= 2  # on track and overdue

    @pytest.mark.parametrize("citizen", ["nguyenvanan", "tranthibinh"])
    def test_each_citizen_owns_dossiers_in_several_states(
        self, seeded: tuple[Container, list[str]], citizen: str
    ) -> None:
        container, _ = seeded
        actor = demo_actor(citizen)
        with container.transaction() as uow:
            mine = visible_dossiers(uow, actor, limit=200)
            supplements = [v for v in list_tasks(uow, actor) if v.task.step.startswith("supplement")]
        assert {row.agency_code for row in mine} == {BA_DINH, HOAN_KIEM}
        assert len({row.status for row in mine}) >= 4
        assert all(row.applicant_id_number == actor.identity_number for row in mine)
        assert supplements, "a supplement the citizen is asked for"

    def test_a_second_start_adds_nothing(self, seeded: tuple[Container, list[str]]) -> None:
        container, _ = seeded
        before = row_counts(container)
        prepare(container, migrate=False, demo_dossiers=True)
        assert seed_demo_dossiers(container) == []
        assert row_counts(container) == before


class TestDemoSeedIsSkipped:
    def test_when_switched_off(self, container: Container) -> None:
        container.settings = container.settings.model_copy(update={"seed_demo": False})
        prepare(container, migrate=False, demo_dossiers=True)
        assert row_counts(container)["dossier"] == 0

    def test_in_production(self, container: Container) -> None:
        container.settings = container.settings.model_copy(update={"env": "production"})
        assert seed_demo_dossiers(container) == []
        assert row_counts(container)["dossier"] == 0

    def test_without_the_serve_flag(self, container: Container) -> None:
        prepare(container, migrate=False)  # what tests, benches and `motcua worker` call
        assert row_counts(container)["dossier"] == 0
