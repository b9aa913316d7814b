"""Plan approvals, kept in a simple local record (``$INFRAGATE_HOME/approvals.json``) until the store exists.

Environments with ``requires_approval`` apply only a plan whose digest a lead of the project approved.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from infragate.design import Design
from infragate.errors import UsageError
from infragate.provision.plan import Plan


@dataclass(frozen=True)
class Approval:
    digest: str
    project: str
    environment: str
    approver: str
    role: str
    at: str


def _file(home: Path) -> Path:
    return home / "approvals.json"


def load(home: Path) -> list[Approval]:
    try:
        return [Approval(**item) for item in json.loads(_file(home).read_text())]
    except FileNotFoundError:
        return []
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"{_file(home)} is not a valid approvals record ({exc})", hint="Restore it or delete it and approve again."
        ) from None


def approve(home: Path, plan: Plan, design: Design, approver: str) -> Approval:
    leads = design.project.owners.lead
    if approver not in leads:
        raise UsageError(
            f"{approver} may not approve plans for {design.project.name}: only a lead can (ICP-1.4)",
            hint=f"Leads named in the design: {', '.join(leads) or 'none (add project.owners.lead)'}.",
        )
    approval = Approval(
        plan.digest, plan.project, plan.environment, approver, "lead", datetime.now(UTC).isoformat(timespec="seconds")
    )
    records = [a for a in load(home) if a.digest != plan.digest] + [approval]
    home.mkdir(parents=True, exist_ok=True)
    temporary = _file(home).with_suffix(".tmp")
    temporary.write_text(json.dumps([asdict(a) for a in records], indent=2) + "\n")
    temporary.replace(_file(home))
    return approval


def approval_of(home: Path, plan: Plan, design: Design) -> Approval | None:
    """The approval of exactly this plan by someone who is (still) a lead of the project."""
    leads = set(design.project.owners.lead)
    return next((a for a in load(home) if a.digest == plan.digest and a.approver in leads), None)
