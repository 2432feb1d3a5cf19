"""procedure workshop: drafts in the database, version files, who published and retired each version

Revision ID: 0017
Revises: 0018
Create Date: 2026-12-06 18:00:00

- `procedure_draft` + `procedure_draft_file`: a procedure folder being authored in the browser.
- `procedure_version_file`: the files of each published version, so a version exports as a folder.
- `procedure_version`: `published_by`, `published_by_name`, `change_summary`, `retired_at`, `retired_by`.
- open dossiers per version are counted on 0018's `ix_dossier_version_status_id` (version, status, id).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from engine.store.types import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSION_COLUMNS = ("published_by", "published_by_name", "change_summary", "retired_at", "retired_by")


def upgrade() -> None:
    op.add_column(
        "procedure_version", sa.Column("published_by", sqlmodel.AutoString(length=255), nullable=True)
    )
    op.add_column(
        "procedure_version", sa.Column("published_by_name", sqlmodel.AutoString(length=255), nullable=True)
    )
    op.add_column("procedure_version", sa.Column("change_summary", sa.JSON(), nullable=True))
    op.add_column("procedure_version", sa.Column("retired_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column(
        "procedure_version", sa.Column("retired_by", sqlmodel.AutoString(length=255), nullable=True)
    )
    op.create_table(
        "procedure_version_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("path", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["procedure_version.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("version_id", "path"),
    )
    op.create_index("ix_procedure_version_file_version_id", "procedure_version_file", ["version_id"])
    op.create_table(
        "procedure_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.AutoString(length=40), nullable=False),
        sa.Column("slug", sqlmodel.AutoString(length=80), nullable=False),
        sa.Column("name", sqlmodel.AutoString(length=300), nullable=False),
        sa.Column("state", sqlmodel.AutoString(length=12), nullable=False),
        sa.Column("base_version_id", sa.Integer(), nullable=True),
        sa.Column("published_version_id", sa.Integer(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=True),
        sa.Column("checked_hash", sqlmodel.AutoString(length=64), nullable=True),
        sa.Column("checked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sqlmodel.AutoString(length=255), nullable=False),
        sa.Column("created_by_name", sqlmodel.AutoString(length=255), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.AutoString(length=255), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["base_version_id"], ["procedure_version.id"]),
        sa.ForeignKeyConstraint(["published_version_id"], ["procedure_version.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_procedure_draft_code_state", "procedure_draft", ["code", "state"])
    op.create_table(
        "procedure_draft_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("path", sqlmodel.AutoString(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["procedure_draft.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id", "path"),
    )
    op.create_index("ix_procedure_draft_file_draft_id", "procedure_draft_file", ["draft_id"])


def downgrade() -> None:
    op.drop_index("ix_procedure_draft_file_draft_id", table_name="procedure_draft_file")
    op.drop_table("procedure_draft_file")
    op.drop_index("ix_procedure_draft_code_state", table_name="procedure_draft")
    op.drop_table("procedure_draft")
    op.drop_index("ix_procedure_version_file_version_id", table_name="procedure_version_file")
    op.drop_table("procedure_version_file")
    for name in reversed(VERSION_COLUMNS):
        op.drop_column("procedure_version", name)
