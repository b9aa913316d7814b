"""The workflow service: every workflow action, done as a known user, checked against roles, logged.

The CLI resolves who is acting (``INFRAGATE_USER``, ``--as`` for admins) and calls this; the web app will
call the same methods after authenticating. Each method is one transaction and writes an audit-log entry.
``Workflow`` joins the responsibilities, each in a module of its own.
"""

from __future__ import annotations

from infragate.workflow.approvals import Approvals
from infragate.workflow.deployments import Deployments
from infragate.workflow.design_review import DesignReview
from infragate.workflow.gatekeeping import Gatekeeping, GateReport
from infragate.workflow.locking import Locking
from infragate.workflow.memberships import Memberships
from infragate.workflow.runs import Runs
from infragate.workflow.signoffs import Signoffs
from infragate.workflow.triage import SEVERE, Triage

__all__ = ["SEVERE", "GateReport", "Workflow"]


class Workflow(Approvals, Runs, Triage, Signoffs, Gatekeeping, Locking, Memberships, DesignReview, Deployments):
    """Every workflow action for one design, as one known user."""
