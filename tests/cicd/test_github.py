"""GitHub through its REST API (a local fake that speaks it): the settings check, the client's paging,
rate limits and errors, and apply-github as a plan a lead approves by digest."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from infragate.cicd.github import GitHub
from infragate.cicd.github_settings import check_environment, check_protection, read_problems
from infragate.cicd.http import CicdApiError
from infragate.design import load_design
from infragate.errors import RefusedError
from infragate.model.delivery import Repository
from infragate.settings import load_settings
from infragate.store import open_store
from infragate.workflow.cicd_work import CicdWork
from infragate.workflow.roles import RoleError
from tests.conftest import WEBSHOP
from tests.support.acting import Person
from tests.support.fake_github import TOKEN, FakeGitHub
from tests.support.people import seat_owners
from tests.support.servers import free_port, serving

REPO = Repository(github="acme/webshop", github_logins={"lena.lead@example.com": "lena-lead"})
LEAD, INFRA, DEV = "lena.lead@example.com", "ivan.infra@example.com", "dara.dev@example.com"


@pytest.fixture
def fake() -> Iterator[tuple[FakeGitHub, GitHub]]:
    github = FakeGitHub()
    with serving(github.app()) as base:
        yield github, GitHub(TOKEN, base, sleep=lambda _: None)


def good_protection() -> dict[str, object]:
    return {
        "required_status_checks": {"contexts": ["ci/circleci: test", "ci/circleci: validate-design"]},
        "required_pull_request_reviews": {"required_approving_review_count": 1},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
    }


def test_protection_check_fails_each_gap_and_passes_the_compliant_decoy() -> None:
    assert [p.check for p in check_protection(None, REPO)] == ["CICD-101"]
    assert check_protection(good_protection(), REPO) == []
    only_tests = good_protection() | {"required_status_checks": {"checks": [{"context": "ci/circleci: test"}]}}
    assert [p.check for p in check_protection(only_tests, REPO)] == ["CICD-102"]  # one check is not the pipeline
    by_job = [{"context": "test"}, {"context": "validate-design"}]
    app_checks = good_protection() | {"required_status_checks": {"checks": by_job}}
    assert check_protection(app_checks, REPO) == []  # CircleCI's GitHub App names checks by job
    no_review = good_protection() | {"required_pull_request_reviews": {"required_approving_review_count": 0}}
    assert [p.check for p in check_protection(no_review, REPO)] == ["CICD-103"]
    assert [p.check for p in check_protection(good_protection() | {"required_pull_request_reviews": None}, REPO)] == [
        "CICD-103"
    ]
    forced = good_protection() | {"allow_force_pushes": {"enabled": True}, "allow_deletions": {"enabled": True}}
    assert [p.check for p in check_protection(forced, REPO)] == ["CICD-104", "CICD-105"]


def reviewers(*people: tuple[str, str]) -> dict[str, object]:
    return {
        "name": "production",
        "protection_rules": [
            {"type": "wait_timer", "wait_timer": 0},
            {
                "type": "required_reviewers",
                "reviewers": [
                    {"type": kind, "reviewer": {"login": name} if kind == "User" else {"slug": name}}
                    for kind, name in people
                ],
            },
        ],
    }


def test_production_reviewers_must_be_leads() -> None:
    leads = ["lena-lead"]
    assert [p.check for p in check_environment(None, REPO, "production", leads)] == ["CICD-106"]
    assert [p.check for p in check_environment({"protection_rules": []}, REPO, "production", leads)] == ["CICD-106"]
    assert check_environment(reviewers(("User", "Lena-Lead")), REPO, "production", leads) == []  # logins ignore case
    no_lead = check_environment(reviewers(("User", "dara-dev")), REPO, "production", leads)
    assert [(p.check, p.severity) for p in no_lead] == [("CICD-107", "high"), ("CICD-107", "medium")]
    # A lead among the reviewers is not enough when someone else may approve alone (one approval suffices).
    mixed = check_environment(reviewers(("User", "lena-lead"), ("Team", "everyone")), REPO, "production", leads)
    assert [(p.check, p.severity) for p in mixed] == [("CICD-107", "medium")]


def test_the_client_pages_waits_out_rate_limits_and_names_errors(fake: tuple[FakeGitHub, GitHub]) -> None:
    server, github = fake
    for n in range(5):
        github.create_deployment("acme/webshop", {"ref": "a" * 40, "environment": "staging", "description": str(n)})
    github.create_deployment("acme/webshop", {"ref": "b" * 40, "environment": "staging"})
    server.limit_next = 2  # a primary (403, remaining 0) and a secondary (429, Retry-After) limit
    found = github.deployments("acme/webshop", sha="a" * 40, environment="staging")
    assert len(found) == 5 and {d["sha"] for d in found} == {"a" * 40}  # three pages of two
    assert sum(1 for call in server.calls if call.endswith("/deployments") and call.startswith("GET")) == 5
    with pytest.raises(CicdApiError, match=r"GitHub refused GET /repos/acme/webshop/branches/main/protection \(401"):
        GitHub("wrong", github.api.base, sleep=lambda _: None).protection("acme/webshop", "main")
    with pytest.raises(CicdApiError, match="422 to POST /repos/acme/webshop/deployments: Validation Failed"):
        github.create_deployment("acme/webshop", {"environment": "staging"})
    server.limit_next, server.reset_in_s = 2, 3600  # an hour's wait is not waited: said at once
    with pytest.raises(CicdApiError, match=r"rate-limits us for 3[56][0-9]{2} s more"):
        github.protection("acme/webshop", "main")
    with pytest.raises(CicdApiError, match="cannot be reached"):
        GitHub(TOKEN, f"http://127.0.0.1:{free_port()}").protection("acme/webshop", "main")


@pytest.fixture
def team(tmp_path: Path) -> CicdWork:
    store = open_store(load_settings())
    design = load_design(WEBSHOP)
    seat_owners(store, design)
    return CicdWork(Person(store, design, LEAD).work)


def as_user(work: CicdWork, user: str) -> CicdWork:
    return CicdWork(Person(work.work.store, work.work.design, user).work)


def test_apply_github_is_a_plan_a_lead_approves_by_digest(team: CicdWork, fake: tuple[FakeGitHub, GitHub]) -> None:
    server, github = fake
    plan = team.github_plan(github)
    assert [c.what for c in plan.changes] == ["protect main", "require a lead's review to deploy to production"]
    with pytest.raises(RefusedError, match="no current lead approved the GitHub plan"):
        as_user(team, INFRA).apply_github(github)
    with pytest.raises(RoleError):
        as_user(team, DEV).approve_github(github)
    approved = team.approve_github(github, "checked")
    assert approved.digest == plan.digest
    with pytest.raises(RoleError):
        as_user(team, DEV).apply_github(github)  # approved, but a developer does not change GitHub
    # Someone changes GitHub after the approval: the plan is another one, and needs its own approval.
    server.protections["acme/webshop:main"] = {"allow_force_pushes": {"enabled": True}}
    with pytest.raises(RefusedError):
        as_user(team, INFRA).apply_github(github)
    del server.protections["acme/webshop:main"]
    applied = as_user(team, INFRA).apply_github(github)
    assert applied.digest == plan.digest
    assert read_problems(github, team.repository, ("production",), ["lena-lead"]) == []
    reviewers_now = server.environments["acme/webshop:production"]["protection_rules"][0]["reviewers"]
    assert [r["reviewer"]["login"] for r in reviewers_now] == ["lena-lead"]
    assert team.github_plan(github).changes == ()  # nothing left to do


def test_a_lead_without_a_github_login_is_a_clear_error(team: CicdWork, fake: tuple[FakeGitHub, GitHub]) -> None:
    _, github = fake
    repository = team.repository.model_copy(update={"github_logins": {}})
    design = team.work.design
    patched = dataclasses.replace(design, project=design.project.model_copy(update={"repository": repository}))
    with pytest.raises(Exception, match=r"GitHub has no user 'lena\.lead@example\.com'") as raised:
        CicdWork(Person(team.work.store, patched, LEAD).work).github_plan(github)
    assert "github_logins" in getattr(raised.value, "hint", "")
