"""A project in the store, mirrored from its design file: where the file is, its versions (so a reviewer sees
what changed), its environments' checklist items, its waivers and its schedules.

Registration is what makes a design file the project's: ``project init`` does it, and using a design keeps
the mirror current (the file is the truth; a changed file is recorded as a new version). It writes no
decision and no evidence.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from infragate.design import Design, load_design
from infragate.store import Store
from infragate.store.engagements import ensure_requested, latest_engagement
from infragate.store.evidence import ItemSpec, ensure_items
from infragate.store.jobs import ensure_schedule
from infragate.store.projects import WaiverSpec, ensure_project, record_design, sync_waivers
from infragate.store.schema import Project
from infragate.workflow.checklist import ChecklistSpec, checklist_for

# Designs registered by this process: (store, project, digest, checklist stamp). Registration writes; a server
# answering many requests for one design would otherwise rewrite the same rows (and queue on SQLite's lock).
_REGISTERED: set[tuple[str, str, str, tuple[int, int]]] = set()


def registered_design(store: Store, project: str) -> Path | None:
    """Where the registered project's design file is (None: no such project)."""
    with store.session() as session:
        row = session.scalars(select(Project).where(Project.name == project)).first()
        return Path(row.design_path) if row is not None and row.design_path else None


def design_at(path: str) -> Design:
    """The design at ``path``, parsed once per version of the file (a server reads it on every request)."""
    try:
        found = Path(path).stat()
        stamp = (found.st_mtime_ns, found.st_size)
    except OSError:
        stamp = (0, 0)  # load_design says what is wrong with the path
    return _parsed(path, stamp)


@lru_cache(maxsize=256)
def _parsed(path: str, _stamp: tuple[int, int]) -> Design:
    return load_design(path)


def register(session: Session, store: Store, design: Design) -> Project:
    """The design's project in the store, registered (environments, checklist, waivers, schedules) or brought
    up to date with the design. Its owners are not made members here: that is a proposal a person applies."""
    memo = (store.url, design.project.name, design.digest, _checklist_stamp(design.path))
    if memo in _REGISTERED:  # this process registered exactly this design already (a server's requests)
        found = session.scalars(select(Project).where(Project.name == design.project.name)).first()
        if found is not None:
            return found
    path = Path(design.path)  # kept absolute: commands in other directories find the design by project
    where = str(path.resolve()) if path.is_file() else design.path
    project = ensure_project(session, design.project.name, design.project.client, where, list(design.environments))
    specs = checklist_for(design.path)
    for env in design.environments:
        ensure_items(session, project.id, env, [_item(spec) for spec in specs])
    record_design(session, project, design.digest, _read(design.path))
    for env_name, env_design in design.environments.items():
        for name, spec in env_design.settings.schedules.items():
            ensure_schedule(
                session, project=project.name, environment=env_name, name=name, kind=spec.kind, cron=spec.cron
            )
    if design.project.pentest_requested:
        for env_name in design.environments:
            if latest_engagement(session, project.id, env_name) is None:
                ensure_requested(session, project, env_name, "design", "the design has pentest_requested: true")
    sync_waivers(
        session,
        project,
        [
            WaiverSpec(w.rule, w.component, w.reason, w.approver, datetime.combine(w.expires, time(), tzinfo=UTC))
            for w in design.waivers
        ],
    )
    _REGISTERED.add(memo)
    return project


def _checklist_stamp(design_path: str) -> tuple[int, int]:
    """The checklist.yaml beside the design changes what registration writes: its mtime and size, or zeros."""
    try:
        found = (Path(design_path).parent / "checklist.yaml").stat()
    except OSError:
        return (0, 0)
    return (found.st_mtime_ns, found.st_size)


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""  # a design parsed from text (tests, the API) has no file to keep


def _item(spec: ChecklistSpec) -> ItemSpec:
    return ItemSpec(spec.key, spec.title, spec.clause, spec.role.value, spec.automatic)
