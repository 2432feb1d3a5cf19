"""dossier access keys, idempotency records, rate-limit windows

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:10:00

- `dossier.access_key` (mã tra cứu): a random key printed on the receipt beside the sequential code; the public
  lookup needs both, so a day's codes cannot be enumerated. Existing rows get a fresh key here (their printed
  receipts carry none: the applicant sees it signed in, or asks the agency, whose staff see it).
- `idempotency_record`: the first answer to a request sent with an `Idempotency-Key`, per actor and key,
  written in the transaction of the change; `expires_at` indexed for the worker's bounded pruning.
- `rate_limit`: fixed-window counters shared by every `serve` process (anonymous tracking per client address).

The alphabet and length are written out as they are today: a migration is a snapshot.
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
BATCH = 1000


def _key() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(10))


def _backfill() -> None:
    bind = op.get_bind()
    dossier = sa.table("dossier", sa.column("id", sa.Integer), sa.column("access_key", sa.String))
    last = 0
    while True:
        ids = [
            row[0]
            for row in bind.execute(
                sa.select(dossier.c.id).where(dossier.c.id > last).order_by(dossier.c.id).limit(BATCH)
            )
        ]
        if not ids:
            return
        bind.execute(
            dossier.update().where(dossier.c.id == sa.bindparam("b_id")).values(access_key=sa.bindparam("k")),
            [{"b_id": i, "k": _key()} for i in ids],
        )
        last = ids[-1]


def upgrade() -> None:
    # ADD COLUMN with a constant default: no table rebuild, which on SQLite (foreign keys on) would fail to
    # drop a `dossier` that other rows reference. The default is never used after the backfill (the model
    # always sets a key) and an empty key matches nothing.
    op.add_column(
        "dossier",
        sa.Column(
            "access_key", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False, server_default=""
        ),
    )
    _backfill()
    if op.get_bind().dialect.name != "sqlite":  # SQLite cannot drop a default without a rebuild
        op.alter_column("dossier", "access_key", server_default=None)
    op.create_table(
        "idempotency_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.JSON(), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("actor", "key", name="uq_idempotency_actor_key"),
    )
    op.create_index("ix_idempotency_record_expires_at", "idempotency_record", ["expires_at"], unique=False)
    op.create_table(
        "rate_limit",
        sa.Column("bucket", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("window_start", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket"),
    )


def downgrade() -> None:
    op.drop_table("rate_limit")
    op.drop_index("ix_idempotency_record_expires_at", table_name="idempotency_record")
    op.drop_table("idempotency_record")
    op.drop_column("dossier", "access_key")  # native on SQLite ≥ 3.35: no rebuild
