"""project memberships

Roles on projects become memberships (user, project, role). Before this revision a role was global and a
design's owners became users with those roles everywhere; afterwards only ``admin`` stays global. Existing
stores keep what their projects' designs said: each project's latest recorded design grants its named owners
their role on that project only (``granted_by`` says so), and the global project roles are dropped.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
import yaml
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PROJECT_ROLES = ("lead", "infra", "developer", "security")


def upgrade() -> None:
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("granted_by", sa.String(length=120), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("project_id", "user_id", "role", name="uq_membership"),
    )
    op.create_index("ix_memberships_project_id", "memberships", ["project_id"])
    op.create_index("ix_memberships_user_id", "memberships", ["user_id"])
    _memberships_from_recorded_designs()


def _memberships_from_recorded_designs() -> None:
    bind = op.get_bind()
    users = {
        name: (user_id, roles) for user_id, name, roles in bind.execute(sa.text("SELECT id, name, roles FROM users"))
    }
    now = datetime.now(UTC)
    latest = bind.execute(
        sa.text(
            "SELECT d.project_id, d.content FROM design_versions d WHERE d.id IN "
            "(SELECT MAX(id) FROM design_versions GROUP BY project_id)"
        )
    )
    table = sa.table(
        "memberships",
        sa.column("project_id", sa.Integer()),
        sa.column("user_id", sa.Integer()),
        sa.column("role", sa.String()),
        sa.column("granted_by", sa.String()),
        sa.column("granted_at", sa.DateTime(timezone=True)),
    )
    rows: list[dict[str, object]] = []
    for project_id, content in latest:
        for role, person in _owners(content):
            known = users.get(person)
            if known is not None and role in _roles(known[1]):
                rows.append(
                    {
                        "project_id": project_id,
                        "user_id": known[0],
                        "role": role,
                        "granted_by": "migration 0005",
                        "granted_at": now,
                    }
                )
    if rows:
        op.bulk_insert(table, rows)
    users_table = sa.table("users", sa.column("id", sa.Integer()), sa.column("roles", sa.JSON()))
    for user_id, roles in users.values():
        kept = [role for role in _roles(roles) if role not in PROJECT_ROLES]
        bind.execute(users_table.update().where(users_table.c.id == user_id).values(roles=kept))


def _roles(value: object) -> list[str]:
    """A JSON list of role names, as SQLite (text) or PostgreSQL (decoded) gives it back."""
    if isinstance(value, str):
        value = json.loads(value)
    return [str(role) for role in value] if isinstance(value, list) else []


def _owners(content: str) -> list[tuple[str, str]]:
    try:
        data = yaml.safe_load(content) or {}
        owners = data.get("project", {}).get("owners", {}) or {}
    except (yaml.YAMLError, AttributeError):
        return []
    found = []
    for role in PROJECT_ROLES:
        people = owners.get(role) or []
        for person in [people] if isinstance(people, str) else people:
            found.append((role, str(person)))
    return found


def downgrade() -> None:
    op.drop_index("ix_memberships_user_id", table_name="memberships")
    op.drop_index("ix_memberships_project_id", table_name="memberships")
    op.drop_table("memberships")
