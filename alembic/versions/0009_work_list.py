"""the work list's keys on work_task

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:30:00

- `work_task.procedure_code`, `deadline_rank` (0 overdue, 1 near due, 2 on track, 3 no running clock) and
  `deadline_at` (the dossier's due time; the task's ready time when no clock runs): copies of the dossier's
  values, kept in step by engine/usecases/progress.py and the deadline scan, so that the work list
  (engine/usecases/worklist.py) sorts and filters through one index without reading dossiers.
- `ix_work_task_list` (agency, role, rank, due, id), `ix_work_task_list_procedure` (… procedure …) and
  `ix_work_task_list_assignee` (assignee, rank, due, id), `ix_work_task_list_agency` (agency, rank, due, id:
  a leader's view of the whole agency): a keyset page walks one of them in order and stops.
- Existing rows are filled from their dossiers here.

The ranks are written out as they are today: a migration is a snapshot.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOCKED = "('overdue', 'near_due', 'on_track')"

BACKFILL = f"""
UPDATE work_task SET
  procedure_code = (SELECT d.procedure_code FROM dossier d WHERE d.id = work_task.dossier_id),
  deadline_rank = COALESCE((
    SELECT CASE
      WHEN d.due_at IS NULL THEN 3
      WHEN d.deadline_state = 'overdue' THEN 0
      WHEN d.deadline_state = 'near_due' THEN 1
      WHEN d.deadline_state = 'on_track' THEN 2
      ELSE 3 END
    FROM dossier d WHERE d.id = work_task.dossier_id), 3),
  deadline_at = COALESCE((
    SELECT d.due_at FROM dossier d
    WHERE d.id = work_task.dossier_id AND d.deadline_state IN {CLOCKED}), ready_at)
"""

LIST = ["agency_code", "role", "deadline_rank", "deadline_at", "id"]
BY_PROCEDURE = ["agency_code", "role", "procedure_code", "deadline_rank", "deadline_at", "id"]
BY_ASSIGNEE = ["assignee", "deadline_rank", "deadline_at", "id"]
AGENCY = ["agency_code", "deadline_rank", "deadline_at", "id"]


def upgrade() -> None:
    with op.batch_alter_table("work_task", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("procedure_code", sqlmodel.sql.sqltypes.AutoString(), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("deadline_rank", sa.Integer(), server_default="3", nullable=False))
        batch_op.add_column(
            sa.Column("deadline_at", engine.store.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(BACKFILL)
    with op.batch_alter_table("work_task", schema=None) as batch_op:
        batch_op.alter_column(
            "deadline_at", existing_type=engine.store.types.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.create_index("ix_work_task_list", LIST, unique=False)
        batch_op.create_index("ix_work_task_list_procedure", BY_PROCEDURE, unique=False)
        batch_op.create_index("ix_work_task_list_assignee", BY_ASSIGNEE, unique=False)
        batch_op.create_index("ix_work_task_list_agency", AGENCY, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_task", schema=None) as batch_op:
        batch_op.drop_index("ix_work_task_list_agency")
        batch_op.drop_index("ix_work_task_list_assignee")
        batch_op.drop_index("ix_work_task_list_procedure")
        batch_op.drop_index("ix_work_task_list")
        batch_op.drop_column("deadline_at")
        batch_op.drop_column("deadline_rank")
        batch_op.drop_column("procedure_code")
