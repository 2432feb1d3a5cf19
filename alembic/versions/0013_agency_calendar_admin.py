"""agencies and the calendar administered in pages: cut-off, staff groups, changes and moved due times

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-06 11:00:00

- `agency.cutoff` (HH:MM, nullable) and `agency.staff_groups` (JSON list of identity-provider group paths).
- `admin_change`: an administrator's change (draft with its dry run, then applied in bounded batches with a
  resumable cursor), the audit of who asked and who applied.
- `deadline_shift`: each due time a change moved, once per (change, dossier); the deadline explanation reads it.
- Two indexes on `dossier` that let a change find the running clocks it can move without reading every dossier.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.types

revision: str = "0013"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agency", sa.Column("cutoff", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True))
    op.add_column("agency", sa.Column("staff_groups", sa.JSON(), nullable=False, server_default="[]"))
    op.create_index("ix_dossier_clock_due", "dossier", ["deadline_state", "due_at", "id"], unique=False)
    op.create_index(
        "ix_dossier_agency_clock_due",
        "dossier",
        ["agency_code", "deadline_state", "due_at", "id"],
        unique=False,
    )
    op.create_table(
        "admin_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=True),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True),
        sa.Column("cursor", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("examined", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_by_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("applied_by_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("applied_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_admin_change_state", "admin_change", ["state", "id"], unique=False)
    op.create_table(
        "deadline_shift",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("old_due_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("new_due_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["change_id"], ["admin_change.id"]),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("change_id", "dossier_id"),
    )
    op.create_index("ix_deadline_shift_dossier_id", "deadline_shift", ["dossier_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deadline_shift_dossier_id", table_name="deadline_shift")
    op.drop_table("deadline_shift")
    op.drop_index("ix_admin_change_state", table_name="admin_change")
    op.drop_table("admin_change")
    op.drop_index("ix_dossier_agency_clock_due", table_name="dossier")
    op.drop_index("ix_dossier_clock_due", table_name="dossier")
    op.drop_column("agency", "staff_groups")  # native on SQLite >= 3.35: no rebuild
    op.drop_column("agency", "cutoff")
