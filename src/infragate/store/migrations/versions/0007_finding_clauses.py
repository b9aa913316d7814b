"""the policy clause a finding breaks (infrastructure tests cite ICP-3.2 or ICP-1.1 per check)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as table:
        table.add_column(sa.Column("clause", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("findings") as table:
        table.drop_column("clause")
