"""Policy packs: the organisation's rules as YAML. The example pack's rules each pass and fail where they
should (and the tricky variants a loose reading would pass do not), packs judge live accounts too, a broken
pack is a located error, and approvals record which pack versions judged the design."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from infragate.aws import AwsConnection
from infragate.design import load_design
from infragate.errors import DesignValidationError
from infragate.inventory import COLLECTORS, Scope, collect
from infragate.policy import Status, check_design, check_live
from infragate.policy.packs import load_pack, packs_for
from infragate.settings import load_settings
from infragate.store import open_store
from tests.conftest import WEBSHOP
from tests.provision.test_lifecycle import apply_design
from tests.support.acting import Person
from tests.support.cli import run_infragate
from tests.support.people import seat_owners

PACK = WEBSHOP.parents[1] / "policy-packs" / "acme.yaml"


def design_with(folder: Path, *, tags: dict[str, str] | None = None, **changes: Any) -> Path:
    """The example design using the example pack, with ``changes`` applied to production (and tags)."""
    data = yaml.safe_load(WEBSHOP.read_text())
    data["policy_packs"] = ["acme.yaml"]
    if tags is not None:
        data["project"]["tags"] = tags
    production = data["environments"]["production"]
    if "instance_type" in changes:
        production.setdefault("overrides", {})["compute"] = {"web": {"instance_type": changes.pop("instance_type")}}
    production |= changes
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(PACK, folder / "acme.yaml")
    (folder / "infragate.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return folder / "infragate.yaml"


def statuses(path: Path, rule: str, environment: str = "production") -> set[Status]:
    return {
        item.finding.status
        for item in check_design(load_design(path), environment=environment)
        if item.finding.rule_id == rule
    }


@pytest.mark.parametrize(
    ("rule", "passing", "failing"),
    [
        ("ACME-001", {"tags": {"cost-centre": "CC-1042"}}, {"tags": {"cost-centre": "CC-10423"}}),  # whole value
        ("ACME-001", {"tags": {"cost-centre": "CC-1042"}}, {"tags": {"owner": "CC-1042"}}),  # another tag
        ("ACME-002", {"region": "eu-central-1"}, {"region": "us-east-1"}),
        ("ACME-003", {"instance_type": "m6i.large"}, {"instance_type": "t3a.large"}),  # t3a is not t3
    ],
)
def test_each_example_rule_passes_and_fails_where_it_should(
    tmp_path: Path, rule: str, passing: dict[str, Any], failing: dict[str, Any]
) -> None:
    assert statuses(design_with(tmp_path / "good", **passing), rule) == {Status.PASS}
    assert statuses(design_with(tmp_path / "bad", **failing), rule) == {Status.FAIL}


def test_a_failing_pack_rule_says_what_is_wrong_and_where(tmp_path: Path) -> None:
    design = load_design(design_with(tmp_path, tags={}, region="us-east-1"))
    failed = {(i.finding.rule_id, i.finding.message) for i in check_design(design, environment="production")
              if i.finding.status is Status.FAIL}  # fmt: skip
    assert ("ACME-001", "tags.cost-centre is not set") in failed
    assert ("ACME-002", "region is 'us-east-1', not one of eu-west-1, eu-central-1") in failed
    (pack,) = packs_for(design)
    assert pack.name == "acme" and pack.digest.startswith("sha256:")


def test_pack_rules_judge_the_live_account_like_built_in_ones(aws: AwsConnection, tmp_path: Path) -> None:
    design = load_design(design_with(tmp_path, tags={"cost-centre": "CC-1042"}))
    assert apply_design(aws, design).succeeded
    snapshot = collect(aws, COLLECTORS, Scope("webshop", "staging"))
    live = [i.finding for i in check_live(snapshot, design=design, environment="staging")]
    assert {(f.rule_id, f.status) for f in live if f.rule_id == "ACME-003"} == {("ACME-003", Status.PASS)}
    assert not any(f.rule_id == "ACME-001" for f in live)  # the project is in the design only: not judged live


def test_a_broken_pack_is_a_located_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(PACK.read_text().replace("kind: environment", "kind: vpc"))
    with pytest.raises(DesignValidationError) as raised:
        load_pack(broken)
    (said,) = [str(p) for p in raised.value.problems]
    assert said.startswith(f"{broken}:18:11: rules.1.kind: kind 'vpc' is not one of project, environment")
    misnamed = tmp_path / "misnamed.yaml"
    misnamed.write_text(PACK.read_text().replace("ACME-003", "ACM-003"))
    with pytest.raises(DesignValidationError) as raised:
        load_pack(misnamed)
    assert "ACM-003 must start with the pack's prefix ACME-" in str(raised.value.problems[0])
    design = design_with(tmp_path / "d")
    (design.parent / "acme.yaml").write_text(broken.read_text())
    done = run_infragate(tmp_path / "home", "design", "validate", str(design))
    assert done.returncode == 2 and "problem(s) in the policy pack" in done.stderr and "Traceback" not in done.stderr


def test_rules_list_shows_pack_rules_and_approvals_record_the_pack_versions(tmp_path: Path) -> None:
    path = design_with(tmp_path, tags={"cost-centre": "CC-1042"})
    listed = run_infragate(tmp_path / "home", "rules", "list", "-d", str(path), "--format", "json")
    sources = {r["id"]: r["source"] for r in json.loads(listed.stdout)}
    assert sources["ACME-002"].startswith("pack acme (sha256:") and sources["NET-002"] == "built-in"
    design = load_design(path)
    store = open_store(load_settings())
    seat_owners(store, design)
    Person(store, design, "lena.lead@example.com").approve_design("staging")
    with store.session() as session:
        from infragate.store.schema import AuditLogEntry

        entry = session.query(AuditLogEntry).filter_by(action="design-approved").one()
        assert entry.detail["policy_packs"] == {"acme": packs_for(design)[0].digest}
