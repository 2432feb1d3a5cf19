"""open-dossier tally for the IOC summary, kept by triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:40:00

- `dossier_tally` (agency, procedure, deadline state → count of open dossiers) and `dossier_tally_delta`
  (appended ±1 rows). Triggers on `dossier` append a delta whenever a row enters or leaves an open cell:
  insert, delete, or an update of status / deadline_state / agency / procedure. The worker folds the deltas
  (engine/tally.py). Appending instead of updating a shared counter means concurrent filings never queue on
  one row and never deadlock on two.
- Existing open dossiers are counted into the tally once, here.
- `ix_outbox_pending_seq` (status, channel, seq): the delivery claim reads pending rows in seq order through it
  (without it SQLite walks the whole delivered history first).

The open statuses are written out as they are today (1 new, 2 received, 4 processing, 5 supplement,
6 payment): a migration is a snapshot; a later change of the set needs a migration of its own.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "(1, 2, 4, 5, 6)"
KEYS = ("agency_code", "procedure_code", "deadline_state")

SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER dossier_tally_insert AFTER INSERT ON dossier
    WHEN NEW.status IN {OPEN}
    BEGIN
      INSERT INTO dossier_tally_delta (agency_code, procedure_code, deadline_state, delta)
      VALUES (NEW.agency_code, NEW.procedure_code, NEW.deadline_state, 1);
    END
    """,
    f"""
    CREATE TRIGGER dossier_tally_delete AFTER DELETE ON dossier
    WHEN OLD.status IN {OPEN}
    BEGIN
      INSERT INTO dossier_tally_delta (agency_code, procedure_code, deadline_state, delta)
      VALUES (OLD.agency_code, OLD.procedure_code, OLD.deadline_state, -1);
    END
    """,
    f"""
    CREATE TRIGGER dossier_tally_leave
    AFTER UPDATE OF status, deadline_state, agency_code, procedure_code ON dossier
    WHEN OLD.status IN {OPEN} AND NOT (
      NEW.status IN {OPEN} AND NEW.agency_code = OLD.agency_code
      AND NEW.procedure_code = OLD.procedure_code AND NEW.deadline_state = OLD.deadline_state)
    BEGIN
      INSERT INTO dossier_tally_delta (agency_code, procedure_code, deadline_state, delta)
      VALUES (OLD.agency_code, OLD.procedure_code, OLD.deadline_state, -1);
    END
    """,
    f"""
    CREATE TRIGGER dossier_tally_enter
    AFTER UPDATE OF status, deadline_state, agency_code, procedure_code ON dossier
    WHEN NEW.status IN {OPEN} AND NOT (
      OLD.status IN {OPEN} AND NEW.agency_code = OLD.agency_code
      AND NEW.procedure_code = OLD.procedure_code AND NEW.deadline_state = OLD.deadline_state)
    BEGIN
      INSERT INTO dossier_tally_delta (agency_code, procedure_code, deadline_state, delta)
      VALUES (NEW.agency_code, NEW.procedure_code, NEW.deadline_state, 1);
    END
    """,
]

POSTGRES_FUNCTION = f"""
CREATE FUNCTION motcua_dossier_tally() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  same_cell boolean := false;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    same_cell := OLD.status IN {OPEN} AND NEW.status IN {OPEN}
      AND NEW.agency_code = OLD.agency_code AND NEW.procedure_code = OLD.procedure_code
      AND NEW.deadline_state = OLD.deadline_state;
    IF same_cell THEN
      RETURN NULL;
    END IF;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    IF OLD.status IN {OPEN} THEN
      INSERT INTO dossier_tally_delta (agency_code, procedure_code, deadline_state, delta)
      VALUES (OLD.agency_code, OLD.procedure_code, OLD.deadline_state, -1);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.status IN {OPEN} THEN
      INSERT INTO dossier_tally_delta (agency_code, procedure_code, deadline_state, delta)
      VALUES (NEW.agency_code, NEW.procedure_code, NEW.deadline_state, 1);
    END IF;
  END IF;
  RETURN NULL;
END
$$
"""

POSTGRES_TRIGGER = """
CREATE TRIGGER dossier_tally
AFTER INSERT OR DELETE OR UPDATE OF status, deadline_state, agency_code, procedure_code ON dossier
FOR EACH ROW EXECUTE FUNCTION motcua_dossier_tally()
"""

BACKFILL = f"""
INSERT INTO dossier_tally (agency_code, procedure_code, deadline_state, count)
SELECT agency_code, procedure_code, deadline_state, COUNT(*) FROM dossier
WHERE status IN {OPEN} GROUP BY agency_code, procedure_code, deadline_state
"""


def upgrade() -> None:
    op.create_table(
        "dossier_tally",
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("procedure_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("deadline_state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*KEYS),
    )
    op.create_table(
        "dossier_tally_delta",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("procedure_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("deadline_state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    op.execute(BACKFILL)
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_pending_seq", ["status", "channel", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending_seq")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS dossier_tally ON dossier")
        op.execute("DROP FUNCTION IF EXISTS motcua_dossier_tally()")
    else:
        for name in ("insert", "delete", "leave", "enter"):
            op.execute(f"DROP TRIGGER IF EXISTS dossier_tally_{name}")
    op.drop_table("dossier_tally_delta")
    op.drop_table("dossier_tally")
