"""The dashboard in a real browser: Playwright driving the system's Chromium against a live server on
127.0.0.1. Screenshots land in the test's directory (and are looked at when the pages change)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from infragate.store import Store
from infragate.store import jobs as job_store
from infragate.store.findings import Observed, ingest
from tests.web.conftest import DEV, LEAD, PASSWORD, SECURITY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[2] / ".screenshots"  # ignored by git; kept for people to look at


@pytest.fixture
def browser() -> Iterator[Browser]:
    assert CHROMIUM, "Chromium is needed for the browser tests (apt-get install chromium; .ci/run installs it)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


def _sign_in(page: Page, base: str, name: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Portfolio")).to_be_visible()


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_people_act_in_the_dashboard_within_their_roles(live: str, browser: Browser, store: Store) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    staging = f"{live}/projects/webshop/environments/staging"

    _sign_in(page, live, DEV)
    _shot(page, "portfolio-developer")
    page.goto(staging)
    page.get_by_role("button", name="Approve this digest").click()
    expect(page.get_by_role("alert")).to_contain_text("may not review a design")
    _shot(page, "refused-developer")
    _sign_out(page)

    _sign_in(page, live, LEAD)
    page.get_by_role("link", name="staging").click()
    page.get_by_label("Comment").fill("requirements met")
    page.get_by_role("button", name="Approve this digest").click()
    expect(page.get_by_role("status")).to_contain_text("design decision recorded")
    expect(page.get_by_role("row", name="approved by a lead")).to_contain_text("met")
    page.get_by_label("What was checked").first.fill("walked the team through the setup")
    page.get_by_role("button", name="Sign setup-reviewed").click()
    expect(page.get_by_role("status")).to_contain_text("setup-reviewed signed")
    _shot(page, "environment-lead")

    with store.session() as session:
        from infragate.store.schema import Project

        project = session.query(Project).filter_by(name="webshop").one()
        ingest(
            session,
            project_id=project.id,
            environment="staging",
            source="audit",
            run_id=None,
            observed=[Observed("fp-1", "NET-002", "web", "high", "SSH open to the world", "0.0.0.0/0:22")],
        )
    page.reload()
    page.get_by_label("Note").first.fill("closed it")
    page.get_by_role("button", name="Resolve #1").click()
    expect(page.get_by_role("alert")).to_contain_text("needs the role security")
    _sign_out(page)

    _sign_in(page, live, SECURITY)
    page.goto(staging)
    page.get_by_label("Note").first.fill("rule tightened to the office range")
    page.get_by_role("button", name="Resolve #1").click()
    expect(page.get_by_role("status")).to_contain_text("finding 1 updated")
    expect(page.get_by_text("No open finding.")).to_be_visible()
    page.goto(live)  # the portfolio moved on: the lead's approval is no longer what staging waits for
    expect(page.get_by_role("row", name="staging")).to_contain_text("design docs generated from this exact digest")
    _shot(page, "portfolio-security")
    _sign_out(page)


def test_a_job_asked_for_in_the_dashboard_updates_live_until_it_ends(live: str, store: Store, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    _sign_in(page, live, DEV)
    page.get_by_role("link", name="staging").click()
    page.get_by_label("Ask the workers for").select_option("audit")
    page.get_by_role("button", name="Queue job").click()
    expect(page.get_by_role("status")).to_contain_text("audit job queued")
    jobs = page.locator("#activity")
    expect(jobs).to_contain_text("queued")
    (job,) = job_store.listing(store, "webshop")
    job_store.event(store, job.id, "progress", "reading ec2, rds")  # what a worker reports
    expect(jobs).to_contain_text("reading ec2, rds")  # HTMX swapped the fragment in, no reload
    job_store.finish(store, job.id, "succeeded", {"failing": 0})
    expect(jobs.get_by_text("succeeded")).to_be_visible()
    expect(jobs).not_to_contain_text("updating while a job runs")  # it stops polling once nothing runs
    _shot(page, "environment-jobs")
    page.get_by_label("Ask the workers for").select_option("drift")
    assert page.get_by_label("Ask the workers for").locator("option").all_inner_texts() == [
        "verify",
        "audit",
        "drift",
        "test",
        "scan",
        "drill",
    ]
