"""Due-date simulation across Tết Nguyên đán 2026, checked by hand, on SQLite and PostgreSQL.

Tết 2026 in the seeded calendar (the `holidays` package): Mon 16/02 (Giao thừa) to Fri 20/02 (Mùng bốn), so
offices close from Sat 14/02 to Sun 22/02 and reopen Mon 23/02. Office hours 07:30–11:30 and 13:00–17:00.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import func, select

from engine.actor import Actor, Role
from engine.clock import to_local
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.store.models import DossierRow
from engine.usecases import simulation
from engine.usecases.simulation import SimulationInput
from portal.wiring import Container, build_services
from tests.builders import BIRTH, RESIDENCE

ADMIN = Actor(
    subject="admin-1", username="quantri", roles=frozenset({Role.ADMIN}), full_name="Quản trị hệ thống"
)


def simulate(container: Container, code: str, data: SimulationInput) -> simulation.Simulation:
    with container.transaction() as uow:
        return simulation.simulate(container.services, uow, ADMIN, code, data)


def local(moment: datetime) -> str:
    return f"{to_local(moment):%d/%m/%Y %H:%M}"


class TestTet2026:
    def test_residence_received_the_friday_before_tet(self, container: Container) -> None:
        # Received Fri 13/02/2026 10:00; 7 working days = 56 working hours. Fri 13/02 gives 5.5 h
        # (10:00–11:30, 13:00–17:00); Sat 14/02 to Sun 22/02 are closed (weekend, Tết, weekend); then
        # Mon 23, Tue 24, Wed 25, Thu 26, Fri 27/02 and Mon 02/03 give 48 h; the last 2.5 h end
        # Tue 03/03 10:00.
        sim = simulate(container, RESIDENCE, SimulationInput(day="13/02/2026", clock_time="10:00"))

        assert sim.version == 1
        assert local(sim.happy.due) == "03/03/2026 10:00"
        assert any("Tết Nguyên Đán" in line and "17/02/2026" in line for line in sim.happy.explanation)
        # Steps, each using its whole budget (2 h, 36 h, 12 h, 6 h) from the end of the previous one:
        # reception 10:00 + 2 h → 13:30 Fri 13/02; appraisal 36 h → 3.5 h on Fri, 8 h on Mon 23 … Wed 25
        # (24 h), 8 h on Thu 26, 0.5 h on Fri 27 → 08:00 Fri 27/02; approval 12 h → 7.5 h on Fri 27,
        # 4.5 h on Mon 02/03 → 13:30; return 6 h → 3.5 h on Mon 02/03, 2.5 h on Tue 03/03 → 10:00.
        assert [(s.step, local(s.starts_at), local(s.due_at)) for s in sim.happy.steps] == [
            ("reception", "13/02/2026 10:00", "13/02/2026 13:30"),
            ("appraisal", "13/02/2026 13:30", "27/02/2026 08:00"),
            ("approval", "27/02/2026 08:00", "02/03/2026 13:30"),
            ("return", "02/03/2026 13:30", "03/03/2026 10:00"),
        ]
        assert "Mùng hai Tết Nguyên Đán" in sim.happy.steps[1].explanation

    def test_supplement_pauses_the_clock_over_tet(self, container: Container) -> None:
        # The supplement is asked 8 working hours after the receipt: 5.5 h on Fri 13/02, then 2.5 h on
        # Mon 23/02 → 10:00 Mon 23/02. 48 working hours were left (Mon 23/02 10:00 → Tue 03/03 10:00).
        # The citizen answers 5 days later, Sat 28/02 10:00 (closed): the count resumes Mon 02/03 07:30,
        # and 48 h (6 full working days) end at 17:00 Mon 09/03 (a sum ending at closing stays there).
        sim = simulate(
            container,
            RESIDENCE,
            SimulationInput(day="13/02/2026", clock_time="10:00", ask_after_hours="8", wait_days="5"),
        )

        path = sim.supplement
        assert sim.clock.value == "pause"
        assert path.paused_at is not None
        assert local(path.paused_at) == "23/02/2026 10:00"
        assert path.resumed_at is not None
        assert local(path.resumed_at) == "28/02/2026 10:00"
        assert local(path.due) == "09/03/2026 17:00"
        # Appraisal is interrupted, the citizen holds the dossier, then appraisal starts again in full
        # (36 h from Mon 02/03 07:30 → Fri 06/03 11:30), approval 12 h (from 13:00 Fri) → Mon 09/03 17:00,
        # return 6 h from Tue 10/03 07:30 → 15:00.
        assert [(s.step, local(s.starts_at), local(s.due_at)) for s in path.steps] == [
            ("reception", "13/02/2026 10:00", "13/02/2026 13:30"),
            ("appraisal", "13/02/2026 13:30", "23/02/2026 10:00"),
            ("supplement", "23/02/2026 10:00", "28/02/2026 10:00"),
            ("appraisal", "02/03/2026 07:30", "06/03/2026 11:30"),
            ("approval", "06/03/2026 13:00", "09/03/2026 17:00"),
            ("return", "10/03/2026 07:30", "10/03/2026 15:00"),
        ]
        assert path.steps[2].citizen
        assert any("48 giờ làm việc còn lại" in line for line in path.explanation)

    def test_birth_after_the_cutoff_on_the_last_day_before_tet(self, container: Container) -> None:
        # Same-day procedure with a 15:00 cut-off: received Fri 13/02 15:30 counts from the next working
        # day, Mon 23/02 07:30, and is due at its closing, 17:00. The clock policy is "none".
        sim = simulate(container, BIRTH, SimulationInput(day="13/02/2026", clock_time="15:30"))

        assert local(sim.happy.due) == "23/02/2026 17:00"
        assert any("15:00" in line and "giờ chốt" in line for line in sim.happy.explanation)
        assert local(sim.supplement.due) == "23/02/2026 17:00"  # clock "none": the wait is not excluded

    def test_nothing_is_written(self, container: Container) -> None:
        simulate(container, RESIDENCE, SimulationInput(day="13/02/2026", clock_time="10:00"))
        with container.transaction() as uow:
            assert uow.session.exec(select(func.count()).select_from(DossierRow)).one() == 0


class TestInput:
    @pytest.mark.parametrize(
        ("data", "field"),
        [
            (SimulationInput(day="31/02/2026"), "day"),
            (SimulationInput(day="2026-02-13"), "day"),
            (SimulationInput(day="13/02/1990"), "day"),
            (SimulationInput(day="13/02/2026", clock_time="25:00"), "clock_time"),
            (SimulationInput(day="13/02/2026", clock_time="9h"), "clock_time"),
            (SimulationInput(day="13/02/2026", version="7"), "version"),
            (SimulationInput(day="13/02/2026", version="x"), "version"),
            (SimulationInput(day="13/02/2026", agency="NOPE"), "agency"),
            (SimulationInput(day="13/02/2026", ask_after_hours="-1"), "ask_after_hours"),
            (SimulationInput(day="13/02/2026", wait_days="1000"), "wait_days"),
        ],
    )
    def test_bad_fields_are_named(self, container: Container, data: SimulationInput, field: str) -> None:
        with pytest.raises((InvalidInput, NotFound)) as caught:
            simulate(container, RESIDENCE, data)
        if isinstance(caught.value, InvalidInput):
            assert field in caught.value.fields
        else:
            assert field == "version"

    def test_unknown_procedure(self, container: Container) -> None:
        with pytest.raises(NotFound):
            simulate(container, "9.999999", SimulationInput(day="13/02/2026"))

    def test_only_administrators(self, container: Container) -> None:
        officer = Actor("o", "motcua.badinh", frozenset({Role.OFFICER}), "H29.12.3")
        with container.transaction() as uow, pytest.raises(Forbidden):
            simulation.simulate(
                container.services, uow, officer, RESIDENCE, SimulationInput(day="13/02/2026")
            )


def test_the_procedures_scenarios_run_from_the_use_case(container: Container) -> None:
    settings = container.settings
    with container.transaction() as uow:
        results = simulation.run_procedure_scenarios(
            uow, ADMIN, BIRTH, settings.processes_dir, lambda clock: build_services(settings, clock)
        )
    assert len(results) == 2
    assert all(r.passed for r in results), [r.problems for r in results]
