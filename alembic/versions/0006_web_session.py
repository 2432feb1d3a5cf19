"""browser sessions of the portal (Keycloak login)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 00:00:00

- `web_session`: server-side sessions (cookie value hashed), pending OIDC logins and active sessions with
  their tokens; indexed by expiry so expired rows are removed in small batches.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import engine.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("csrf", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", engine.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("oidc_state", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("code_verifier", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("return_to", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("claims", sa.JSON(), nullable=True),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("access_expires_at", engine.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("id_token", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index("ix_web_session_expires", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index("ix_web_session_expires")
    op.drop_table("web_session")
