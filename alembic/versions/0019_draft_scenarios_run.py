"""the workshop's scenario editor: how many scenarios a draft's last check ran

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-06 21:00:00

- `procedure_draft.scenarios_run`: the scenario files the last check ran (0 when it stopped at an earlier
  problem, NULL before the first check), so that the draft page can say of each scenario «passed», its
  problems, or «not run yet» from the stored check alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("procedure_draft", sa.Column("scenarios_run", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("procedure_draft") as batch:
        batch.drop_column("scenarios_run")
