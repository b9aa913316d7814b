"""Provisioning end to end on embedded AWS: apply, verify, audit, change, plan, apply, destroy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infragate.aws import AwsConnection
from infragate.design import Design, load_design
from infragate.inventory import COLLECTORS, Scope, collect, infrastructure_of
from infragate.model import ComponentKind
from infragate.policy import Status, check_live
from infragate.provision import service
from infragate.provision.executor import Result
from infragate.provision.plan import Action, Plan
from tests.conftest import WEBSHOP

ENV = "staging"


def plan_for(aws: AwsConnection, design: Design) -> Plan:
    return service.make_plan(design, ENV, service.read_live(aws, design, ENV))


def apply_design(aws: AwsConnection, design: Design, **options: Any) -> Result:
    snapshot = service.read_live(aws, design, ENV)
    return service.apply(service.make_plan(design, ENV, snapshot), aws, design, snapshot, **options)


def real_changes(plan: Plan) -> dict[str, set[str]]:
    """Pending changes with the attributes that differ, leaving out resources that only follow another."""
    return {
        change.key: {a.attribute for a in change.attributes}
        for change in plan.pending
        if not all(a.attribute == service.FOLLOWS for a in change.attributes)
    }


def test_apply_verify_audit_change_and_destroy(
    aws: AwsConnection, webshop_variant: Callable[[dict[str, Any]], Design]
) -> None:
    design = load_design(WEBSHOP)
    first = apply_design(aws, design)
    assert first.succeeded, [(o.change.key, o.status, o.message) for o in first.outcomes if not o.status.ok]
    assert not [o.change.key for o in first.outcomes if o.message], "embedded AWS applies every change whole"

    verification = service.verify(aws, design, ENV, service.read_live(aws, design, ENV))
    assert verification.aligned, [(c.key, c.attributes) for c in verification.plan.pending]
    assert len(verification.public_instances) == 2 and not verification.uncovered()

    snapshot = collect(aws, COLLECTORS, Scope("webshop", ENV))
    findings = check_live(snapshot, design=design, environment=ENV)
    assert not [(f.finding.rule_id, f.finding.component) for f in findings if f.finding.failing]
    assert {f.finding.component for f in findings if f.finding.rule_id == "INV-002"} == {
        c.name for kind, c in design.environment(ENV).infrastructure.components()
    }, "every designed component was found, and judged"
    plans = infrastructure_of(snapshot).backup.plans
    assert plans["daily"].components == ("orders-db", "web"), "backup selections are read back"

    changed = webshop_variant(
        {
            "environments": {"staging": {"overrides": {"compute": {"web": {"count": 3}}}}},
            "network": {
                "security_groups": {
                    "web": {
                        "ingress": [
                            {"protocol": "tcp", "ports": 443, "cidr": "0.0.0.0/0", "description": "HTTPS"},
                            {"protocol": "tcp", "ports": 22, "cidr": "10.99.0.0/16", "description": "SSH from VPN"},
                            {"protocol": "tcp", "ports": 8443, "cidr": "10.99.0.0/16", "description": "admin UI"},
                        ]
                    }
                }
            },
            "buckets": {"logs": {"versioning": False}},
        }
    )
    plan = plan_for(aws, changed)
    assert real_changes(plan) == {
        "instance-group:web": {"count"},
        "security-group:web": {"ingress"},
        "bucket:logs": {"versioning"},
    }
    assert all(change.action is Action.UPDATE for change in plan.pending)
    assert plan.digest == plan_for(aws, changed).digest, "the same inputs give the same plan digest"

    assert apply_design(aws, changed).succeeded
    again = service.verify(aws, changed, ENV, service.read_live(aws, changed, ENV))
    assert again.aligned, [(c.key, c.attributes) for c in again.plan.pending]
    assert len(again.public_instances) == 3 and not again.uncovered()

    snapshot = service.read_live(aws, changed, ENV)
    doomed = service.destroy_plan(changed, ENV, snapshot)
    destroyed = service.apply(doomed, aws, changed, snapshot)
    assert destroyed.succeeded, [(o.change.key, o.status, o.message) for o in destroyed.outcomes if not o.status.ok]
    left = collect(aws, COLLECTORS, Scope("webshop", ENV))
    assert not (left.subnets or left.security_groups or left.compute or left.databases or left.buckets)
    assert not (left.distributions or left.zones or left.vpc_cidrs)
    assert not [a for a in left.alarms if a.name.startswith("webshop-staging-")]
    assert plan_for(aws, changed).pending, "after destroy, everything is to be created again"


def test_the_compliant_example_audits_clean_in_production_on_embedded_aws(aws: AwsConnection) -> None:
    design = load_design(WEBSHOP)
    snapshot = service.read_live(aws, design, "production")
    result = service.apply(service.make_plan(design, "production", snapshot), aws, design, snapshot)
    assert result.succeeded, [(o.change.key, o.message) for o in result.outcomes if not o.status.ok]
    findings = check_live(
        collect(aws, COLLECTORS, Scope("webshop", "production")), design=design, environment="production"
    )
    assert not [(f.finding.rule_id, f.finding.component, f.finding.message) for f in findings if f.finding.failing]
    judged = {f.finding.rule_id for f in findings if f.finding.status is Status.PASS}
    assert {"BAK-001", "BAK-002", "EC2-005", "MON-001", "SHD-006", "INV-002"} <= judged, "production rules judged"


def test_a_prefix_list_rule_added_by_hand_is_revoked_and_the_plan_converges(aws: AwsConnection) -> None:
    design = load_design(WEBSHOP)
    assert apply_design(aws, design).succeeded
    prefix_list = aws.call(
        "ec2",
        "create_managed_prefix_list",
        PrefixListName="office",
        AddressFamily="IPv4",
        MaxEntries=5,
        Entries=[{"Cidr": "52.94.0.0/22"}],
    )["PrefixList"]["PrefixListId"]
    web = service.read_live(aws, design, ENV).resource_of(ComponentKind.SECURITY_GROUP, "web")
    permission = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": prefix_list}]}
    aws.call("ec2", "authorize_security_group_ingress", GroupId=web, IpPermissions=[permission])
    assert real_changes(plan_for(aws, design)) == {"security-group:web": {"ingress"}}
    assert apply_design(aws, design).succeeded
    assert not plan_for(aws, design).pending, "the prefix-list rule was revoked: the plan converges"
