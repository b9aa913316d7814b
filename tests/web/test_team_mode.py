"""Team mode from the CLI: `infragate login` keeps a personal token, the same commands then call the live
server's API as that person, and the CLI never opens a store itself (its database URL here is unusable)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infragate.store import Store
from infragate.store import jobs as job_store
from infragate.store.findings import Observed, ingest
from infragate.store.schema import Project
from tests.conftest import WEBSHOP
from tests.support.people import ADMIN
from tests.web.conftest import DEV, LEAD, PASSWORD, SECURITY

UNUSABLE_STORE = "postgresql+psycopg://nobody@127.0.0.1:9/never"  # any attempt to open it fails loudly


def cli(config: Path, *args: str, stdin: str = "", user: str = "") -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "INFRAGATE_CONFIG": str(config),
        "INFRAGATE_DATABASE_URL": UNUSABLE_STORE,
        "INFRAGATE_USER": user,
        "COLUMNS": "200",
    }
    return subprocess.run(
        [sys.executable, "-m", "infragate", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=environment,
    )


def login(live: str, folder: Path, who: str) -> Path:
    config = folder / who / "server.json"
    done = cli(config, "login", "--server", live, "--user", who, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert f"logged in to {live} as {who}" in done.stdout
    return config


def test_login_keeps_a_private_token_and_commands_go_to_the_server_as_that_person(
    live: str, store: Store, tmp_path: Path
) -> None:
    lead = login(live, tmp_path, LEAD)
    assert lead.stat().st_mode & 0o077 == 0  # the token is a password: its owner's alone
    saved = json.loads(lead.read_text())
    assert saved["server"] == live and saved["token"].startswith("igt_") and saved["user"] == LEAD
    me = cli(lead, "whoami", user="someone.else@example.com")  # INFRAGATE_USER no longer says who you are
    assert me.returncode == 0 and me.stdout.startswith(f"{LEAD}: webshop: lead")
    assert "authenticated by" in me.stderr
    gates = cli(lead, "gate", "check", "--env", "staging", "-p", "webshop", "--format", "json")
    assert gates.returncode == 1 and json.loads(gates.stdout)["attestation"] == "server: people authenticated"
    listed = cli(lead, "project", "list")
    assert listed.returncode == 0 and "webshop" in listed.stdout


def test_decisions_from_the_cli_are_the_servers_use_cases(live: str, store: Store, tmp_path: Path) -> None:
    dev, lead, security = (login(live, tmp_path, who) for who in (DEV, LEAD, SECURITY))
    design = ("-d", str(WEBSHOP))
    refused = cli(dev, "approve", "design", "--env", "staging", *design, "-m", "me")
    assert refused.returncode == 2 and f"{DEV} may not" in refused.stderr
    approved = cli(lead, "approve", "design", "--env", "staging", *design, "-m", "reviewed")
    assert approved.returncode == 0 and "approved for webshop/staging" in approved.stdout
    with store.session() as session:
        project = session.query(Project).filter_by(name="webshop").one()
        ingest(
            session,
            project_id=project.id,
            environment="staging",
            source="audit",
            run_id=None,
            observed=[Observed("fp-1", "NET-002", "web", "critical", "SSH open to the world", "0.0.0.0/0:22")],
        )
    listed = cli(dev, "findings", "list", "-p", "webshop", "--env", "staging", "--format", "json")
    (finding,) = json.loads(listed.stdout)
    assert finding["severity"] == "critical"
    closing = ("findings", "resolve", str(finding["id"]), "-p", "webshop", "--status", "fixed", "--note", "patched")
    assert cli(lead, *closing).returncode == 2  # a critical finding is security's to close
    assert cli(security, *closing).returncode == 0
    verifying = ("findings", "resolve", str(finding["id"]), "-p", "webshop", "--status", "verified", "-m", "retested")
    assert cli(lead, *verifying).returncode == 2  # verifying a fix is security's
    verified = cli(security, *verifying)
    assert verified.returncode == 0 and f"finding {finding['id']}: verified" in verified.stdout, verified.stderr
    with store.session() as session:
        from infragate.store.schema import Finding

        assert session.get(Finding, finding["id"]).status == "verified"
    impersonating = cli(lead, "launch", "--env", "staging", "-p", "webshop", "--as", DEV)
    assert impersonating.returncode == 2 and "--as is for local mode" in impersonating.stderr


def test_jobs_are_asked_for_and_followed_through_the_server(live: str, store: Store, tmp_path: Path) -> None:
    dev = login(live, tmp_path, DEV)
    queued = cli(dev, "jobs", "submit", "audit", "--env", "staging", "-p", "webshop")
    assert queued.returncode == 0 and "queued: audit of webshop/staging" in queued.stdout
    (job,) = job_store.listing(store, "webshop")
    assert job.requested_by == DEV  # the server's authenticated person, not an environment variable
    job_store.event(store, job.id, "progress", "reading ec2")
    job_store.finish(store, job.id, "succeeded", {"failing": 0})
    followed = cli(dev, "jobs", "logs", str(job.id), "--follow")
    assert followed.returncode == 0 and "reading ec2" in followed.stdout
    shown = cli(dev, "jobs", "show", str(job.id))
    assert "succeeded" in shown.stdout
    for kind in ("scan", "drill", "stress"):  # every kind the use-case knows, as the generated pipeline asks
        asked = cli(login(live, tmp_path, LEAD), "jobs", "submit", kind, "--env", "staging", "-p", "webshop")
        assert asked.returncode == 0 and f"queued: {kind} of webshop/staging" in asked.stdout, asked.stderr


@pytest.mark.parametrize(
    "command",
    [
        ("plan", "--env", "staging", "-d", str(WEBSHOP)),
        ("project", "init", "-d", str(WEBSHOP)),
        ("jobs", "submit", "audit", "--env", "staging", "-p", "webshop", "--here"),
    ],
)
def test_commands_that_need_a_store_are_refused_saying_what_to_do_instead(
    live: str, store: Store, tmp_path: Path, command: tuple[str, ...]
) -> None:
    dev = login(live, tmp_path, DEV)
    refused = cli(dev, *command)
    assert refused.returncode == 2, refused.stderr
    assert "logged in to" in refused.stderr and "Traceback" not in refused.stderr


def test_bad_logins_and_unreachable_servers_are_clear(live: str, store: Store, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    wrong = cli(config, "login", "--server", live, "--user", LEAD, stdin="not the password\n")
    assert wrong.returncode == 2 and "wrong user name or password" in wrong.stderr and not config.exists()
    nowhere = cli(config, "login", "--server", "http://127.0.0.1:9", "--user", LEAD, stdin=PASSWORD + "\n")
    assert nowhere.returncode == 5 and "cannot reach the infragate server" in nowhere.stderr
    assert cli(config, "login", "--server", "127.0.0.1:8765", "--user", LEAD).returncode == 2


def test_logout_revokes_the_token_and_returns_to_local_mode(live: str, store: Store, tmp_path: Path) -> None:
    admin = login(live, tmp_path, ADMIN)
    token = json.loads(admin.read_text())["token"]
    done = cli(admin, "logout")
    assert done.returncode == 0 and not admin.exists()
    import httpx

    assert httpx.get(f"{live}/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    local = cli(admin, "whoami", user=ADMIN)  # local mode again: the (unusable) local store is opened
    assert local.returncode == 5


def test_a_pipeline_uses_a_token_from_the_environment(live: str, store: Store, tmp_path: Path) -> None:
    from infragate.workflow import accounts

    _info, token = accounts.create_token(store, DEV, "circleci", projects=["webshop"], roles=["developer"], days=1)
    os.environ["INFRAGATE_SERVER"], os.environ["INFRAGATE_TOKEN"] = live, token
    try:
        done = cli(tmp_path / "none.json", "jobs", "submit", "verify", "--env", "staging", "-p", "webshop")
    finally:
        del os.environ["INFRAGATE_SERVER"], os.environ["INFRAGATE_TOKEN"]
    assert done.returncode == 0, done.stderr
    assert job_store.listing(store, "webshop")[0].requested_by == DEV


def test_a_production_stress_plan_is_approved_by_the_lead_through_the_server(
    live: str, store: Store, tmp_path: Path
) -> None:
    from infragate.workflow.stress_testing import STRESS_PLAN

    dev, lead = login(live, tmp_path, DEV), login(live, tmp_path, LEAD)
    design = ("-d", str(WEBSHOP))
    refused = cli(dev, "approve", "stress", "--env", "production", *design, "-m", "me")
    assert refused.returncode == 2 and f"{DEV} may not" in refused.stderr
    # a design that differs from the registered one: the lead did not review the plan the server would approve
    edited = tmp_path / "infragate.yaml"
    edited.write_text(WEBSHOP.read_text().replace("peak_rps: 400", "peak_rps: 40"))
    (tmp_path / "app").symlink_to(WEBSHOP.parent / "app")
    stale = cli(lead, "approve", "stress", "--env", "production", "-d", str(edited), "-m", "ok")
    assert stale.returncode == 1 and "registered design is" in stale.stderr, stale.stderr
    by_name = cli(lead, "approve", "stress", "--env", "production", "-p", "webshop")
    assert by_name.returncode == 2 and "design file it was reviewed in" in by_name.stderr
    approved = cli(lead, "approve", "stress", "--env", "production", *design, "-m", "off-peak, caps checked")
    assert approved.returncode == 0, approved.stderr
    assert "stress plan sha256:" in approved.stdout and "webshop/production approved" in approved.stdout
    with store.session() as session:
        from infragate.store.schema import Approval, User

        row = session.query(Approval).filter_by(subject=STRESS_PLAN, environment="production").one()
        assert session.get(User, row.user_id).name == LEAD and row.comment == "off-peak, caps checked"
        assert approved.stdout.split("stress plan ")[1][:19] == row.digest[:19]


def test_compliance_reports_and_signatures_go_through_the_server(live: str, store: Store, tmp_path: Path) -> None:
    dev, security = login(live, tmp_path, DEV), login(live, tmp_path, SECURITY)
    design = ("-d", str(WEBSHOP))
    attached = tmp_path / "idp-policy.pdf"
    attached.write_bytes(b"%PDF-1.4 MFA for every admin")
    sign = ("compliance", "sign", "8.4.2", "--env", "production", "--framework", "pci-dss-4", *design, "-m", "IdP")
    refused = cli(dev, *sign)
    assert refused.returncode == 2 and "signed by the security role" in refused.stderr
    signed = cli(security, *sign, "--attach", str(attached))
    assert signed.returncode == 0 and "pci-dss-4 8.4.2 signed (attachment sha256" in signed.stdout, signed.stderr
    report = cli(dev, "compliance", "report", "--env", "production", "--framework", "pci-dss-4", *design, "-f", "json",
                 "-o", "-")  # fmt: skip
    assert report.returncode == 1  # evidence is missing for the rest: it does not hold
    (line,) = [r for r in json.loads(report.stdout)["requirements"] if r["id"] == "8.4.2"]
    assert line["verdict"] == "pass" and "attached idp-policy.pdf" in line["evidence"][0]
    as_csv = cli(dev, "compliance", "report", "--env", "production", "--framework", "pci-dss-4", *design, "-f", "csv",
                 "-o", "-")  # fmt: skip
    assert as_csv.stdout.startswith("framework,version,environment,requirement") and "8.4.2" in as_csv.stdout


REFUSALS = [
    (DEV, ("approve", "design", "--env", "staging", "-d", str(WEBSHOP), "-m", "mine")),  # a role they lack
    (LEAD, ("launch", "--env", "staging", "-d", str(WEBSHOP))),  # a gate that does not hold
    (DEV, ("findings", "list", "--env", "nowhere", "-d", str(WEBSHOP))),  # an environment the design has not
    (DEV, ("checklist", "sign", "no-such-item", "--env", "staging", "-m", "x", "-d", str(WEBSHOP))),
    (LEAD, ("jobs", "show", "999")),  # nothing of that id
    (DEV, ("jobs", "submit", "apply", "--env", "staging", "-d", str(WEBSHOP))),  # a job kind for lead or infra
]


def test_refusals_keep_their_meaning_and_exit_code_in_both_modes(live: str, store: Store, tmp_path: Path) -> None:
    """The same commands, refused locally (on the same store) and through the server: the same exit code and
    the same message, because the same handler refused them."""
    configs = {who: login(live, tmp_path, who) for who in (DEV, LEAD)}
    local_mode = {"INFRAGATE_SERVER": "off", "INFRAGATE_DATABASE_URL": str(store.url)}
    for who, command in REFUSALS:
        config = configs[who]
        remote = cli(config, *command)
        local = subprocess.run(
            [sys.executable, "-m", "infragate", *command],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, **local_mode, "INFRAGATE_USER": who, "COLUMNS": "200"},
        )
        said = [line for line in local.stderr.splitlines() if line.startswith("error:")]
        assert local.returncode == remote.returncode != 0, (command, local.stderr, remote.stderr)
        assert said and said[0] in remote.stderr, (command, local.stderr, remote.stderr)


def test_every_error_crosses_the_api_as_itself() -> None:
    """Each error of the tree, answered as a problem by the server, is the same error (and exit code) in the
    CLI: a held lock is exit 6 in both modes, a refused gate exit 1, a role exit 2."""
    from infragate.cli.exit_codes import exit_code_for
    from infragate.cli.http_client import error_from
    from infragate.errors import AuthenticationError, InfragateError
    from infragate.web.problems import problem, status_for
    from infragate.workflow import catalogue

    catalogue.commands()  # every module that declares an error of its own is loaded
    pending: list[type[InfragateError]] = [InfragateError]
    checked = 0
    while pending:
        klass = pending.pop()
        pending += klass.__subclasses__()
        try:
            raised = klass("it went wrong here", hint="do this")
        except TypeError:
            continue  # an error that carries more than a message never crosses the API (a plan to approve)
        answer = problem(status_for(raised), klass.__name__, raised.message, raised.code, raised.hint)
        decoded = error_from(answer.status_code, answer.media_type or "", answer.body.decode(), "http://server")
        assert exit_code_for(decoded) == exit_code_for(raised), klass
        own_code = "code" in klass.__dict__  # a subclass without a code of its own is its parent, by meaning
        if own_code and not issubclass(klass, AuthenticationError) and klass is not InfragateError:
            assert type(decoded) is klass and decoded.message == raised.message and decoded.hint == "do this", klass
        checked += 1
    assert checked > 20
