"""resident lookups: audit, registry checks, verification tasks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 23:27:43.862430

- `resident_lookup`: one audit row per population-database lookup (who, dossier, purpose, request id, outcome).
- `registry_check`: which form fields of a dossier were verified against the registry, when, by which request;
  or why they could not be (the dossier then waits for an officer's verification task).
- `work_task.kind`: `bpmn` (projected from the workflow) or `verification`; existing rows are `bpmn`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registry_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("actor_subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("registry_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_registry_check_dossier_id"), ["dossier_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_registry_check_task_id"), ["task_id"], unique=False)

    op.create_table(
        "resident_lookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_subject", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor_agency", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("subject_number", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("procedure_code", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("cached", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("request_id"),
    )
    with op.batch_alter_table("resident_lookup", schema=None) as batch_op:
        batch_op.create_index("ix_resident_lookup_agency", ["actor_agency", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resident_lookup_dossier_id"), ["dossier_id"], unique=False)
        batch_op.create_index("ix_resident_lookup_subject", ["subject_number", "id"], unique=False)

    with op.batch_alter_table("work_task", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind", sqlmodel.sql.sqltypes.AutoString(length=20), server_default="bpmn", nullable=False
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("work_task", schema=None) as batch_op:
        batch_op.drop_column("kind")

    with op.batch_alter_table("resident_lookup", schema=None) as batch_op:
        batch_op.drop_index("ix_resident_lookup_subject")
        batch_op.drop_index(batch_op.f("ix_resident_lookup_dossier_id"))
        batch_op.drop_index("ix_resident_lookup_agency")

    op.drop_table("resident_lookup")
    with op.batch_alter_table("registry_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registry_check_task_id"))
        batch_op.drop_index(batch_op.f("ix_registry_check_dossier_id"))

    op.drop_table("registry_check")
