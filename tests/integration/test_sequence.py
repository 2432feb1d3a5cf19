"""Dossier codes stay unique when many people file at the same agency at the same moment (docs/domain.md §3).

Runs on both backends of the `database` fixture: SQLite (file, WAL) and the real PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from engine.actor import Actor, Role
from engine.clock import FixedClock
from engine.dossier.code import is_dossier_code
from engine.store.db import unit_of_work
from engine.store.sequence import next_sequence
from engine.usecases.dossiers import FileDossier, file_dossier
from portal.wiring import Container
from tests.builders import APPLICANT_AN, BA_DINH, HOAN_KIEM, RESIDENCE, form_sample

THREADS = 8
PER_THREAD = 25
T = TypeVar("T")

CITIZEN_AN = Actor(
    subject="dev:nguyenvanan",
    username="nguyenvanan",
    roles=frozenset({Role.CITIZEN}),
    identity_number="001088012345",
    full_name="Nguyễn Văn An",
)


def in_threads(work: Callable[[int], list[T]], threads: int = THREADS) -> list[T]:
    """Run `work(thread_number)` in parallel threads released together; return everything they made."""
    barrier = threading.Barrier(threads)

    def run(number: int) -> list[T]:
        barrier.wait()
        return work(number)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [item for chunk in pool.map(run, range(threads)) for item in chunk]


@pytest.fixture
def sequences(database: Engine) -> Iterator[Engine]:
    """The migrated database; the counters this test took are removed afterwards."""
    yield database
    with database.begin() as conn:
        conn.execute(text("DELETE FROM dossier_sequence WHERE agency_code LIKE 'T99.%'"))


def take(engine: Engine, agency: str, day: date, count: int) -> list[int]:
    """Take `count` numbers, each in its own unit of work (as each filing request does)."""
    numbers = []
    for _ in range(count):
        with unit_of_work(engine) as uow:
            numbers.append(next_sequence(uow, agency, day))
    return numbers


class TestNextSequence:
    def test_starts_at_one_and_counts_per_agency_and_per_day(self, sequences: Engine) -> None:
        day = date(2026, 3, 2)
        assert take(sequences, "T99.1", day, 3) == [1, 2, 3]
        assert take(sequences, "T99.2", day, 2) == [1, 2]
        assert take(sequences, "T99.1", date(2026, 3, 3), 1) == [1]
        assert take(sequences, "T99.1", day, 1) == [4]

    def test_concurrent_requests_get_every_number_exactly_once(self, sequences: Engine) -> None:
        day = date(2026, 3, 2)
        numbers = in_threads(lambda _n: take(sequences, "T99.3", day, PER_THREAD))
        assert sorted(numbers) == list(range(1, THREADS * PER_THREAD + 1))

    def test_a_rolled_back_filing_does_not_consume_a_number(self, sequences: Engine) -> None:
        day = date(2026, 3, 2)
        assert take(sequences, "T99.4", day, 1) == [1]
        taken: list[int] = []

        def file_then_fail() -> None:
            with unit_of_work(sequences) as uow:
                taken.append(next_sequence(uow, "T99.4", day))
                raise RuntimeError("invalid dossier")

        with pytest.raises(RuntimeError, match="invalid dossier"):
            file_then_fail()
        assert taken == [2]
        assert take(sequences, "T99.4", day, 1) == [2]


class TestConcurrentFiling:
    def file_many(self, container: Container, count: int, agency: str = BA_DINH) -> list[str]:
        """File `count` online dossiers one after the other, each in its own unit of work."""
        codes = []
        for _ in range(count):
            with container.transaction() as uow:
                dossier = file_dossier(
                    container.services,
                    uow,
                    CITIZEN_AN,
                    FileDossier(
                        procedure=RESIDENCE,
                        agency=agency,
                        channel="online",
                        applicant=dict(APPLICANT_AN),
                        form=form_sample("permanent-residence"),
                    ),
                )
                codes.append(dossier.code)
        return codes

    def test_dossiers_filed_at_the_same_moment_get_distinct_consecutive_codes(
        self, container: Container
    ) -> None:
        per_thread = 4
        codes = in_threads(lambda _n: self.file_many(container, per_thread))
        total = THREADS * per_thread
        assert len(set(codes)) == total
        assert all(is_dossier_code(code) for code in codes)
        assert {code.rsplit("-", 1)[0] for code in codes} == {"H29.12.3-260302"}
        assert sorted(int(code.rsplit("-", 1)[1]) for code in codes) == list(range(1, total + 1))
        with container.transaction() as uow:
            stored = uow.session.execute(text("SELECT code FROM dossier")).scalars().all()
        assert sorted(stored) == sorted(codes)

    def test_each_agency_numbers_its_own_dossiers(self, container: Container) -> None:
        assert self.file_many(container, 2) == ["H29.12.3-260302-0001", "H29.12.3-260302-0002"]
        assert self.file_many(container, 1, HOAN_KIEM) == ["H29.12.5-260302-0001"]
        assert self.file_many(container, 1) == ["H29.12.3-260302-0003"]

    def test_a_filing_just_after_local_midnight_carries_the_new_local_date(
        self, container: Container, clock: FixedClock
    ) -> None:
        clock.set(datetime.fromisoformat("2026-03-01T23:30:00+07:00"))
        assert self.file_many(container, 1) == ["H29.12.3-260301-0001"]
        # 00:30 local on 2 March is still 1 March in UTC: the code takes the local date and restarts at 1.
        clock.set(datetime.fromisoformat("2026-03-02T00:30:00+07:00"))
        assert self.file_many(container, 1) == ["H29.12.3-260302-0001"]
