"""A second published version of a procedure for tests: a copy of its processes/ folder, edited, published.

`publish_edited` copies `processes/<slug>` into a temporary folder, applies text edits to `procedure.yaml` and
`process.bpmn`, and publishes it through engine/catalog.py (or engine/checks.py when the scenarios still
hold).
`restore_versions` puts the catalogue back after the test: the added versions go, the others are as they were.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import select

from engine.catalog import Published, publish_folders
from engine.checks import publish_checked
from engine.store.models import ProcedureVersionRow
from portal.wiring import Container, build_services
from tests.conftest import VOLATILE

ROOT = Path(__file__).resolve().parent.parent
RESIDENCE_SLUG = "permanent-residence"

# Version 2 of permanent residence as these tests publish it: 10 working days instead of 7, and the leader's
# task renamed (Task_Approval → Task_Decision), so a dossier waiting for the leader has no counterpart.
LONGER_AND_RENAMED = (
    ("procedure.yaml", "amount: 7\n", "amount: 10\n"),
    ("process.bpmn", "Task_Approval", "Task_Decision"),
    ("process.bpmn", 'name="Phê duyệt kết quả"', 'name="Quyết định cấp đăng ký"'),
)
# A version the full check accepts (same deadline, the scenarios still pass): the leader's task renamed only.
RENAMED_ONLY = (("process.bpmn", "Task_Approval", "Task_Decision"),)


def edited_copy(tmp: Path, edits: tuple[tuple[str, str, str], ...], slug: str = RESIDENCE_SLUG) -> Path:
    """A copy of processes/<slug> under tmp with each (file, old, new) replacement applied (each must hit)."""
    folder = tmp / "processes" / slug
    shutil.copytree(ROOT / "processes" / slug, folder)
    for name, old, new in edits:
        path = folder / name
        content = path.read_text(encoding="utf-8")
        assert old in content, f"{old!r} not in {name}"
        path.write_text(content.replace(old, new), encoding="utf-8")
    return folder


def publish_edited(
    container: Container, tmp: Path, edits: tuple[tuple[str, str, str], ...], *, checked: bool = False
) -> Published:
    """Publish the edited copy as the procedure's next version (through the full check when `checked`)."""
    folder = edited_copy(tmp, edits)
    now = container.services.clock.now()
    if checked:
        outcome = publish_checked(
            container.transaction,
            container.services.runtime,
            container.services.forms,
            lambda clock: build_services(container.settings, clock),
            folder,
            now,
        )
        assert not outcome.refused, [r.problems for r in outcome.refused]
        return outcome.published[0]
    with container.transaction() as uow:
        return publish_folders(uow, container.services.runtime, folder, now)[0]


def restoring_versions(container: Container) -> Iterator[Container]:
    """After the test: its dossiers go, then the versions it published (with their files and now unused
    specs); the versions there before get back whether they were current or retired."""
    with container.transaction() as uow:
        rows = uow.session.exec(select(ProcedureVersionRow)).all()
        saved = {r.id: (r.is_current, r.retired_at, r.retired_by) for r in rows}
    yield container
    ids = ",".join(str(i) for i in saved) or "0"
    with container.engine.begin() as conn:
        for table in VOLATILE:
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text(f"DELETE FROM procedure_version_file WHERE version_id NOT IN ({ids})"))
        conn.execute(text(f"DELETE FROM procedure_version WHERE id NOT IN ({ids})"))
        conn.execute(
            text("DELETE FROM bpmn_spec WHERE spec_hash NOT IN (SELECT spec_hash FROM procedure_version)")
        )
    with container.transaction() as uow:
        for row in uow.session.exec(select(ProcedureVersionRow)).all():
            row.is_current, row.retired_at, row.retired_by = saved[row.id]
            uow.session.add(row)


@pytest.fixture
def restore_versions(container: Container) -> Iterator[None]:
    """The catalogue as it was before the test (see `restoring_versions`)."""
    for _ in restoring_versions(container):
        yield
