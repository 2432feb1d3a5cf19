"""running dossiers moved to another version of their procedure: the move's record, the term kept

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-06 18:00:00

- `version_move`: one row per dossier moved (from → to version, policy, the administrator's note, the due
  time before and after); the dossier's timeline and deadline explanation show it.
- `ix_dossier_version_status_id`: the open dossiers of one version, keyset on id (the move's dry run).
- `dossier.term_version_id`: the version whose legal term the clock keeps counting after a move that kept
  the term the dossier started with (no foreign key: SQLite drops the column natively on downgrade).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.types

revision: str = "0018"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("dossier", sa.Column("term_version_id", sa.Integer(), nullable=True))
    op.create_index(
        "ix_dossier_version_status_id", "dossier", ["procedure_version_id", "status", "id"], unique=False
    )
    op.create_table(
        "version_move",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("from_version_id", sa.Integer(), nullable=False),
        sa.Column("to_version_id", sa.Integer(), nullable=False),
        sa.Column("policy", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("old_due_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("new_due_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("actor_subject", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"]),
        sa.ForeignKeyConstraint(["from_version_id"], ["procedure_version.id"]),
        sa.ForeignKeyConstraint(["to_version_id"], ["procedure_version.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_version_move_dossier_id", "version_move", ["dossier_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_version_move_dossier_id", table_name="version_move")
    op.drop_table("version_move")
    op.drop_index("ix_dossier_version_status_id", table_name="dossier")
    op.drop_column("dossier", "term_version_id")
