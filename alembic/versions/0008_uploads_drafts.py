"""uploads, the dossiers that reference them, and filing drafts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 00:00:00

- `upload`: one row per uploaded file (random id, content hash into the file store, sniffed type, size,
  safe display name, owner); the bytes live under `data_dir/uploads`, written before the row.
- `dossier_upload`: which dossier's papers reference which upload (staff of its agency may read it).
- `draft`: a citizen's filing in progress (form so far, files per paper, last step), per owner.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "upload",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("mime", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("owner_subject", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("owner_identity_number", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.create_index("ix_upload_owner_number", ["owner_identity_number", "created_at"], unique=False)
        batch_op.create_index("ix_upload_owner_subject", ["owner_subject", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_upload_sha256"), ["sha256"], unique=False)

    op.create_table(
        "dossier_upload",
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("upload_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("paper_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"]),
        sa.ForeignKeyConstraint(["upload_id"], ["upload.id"]),
        sa.PrimaryKeyConstraint("dossier_id", "upload_id"),
    )
    with op.batch_alter_table("dossier_upload", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dossier_upload_upload_id"), ["upload_id"], unique=False)

    op.create_table(
        "draft",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("owner_subject", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("owner_identity_number", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=True),
        sa.Column("procedure_code", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("papers", sa.JSON(), nullable=False),
        sa.Column("registry_values", sa.JSON(), nullable=False),
        sa.Column("last_step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.create_index("ix_draft_owner_number", ["owner_identity_number", "updated_at"], unique=False)
        batch_op.create_index("ix_draft_owner_subject", ["owner_subject", "updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_index("ix_draft_owner_subject")
        batch_op.drop_index("ix_draft_owner_number")
    op.drop_table("draft")
    with op.batch_alter_table("dossier_upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dossier_upload_upload_id"))
    op.drop_table("dossier_upload")
    with op.batch_alter_table("upload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_upload_sha256"))
        batch_op.drop_index("ix_upload_owner_subject")
        batch_op.drop_index("ix_upload_owner_number")
    op.drop_table("upload")
