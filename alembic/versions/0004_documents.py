"""documents, their numbering and the register

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 23:29:13.828909

- `document`: every printed document (Mẫu 01–06, stop notice, result): its data snapshot and content hash,
  then its PDF, SHA-256 and signature; indexes for a dossier's documents, the rendering round (pending rows)
  and public verification (content hash).
- `document_sequence`: numbers per agency, year and series (the register, Mẫu 02, ...).
- `register_entry`: the register (Sổ theo dõi hồ sơ, Mẫu 06), one line per received dossier.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_sequence",
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("series", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency_code", "year", "series"),
    )
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=True),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("template", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("content_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("issued_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("rendered_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("lease_until", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("signature_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_code"],
            ["agency.code"],
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index("ix_document_agency_kind", ["agency_code", "kind", "year", "id"], unique=False)
        batch_op.create_index("ix_document_content_hash", ["content_hash"], unique=False)
        batch_op.create_index("ix_document_dossier", ["dossier_id", "id"], unique=False)
        batch_op.create_index("ix_document_pending", ["status", "lease_until"], unique=False)

    op.create_table(
        "register_entry",
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("received_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("returned_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("return_method", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossier.id"],
        ),
        sa.PrimaryKeyConstraint("agency_code", "year", "number"),
        sa.UniqueConstraint("dossier_id"),
    )


def downgrade() -> None:
    op.drop_table("register_entry")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index("ix_document_pending")
        batch_op.drop_index("ix_document_dossier")
        batch_op.drop_index("ix_document_content_hash")
        batch_op.drop_index("ix_document_agency_kind")

    op.drop_table("document")
    op.drop_table("document_sequence")
