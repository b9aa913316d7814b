"""Projects the store knows: where a registered project's design file is."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from infragate.store import Store
from infragate.store.schema import Project


def registered_design(store: Store, project: str) -> Path | None:
    with store.session() as session:
        row = session.scalars(select(Project).where(Project.name == project)).first()
        return Path(row.design_path) if row is not None and row.design_path else None
