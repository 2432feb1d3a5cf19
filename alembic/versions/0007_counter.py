"""the one-stop counter's queues

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 00:00:00

- `dossier`: `ix_dossier_agency_status` (agency, status) becomes `ix_dossier_agency_status_id` (agency, status,
  id), so that the reception queue (status 1) and the results to return (status 9) of an agency are read
  oldest first, a keyset page at a time, from the index alone — on PostgreSQL too, where a b-tree on
  (agency, status) cannot give the rows in id order. The new index serves every query the old one did.

Plain CREATE/DROP INDEX, not a batch operation: on SQLite a batch would rebuild `dossier` and drop its tally
triggers (migration 0003).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_dossier_agency_status_id", "dossier", ["agency_code", "status", "id"], unique=False)
    op.drop_index("ix_dossier_agency_status", table_name="dossier")


def downgrade() -> None:
    op.create_index("ix_dossier_agency_status", "dossier", ["agency_code", "status"], unique=False)
    op.drop_index("ix_dossier_agency_status_id", table_name="dossier")
