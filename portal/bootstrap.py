"""Bring a database to a usable state: migrations, published procedures, demo data."""

from __future__ import annotations

import logging

from engine.catalog import Published
from engine.checks import PublishOutcome, publish_checked
from engine.store.migrate import upgrade
from engine.store.models import AgencyRow
from engine.usecases.calendars import seed_exceptions
from portal.demo import seed_demo_dossiers
from portal.wiring import Container, build_services

log = logging.getLogger("motcua")

DEMO_AGENCIES = (
    AgencyRow(
        code="H29.12.3",
        name="UBND phường Ba Đình",
        level="commune",
        province_code="01",
        address="Số 1 phố Đội Cấn, phường Ba Đình, thành phố Hà Nội",
        phone="024 3823 0000",
    ),
    AgencyRow(
        code="H29.12.5",
        name="UBND phường Hoàn Kiếm",
        level="commune",
        province_code="01",
        address="Số 126 phố Hàng Trống, phường Hoàn Kiếm, thành phố Hà Nội",
        phone="024 3825 0000",
    ),
)


def seed_calendar(container: Container) -> int:
    """Insert the known calendar exceptions (make-up Saturdays) once."""
    with container.transaction() as uow:
        return seed_exceptions(uow)


def seed_demo_agencies(container: Container) -> int:
    """Insert the demo agencies if missing."""
    added = 0
    with container.transaction() as uow:
        for agency in DEMO_AGENCIES:
            if uow.session.get(AgencyRow, agency.code) is None:
                uow.session.add(AgencyRow.model_validate(agency.model_dump()))
                added += 1
    return added


def publish(container: Container) -> list[Published]:
    """Publish changed procedure folders that pass the full check; log each refused folder's problems."""
    settings = container.settings
    outcome: PublishOutcome = publish_checked(
        container.transaction,
        container.services.runtime,
        container.services.forms,
        lambda clock: build_services(settings, clock),
        settings.processes_dir,
        container.services.clock.now(),
    )
    for report in outcome.refused:
        log.error(
            "procedure folder %s refused, not published (%d problem(s)):\n%s",
            report.path,
            len(report.problems),
            "\n".join(f"  - {problem}" for problem in report.problems),
        )
    return outcome.published


def prepare(container: Container, *, migrate: bool = True, demo_dossiers: bool = False) -> None:
    """Migrate, publish procedures, seed the calendar and (embedded default) the demo agencies.

    With `demo_dossiers` (`motcua serve`), a database without any dossier also gets the demo dossiers
    (portal/demo.py) unless MOTCUA_SEED_DEMO=false or in production.
    """
    if migrate:
        upgrade(container.engine)
    seed_calendar(container)
    demo = container.settings.seed_demo and container.settings.env != "production"
    if demo:
        seed_demo_agencies(container)
    for item in publish(container):
        if item.created:
            log.info("published procedure %s version %s", item.code, item.version)
    if demo and demo_dossiers:
        seed_demo_dossiers(container)
