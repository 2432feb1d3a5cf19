"""transactional outbox; deadline-watch columns

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 22:50:26.480481

- `outbox_event`: events (IOC, notifications) written in the transaction that caused them, delivered later.
- `dossier.deadline_state` / `near_due_at` and `work_task.overdue_reported`, with the indexes the deadline
  scan reads through. Server defaults let existing rows migrate.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_event",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("delivered_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_to", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("acked_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("acked_by_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("ack_note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"]),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_agency_seq", ["agency_code", "seq"], unique=False)
        batch_op.create_index("ix_outbox_dossier_seq", ["dossier_id", "seq"], unique=False)
        batch_op.create_index("ix_outbox_due", ["status", "channel", "next_attempt_at"], unique=False)

    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deadline_state",
                sqlmodel.sql.sqltypes.AutoString(),
                server_default="on_track",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("near_due_at", engine.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_dossier_due_watch", ["deadline_state", "due_at"], unique=False)
        batch_op.create_index("ix_dossier_watch", ["deadline_state", "near_due_at"], unique=False)

    with op.batch_alter_table("work_task", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overdue_reported", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_index("ix_work_task_overdue", ["overdue_reported", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_task", schema=None) as batch_op:
        batch_op.drop_index("ix_work_task_overdue")
        batch_op.drop_column("overdue_reported")

    with op.batch_alter_table("dossier", schema=None) as batch_op:
        batch_op.drop_index("ix_dossier_watch")
        batch_op.drop_index("ix_dossier_due_watch")
        batch_op.drop_column("near_due_at")
        batch_op.drop_column("deadline_state")

    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")
        batch_op.drop_index("ix_outbox_dossier_seq")
        batch_op.drop_index("ix_outbox_agency_seq")

    op.drop_table("outbox_event")
