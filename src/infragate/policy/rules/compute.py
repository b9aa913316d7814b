"""EC2 rules: scalability of the web tier, instance hardening, placement."""

from __future__ import annotations

from collections.abc import Iterator

from infragate.model import Distribution, InstanceGroup, InstanceRole, Section, Tier
from infragate.model.base import ComponentKind
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity
from infragate.policy.registry import LIVE_ONLY, Outcome, RuleMeta, RuleSet, Verdict, fail, ok

rules = RuleSet(reads=(Section.COMPUTE, Section.NETWORK))


def faces_internet(group: InstanceGroup, context: RuleContext) -> str | None:
    """Why the group is the internet-facing (web) tier, judged by facts rather than its ``role`` label:
    reachable on public addresses, or an origin of a distribution. None when it faces nothing."""
    if group.subnet_tier is Tier.PUBLIC and group.elastic_ip:
        return "internet-facing: Elastic IPs in public subnets"
    origin_of = [d.name for d in context.infrastructure.distributions.values() if group.name in _origins(d)]
    if origin_of:
        return f"internet-facing: origin of {', '.join(origin_of)}"
    if group.role is InstanceRole.WEB:
        return "web tier"
    return None


def _origins(distribution: Distribution) -> set[str]:
    return {origin.instance_group for origin in distribution.origins if origin.instance_group}


@rules.each(
    RuleMeta(
        id="EC2-001",
        decides="Judges every group that faces the internet by fact (Elastic IPs in public subnets, or an origin of a"
        " distribution) or is labelled web: fails below 2 instances.",
        title="The production internet-facing tier runs at least two instances",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="A single web server is a single point of failure and cannot absorb peaks.",
        remediation="Set count to 2 or more for instance groups that face the internet in production.",
        production_only=True,
        reads=frozenset({Section.COMPUTE, Section.NETWORK, Section.DISTRIBUTIONS}),
    ),
    over=InstanceGroup,
)
def ec2_web_tier_has_two_instances(group: InstanceGroup, context: RuleContext) -> Verdict | None:
    facing = faces_internet(group, context)
    if facing is None:
        return None
    if group.count < 2:
        return fail(f"Instance group {group.name} ({facing}) runs {group.count} instance(s); production needs 2.")
    return ok(f"Instance group {group.name} ({facing}) runs {group.count} instances.")


@rules.each(
    RuleMeta(
        id="EC2-002",
        decides="Judges the same internet-facing groups: fails when instances can be spread over fewer than 2 zones "
        "(the zones of its tier's subnets, capped by its instance count).",
        title="The production internet-facing tier spans at least two availability zones",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="Instances in one zone all fail together when that zone fails.",
        remediation="Give the group's subnet tier subnets in two or more zones and run at least 2 instances.",
        production_only=True,
        reads=frozenset({Section.COMPUTE, Section.NETWORK, Section.DISTRIBUTIONS}),
    ),
    over=InstanceGroup,
)
def ec2_web_tier_spans_two_zones(group: InstanceGroup, context: RuleContext) -> Verdict | None:
    facing = faces_internet(group, context)
    if facing is None:
        return None
    zones = context.infrastructure.network.zones_of(group.subnet_tier)
    spread = min(len(zones), group.count)
    if spread < 2:
        return fail(f"Instance group {group.name} ({facing}) can only be spread over {spread} availability zone(s).")
    return ok(f"Instance group {group.name} ({facing}) is spread over {spread} availability zones.")


@rules.each(
    RuleMeta(
        id="EC2-003",
        decides="Fails when an instance accepts IMDSv1; HttpTokens=required passes, and so does a metadata endpoint "
        "that is switched off. One IMDSv1 instance fails its group.",
        title="Instances require IMDSv2",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="IMDSv1 lets a server-side request forgery steal the instance's AWS credentials.",
        remediation="Set imdsv2: true (HttpTokens=required).",
    ),
    over=InstanceGroup,
)
def ec2_instance_imdsv2_required(group: InstanceGroup, context: RuleContext) -> Verdict:
    if not group.imdsv2:
        return fail(f"Instance group {group.name} allows IMDSv1.")
    return ok(f"Instance group {group.name} requires IMDSv2.")


@rules.each(
    RuleMeta(
        id="EC2-004",
        decides="Fails when any EBS volume attached to the group's instances is unencrypted.",
        title="EBS volumes are encrypted",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="Unencrypted volumes and their snapshots expose data to anyone who can copy them.",
        remediation="Set root_volume.encrypted: true.",
    ),
    over=InstanceGroup,
)
def ec2_volume_encrypted(group: InstanceGroup, context: RuleContext) -> Verdict:
    if not group.root_volume.encrypted:
        return fail(f"Instance group {group.name} has unencrypted EBS volumes.")
    return ok(f"Instance group {group.name} encrypts its EBS volumes.")


@rules.each(
    RuleMeta(
        id="EC2-005",
        decides="Fails when any instance of the group has only basic (5-minute) monitoring.",
        title="Production instances have detailed monitoring",
        severity=Severity.LOW,
        clause="ICP-5.2",
        rationale="Five-minute metrics hide short spikes; alarms react late.",
        remediation="Set detailed_monitoring: true.",
        production_only=True,
    ),
    over=InstanceGroup,
)
def ec2_detailed_monitoring_enabled(group: InstanceGroup, context: RuleContext) -> Verdict:
    if not group.detailed_monitoring:
        return fail(f"Instance group {group.name} has only basic (5-minute) monitoring.")
    return ok(f"Instance group {group.name} has detailed (1-minute) monitoring.")


@rules.each(
    RuleMeta(
        id="EC2-006",
        decides="Fails when a group with Elastic IPs sits in private subnets.",
        title="Elastic IPs are only given to instances in public subnets",
        severity=Severity.MEDIUM,
        clause="ICP-2.2",
        rationale="An Elastic IP on an instance in a private subnet is unreachable and wastes an address.",
        remediation="Move the group to subnet_tier: public, or drop elastic_ip.",
    ),
    over=InstanceGroup,
)
def ec2_elastic_ip_in_public_tier(group: InstanceGroup, context: RuleContext) -> Verdict:
    if group.elastic_ip and group.subnet_tier is Tier.PRIVATE:
        return fail(f"Instance group {group.name} has Elastic IPs but sits in private subnets.")
    return ok(f"Instance group {group.name} is placed consistently with its addressing.")


@rules.each(
    RuleMeta(
        id="EC2-007",
        decides="Fails when the group names no security group of the design (it would get the VPC default).",
        title="Instances use a security group of the design",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="Without one, instances fall back to the VPC's default group, which nobody reviewed.",
        remediation="List at least one security group under security_groups.",
    ),
    over=InstanceGroup,
)
def ec2_instance_has_security_group(group: InstanceGroup, context: RuleContext) -> Verdict:
    if not group.security_groups:
        return fail(f"Instance group {group.name} names no security group and would use the VPC default.")
    return ok(f"Instance group {group.name} uses {', '.join(group.security_groups)}.")


@rules.environment(
    RuleMeta(
        id="EC2-008",
        decides="Live only: every EBS volume attached to no instance is judged on its own and fails when unencrypted.",
        title="EBS volumes attached to no instance are encrypted too",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="A detached volume still holds the data it was written with; no instance group covers it, "
        "so it is judged on its own.",
        remediation="Snapshot it with encryption and delete the unencrypted volume, or delete it if unused.",
        subjects=LIVE_ONLY,
        reads=frozenset({Section.COMPUTE}),
    )
)
def ec2_detached_volume_encrypted(context: RuleContext) -> Iterator[Outcome]:
    if context.live is None:
        return
    for volume in context.live.detached_volumes:
        verdict = (
            ok(f"Detached EBS volume {volume.id} is encrypted.")
            if volume.encrypted
            else fail(f"Detached EBS volume {volume.id} is not encrypted.")
        )
        yield Outcome.of(volume.id, ComponentKind.VOLUME, verdict)
