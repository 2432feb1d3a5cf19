"""Composition root: build the services a process needs from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from engine.clock import Clock, SystemClock
from engine.forms import FormRegistry
from engine.services import Services
from engine.store.db import UnitOfWork, make_engine, unit_of_work
from engine.workflow.helpers import script_helpers
from engine.workflow.spiff import SpiffRuntime
from portal.settings import Settings


@dataclass
class Container:
    """Everything one process shares across requests."""

    settings: Settings
    engine: Engine
    services: Services

    @contextmanager
    def transaction(self) -> Iterator[UnitOfWork]:
        """One unit of work: commit on success, roll back on error."""
        with unit_of_work(self.engine) as uow:
            yield uow


_RUNTIMES: dict[int, SpiffRuntime] = {}


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    """Runtime (one per process and loop cap: parsed specs are shared), clock and forms."""
    runtime = _RUNTIMES.get(settings.max_loop_rounds)
    if runtime is None:
        runtime = SpiffRuntime(helpers=script_helpers(), max_loop_rounds=settings.max_loop_rounds)
        _RUNTIMES[settings.max_loop_rounds] = runtime
    clock = clock or SystemClock()
    return Services(
        runtime=runtime,
        clock=clock,
        forms=FormRegistry(settings.forms_dir, clock),
        near_due_share=settings.near_due_share,
        timeliness_by_date=settings.timeliness_by_date,
    )


def build(settings: Settings, clock: Clock | None = None, engine: Engine | None = None) -> Container:
    """Wire the services and the database engine."""
    return Container(settings, engine or make_engine(settings.database_url), build_services(settings, clock))
