"""satisfaction ratings (once per dossier, per officer) and the open-data release log

Revision ID: 0016
Revises: 0017
Create Date: 2026-12-06 18:00:00

- `rating`: the citizen's rating of a returned dossier (Circular 01/2018 Art. 12–15), unique per dossier, with
  the receiving agency and procedure copied so that aggregation reads ratings only (index by agency and time).
- `rating_officer`: the officers a rating counts for (those who finished a step of the dossier).
- `open_data_release`: per open-data file, its content hash and since when it is so (ETag, Last-Modified).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.types

revision: str = "0016"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.Column("procedure_code", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.Column("via", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("overall", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        *(sa.Column(f"indicator_{n}", sa.Integer(), nullable=True) for n in (1, 2, 3, 4, 6, 7)),
        sa.Column("prefill", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("rated_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("rated_by", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("rated_by_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossier.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dossier_id"),
    )
    op.create_index("ix_rating_agency_rated", "rating", ["agency_code", "rated_at"], unique=False)
    op.create_index("ix_rating_rated", "rating", ["rated_at"], unique=False)
    op.create_table(
        "rating_officer",
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("officer", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=False),
        sa.ForeignKeyConstraint(["rating_id"], ["rating.id"]),
        sa.PrimaryKeyConstraint("rating_id", "officer"),
    )
    op.create_index("ix_rating_officer_agency", "rating_officer", ["agency_code", "officer"], unique=False)
    op.create_table(
        "open_data_release",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("etag", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("modified_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("open_data_release")
    op.drop_index("ix_rating_officer_agency", table_name="rating_officer")
    op.drop_table("rating_officer")
    op.drop_index("ix_rating_rated", table_name="rating")
    op.drop_index("ix_rating_agency_rated", table_name="rating")
    op.drop_table("rating")
