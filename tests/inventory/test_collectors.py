"""Every collector against a real emulator over HTTP, and the assembly of a snapshot into the design model."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from infragate.aws import AwsConnection
from infragate.inventory import COLLECTORS, Scope, collect, infrastructure_of
from infragate.inventory import backup as backup_collector
from infragate.inventory import ec2 as ec2_collector
from infragate.inventory import route53 as route53_collector
from infragate.model import ComponentKind, Section, Tier, TlsVersion, ViewerProtocolPolicy
from infragate.model.network import Protocol
from infragate.policy.exposure import internet_wide
from tests.support import account

WEBSHOP_PROD = Scope("webshop", "production")


def _tags(component: str) -> dict[str, str]:
    return account.project_tags("webshop", "production", component)


def test_an_empty_account_reads_completely_into_an_empty_infrastructure(aws: AwsConnection) -> None:
    snapshot = collect(aws, COLLECTORS, WEBSHOP_PROD)
    assert snapshot.complete and snapshot.account.isdigit()
    assert sorted(snapshot.collected) == sorted(c.name for c in COLLECTORS)
    infrastructure = infrastructure_of(snapshot)
    assert list(infrastructure.components()) == []
    assert not infrastructure.shield.advanced


def test_subnets_are_public_only_when_routed_to_an_internet_gateway(aws: AwsConnection) -> None:
    network = account.network(aws, {"infragate:project": "webshop", "infragate:env": "production"})
    snapshot = collect(aws, [ec2_collector.COLLECTOR], WEBSHOP_PROD)
    assert {name: subnet.tier for name, subnet in snapshot.subnets.items()} == {
        "public": Tier.PUBLIC,
        "private": Tier.PRIVATE,
    }
    assert snapshot.resource_of(ComponentKind.SUBNET, "public") == network.public_subnet
    assert [str(cidr) for cidr in snapshot.vpc_cidrs.values()] == ["10.20.0.0/16"]


def test_security_group_rules_keep_ports_peers_and_descriptions(aws: AwsConnection) -> None:
    network = account.network(aws)
    web = account.security_group(aws, network.vpc, "web", (22, 443), _tags("web-sg"))
    database = account.security_group(aws, network.vpc, "db", (), _tags("db-sg"))
    aws.call(
        "ec2",
        "authorize_security_group_ingress",
        GroupId=database,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": web, "Description": "app to database"}],
            }
        ],
    )
    groups = collect(aws, [ec2_collector.COLLECTOR], WEBSHOP_PROD).security_groups
    assert set(groups) == {"web-sg", "db-sg"}
    assert sorted(str(rule.ports) for rule in groups["web-sg"].ingress) == ["22", "443"]
    assert all(internet_wide(rule.cidr) for rule in groups["web-sg"].ingress)
    (peer_rule,) = groups["db-sg"].ingress
    assert (peer_rule.group, str(peer_rule.ports), peer_rule.description) == ("web-sg", "5432", "app to database")
    assert groups["db-sg"].egress[0].protocol is Protocol.ALL


def test_instances_of_one_component_form_a_group_judged_by_its_weakest_member(aws: AwsConnection) -> None:
    network = account.network(aws)
    group = account.security_group(aws, network.vpc, "web", (443,), _tags("web-sg"))
    hardened = account.instances(aws, 2, network.public_subnet, (group,), _tags("web"))
    account.instances(aws, 1, network.public_subnet, (group,), _tags("web"), imdsv2=False)
    account.instances(aws, 1, network.private_subnet, (), account.project_tags("webshop", "staging", "web"))
    for instance in hardened:
        account.elastic_ip(aws, instance)

    snapshot = collect(aws, [ec2_collector.COLLECTOR], WEBSHOP_PROD)
    web = snapshot.compute["web"]
    assert (web.count, web.subnet_tier, web.security_groups) == (3, Tier.PUBLIC, ("web-sg",))
    assert not web.imdsv2, "one instance allows IMDSv1, so the group does"
    assert not web.elastic_ip, "one instance has no Elastic IP, so the group is not fully behind EIPs"
    assert len(snapshot.instances) == 3 and sum(1 for i in snapshot.instances if i.eip_allocation_arn) == 2
    with_eip = [i for i in snapshot.instances if i.eip_allocation_arn]
    assert {i.id for i in with_eip} == set(hardened)
    assert all(":eip-allocation/eipalloc-" in str(i.eip_allocation_arn) for i in with_eip)


def test_across_the_account_each_instance_is_its_own_group(aws: AwsConnection) -> None:
    network = account.network(aws)
    ids = account.instances(aws, 3, network.private_subnet, (), _tags("web"))
    compute = collect(aws, [ec2_collector.COLLECTOR], Scope()).compute
    assert set(compute) == set(ids) and {group.count for group in compute.values()} == {1}


def test_database_settings_and_placement(aws: AwsConnection) -> None:
    account.database(aws, "orders-prod", _tags("orders"), MultiAZ=True, DeletionProtection=True)
    account.database(aws, "open-db", _tags("legacy"), StorageEncrypted=False, PubliclyAccessible=True)
    databases = infrastructure_of(collect(aws, COLLECTORS, WEBSHOP_PROD)).databases
    orders, legacy = databases["orders"], databases["legacy"]
    assert (orders.multi_az, orders.deletion_protection, orders.storage_encrypted) == (True, True, True)
    assert orders.engine.value == "postgres" and orders.backup_retention_days == 7
    assert (legacy.storage_encrypted, legacy.publicly_accessible) == (False, True)


def test_distribution_zone_and_shield_are_joined_by_arn(aws: AwsConnection) -> None:
    account.bucket(aws, "webshop-assets-prod", _tags("assets"))
    dist_id, dist_arn, domain = account.distribution(aws, "webshop-assets-prod", _tags("cdn"), web_acl="webshop-waf")
    _, zone_arn = account.hosted_zone(aws, "webshop.example.com", alias_to=domain)
    aws.call(
        "route53",
        "change_tags_for_resource",
        ResourceType="hostedzone",
        ResourceId=zone_arn.rsplit("/", 1)[-1],
        AddTags=account.tag_list(_tags("webshop.example.com")),
    )
    account.shield(aws, protect=(dist_arn,))

    snapshot = collect(aws, COLLECTORS, WEBSHOP_PROD)
    infrastructure = infrastructure_of(snapshot)
    cdn = infrastructure.distributions["cdn"]
    assert [origin.bucket for origin in cdn.origins] == ["assets"], "origins name the bucket's component"
    assert infrastructure.buckets["assets"].served_via_cloudfront
    assert cdn.viewer_protocol_policy is ViewerProtocolPolicy.REDIRECT_TO_HTTPS
    assert cdn.minimum_tls_version is TlsVersion.TLSV1, "the default certificate accepts TLSv1"
    assert cdn.waf_web_acl == "webshop-waf"
    records = infrastructure.dns["webshop.example.com"].records
    assert [(r.name, r.alias_distribution) for r in records if r.alias_distribution] == [("www", "cdn")]
    assert infrastructure.shield.advanced
    assert infrastructure.shield.covers_distribution("cdn")
    assert not infrastructure.shield.covers_zone("webshop.example.com")
    assert snapshot.resource_of(ComponentKind.DISTRIBUTION, "cdn") == dist_id


def test_alarms_are_attributed_to_the_component_they_watch(aws: AwsConnection) -> None:
    network = account.network(aws)
    (instance,) = account.instances(aws, 1, network.private_subnet, (), _tags("web"))
    topic = "arn:aws:sns:eu-west-1:123456789012:oncall"
    account.alarm(aws, "web-cpu", "CPUUtilization", ("InstanceId", instance), (topic,))
    account.alarm(aws, "someone-elses", "CPUUtilization", ("InstanceId", "i-0000000000000000"), ())
    monitoring = infrastructure_of(collect(aws, COLLECTORS, WEBSHOP_PROD)).monitoring
    assert [(a.name, a.component, a.metric) for a in monitoring.alarms.values()] == [
        ("web-cpu", "web", "CPUUtilization")
    ]
    assert monitoring.notify == (topic,)


def test_backup_selections_say_what_each_plan_covers(aws: AwsConnection) -> None:
    network = account.network(aws)
    (instance,) = account.instances(aws, 1, network.private_subnet, (), _tags("web"))
    arn = f"arn:aws:ec2:eu-west-1:{collect(aws, [], Scope()).account}:instance/{instance}"
    account.backup_plan(aws, "daily", retention_days=3, resources=(arn,))
    account.backup_plan(aws, "empty", retention_days=9)
    snapshot = collect(aws, COLLECTORS, Scope())
    assert snapshot.complete, snapshot.failures
    plans = infrastructure_of(snapshot).backup.plans
    assert {name: (plan.retention_days, plan.components) for name, plan in plans.items()} == {
        "daily": (3, (instance,)),
        "empty": (9, ()),
    }


def test_a_denied_backup_selection_read_is_not_evaluated_never_covers_nothing(aws: AwsConnection) -> None:
    account.backup_plan(aws, "daily", retention_days=3)

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "injected"}}, "ListBackupSelections")

    aws.client("backup", "eu-west-1").meta.events.register("before-call.backup.ListBackupSelections", refuse)
    snapshot = collect(aws, [backup_collector.COLLECTOR], Scope())
    assert [(f.collector, f.code) for f in snapshot.failures] == [("backup", "aws.access-denied")]
    assert Section.BACKUP_SELECTIONS in snapshot.unavailable


def test_pagination_beyond_one_page_collects_everything(aws: AwsConnection) -> None:
    # Route 53 answers at most 100 zones per ListHostedZones call.
    for index in range(105):
        account.hosted_zone(aws, f"zone{index:03d}.example.org")
    calls: list[str] = []

    def count(**_: Any) -> None:
        calls.append("ListHostedZones")

    aws.client("route53", "us-east-1").meta.events.register("before-call.route53.ListHostedZones", count)
    zones = collect(aws, [route53_collector.COLLECTOR], Scope()).zones
    assert len(zones) == 105 and len(calls) == 2


def test_regions_are_collected_in_parallel_and_global_services_once(aws: AwsConnection) -> None:
    other = AwsConnection(replace(aws.spec, region="us-west-2"))
    here = account.instances(aws, 1, account.network(aws).private_subnet)
    there = account.instances(other, 1, account.network(other).private_subnet)
    snapshot = collect(aws, COLLECTORS, Scope(), regions=("eu-west-1", "us-west-2"))
    assert {i.id: i.region for i in snapshot.instances} == {here[0]: "eu-west-1", there[0]: "us-west-2"}
    assert {"ec2 eu-west-1", "ec2 us-west-2", "shield", "s3"} <= set(snapshot.collected)
    assert "shield us-west-2" not in snapshot.collected
