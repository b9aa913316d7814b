"""The documents GitHub and CircleCI answer with (``service-apis.md`` §3–4), as far as infragate reads them:
the documented fields, typed. Fields a service may leave out are not required."""

from __future__ import annotations

from typing import TypedDict


class Enabled(TypedDict, total=False):
    enabled: bool


class StatusCheck(TypedDict, total=False):
    context: str
    app_id: int | None


class RequiredStatusChecks(TypedDict, total=False):
    strict: bool
    contexts: list[str]
    checks: list[StatusCheck]


class RequiredReviews(TypedDict, total=False):
    required_approving_review_count: int
    dismiss_stale_reviews: bool


class BranchProtection(TypedDict, total=False):
    """GET /repos/{repo}/branches/{branch}/protection."""

    required_status_checks: RequiredStatusChecks | None
    required_pull_request_reviews: RequiredReviews | None
    allow_force_pushes: Enabled | bool
    allow_deletions: Enabled | bool


class Reviewer(TypedDict, total=False):
    type: str  # User or Team
    reviewer: Account


class Account(TypedDict, total=False):
    id: int
    login: str
    slug: str  # a team's


class ProtectionRule(TypedDict, total=False):
    type: str  # required_reviewers, wait_timer, branch_policy
    reviewers: list[Reviewer]


class GitHubEnvironment(TypedDict, total=False):
    """GET /repos/{repo}/environments/{name}."""

    name: str
    protection_rules: list[ProtectionRule]


class Deployment(TypedDict, total=False):
    """A GitHub deployment (POST/GET /repos/{repo}/deployments)."""

    id: int
    sha: str
    ref: str
    environment: str
    creator: Account | None


class DeploymentStatus(TypedDict, total=False):
    id: int
    state: str
    environment: str
    log_url: str


class CircleJob(TypedDict, total=False):
    """An item of GET /workflow/{id}/job."""

    name: str
    type: str  # build or approval
    status: str
    approved_by: str
    job_number: int


class CircleWorkflow(TypedDict, total=False):
    """GET /workflow/{id}."""

    id: str
    name: str
    status: str
    pipeline_id: str
    pipeline_number: int
