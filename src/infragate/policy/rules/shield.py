"""AWS Shield Advanced rules (ICP-4.2): a subscription, and protection on every EC2 server's address,
every distribution and every hosted zone."""

from __future__ import annotations

from collections.abc import Iterator

from infragate.inventory import LiveInstance, Snapshot
from infragate.model import Distribution, HostedZone, InstanceGroup, Section, Tier
from infragate.model.base import ComponentKind
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity
from infragate.policy.registry import LIVE_ONLY, Outcome, RuleMeta, RuleSet, Verdict, fail, ok

rules = RuleSet(reads=(Section.SHIELD, Section.COMPUTE, Section.DISTRIBUTIONS, Section.DNS))


@rules.whole(
    RuleMeta(
        id="SHD-001",
        decides="Fails without a Shield Advanced subscription when there is anything to protect; not applicable "
        "otherwise.",
        title="The account has a Shield Advanced subscription",
        severity=Severity.CRITICAL,
        clause="ICP-4.2",
        rationale="Without the subscription no resource is protected by Shield Advanced at all.",
        remediation="Set shield.advanced: true.",
    ),
    ComponentKind.SHIELD,
    "shield",
)
def shield_subscription_active(context: RuleContext) -> Verdict | None:
    infrastructure = context.infrastructure
    if not (infrastructure.compute or infrastructure.distributions or infrastructure.dns):
        return None  # nothing Shield Advanced could protect
    if not infrastructure.shield.advanced:
        return fail("Shield Advanced is not subscribed, so no EC2 server is protected against DDoS.")
    return ok("Shield Advanced is subscribed.")


@rules.each(
    RuleMeta(
        id="SHD-002",
        decides="Judges groups with Elastic IPs: fails unless Shield Advanced protects their Elastic IPs.",
        title="Shield Advanced protects the Elastic IPs of every EC2 server",
        severity=Severity.CRITICAL,
        clause="ICP-4.2",
        rationale="The policy requires DDoS protection on all EC2 servers; Shield protects them through EIPs.",
        remediation="Include the group in shield.protect.elastic_ips (or use 'all').",
    ),
    over=InstanceGroup,
)
def shield_protects_instance_eips(group: InstanceGroup, context: RuleContext) -> Verdict | None:
    if not group.elastic_ip:
        return None
    if not context.infrastructure.shield.covers_eips_of(group.name):
        return fail(f"The Elastic IPs of instance group {group.name} are not protected by Shield Advanced.")
    return ok(f"The Elastic IPs of instance group {group.name} are protected by Shield Advanced.")


@rules.each(
    RuleMeta(
        id="SHD-003",
        decides="Fails a group in public subnets without Elastic IPs: Shield Advanced protects EC2 only through "
        "Elastic IPs.",
        title="Internet-facing EC2 servers use Elastic IPs so Shield can protect them",
        severity=Severity.CRITICAL,
        clause="ICP-4.2",
        rationale="Shield Advanced protects EC2 only through Elastic IPs; auto-assigned public IPs stay unprotected.",
        remediation="Set elastic_ip: true for instance groups in public subnets.",
    ),
    over=InstanceGroup,
)
def shield_public_instances_use_eips(group: InstanceGroup, context: RuleContext) -> Verdict:
    if group.subnet_tier is Tier.PUBLIC and not group.elastic_ip:
        return fail(f"Instance group {group.name} is internet-facing without Elastic IPs; Shield cannot protect it.")
    return ok(f"Instance group {group.name} can be protected by Shield Advanced.")


@rules.each(
    RuleMeta(
        id="SHD-004",
        decides="Fails a distribution Shield Advanced does not protect.",
        title="Shield Advanced protects every CloudFront distribution",
        severity=Severity.HIGH,
        clause="ICP-4.2",
        rationale="The distribution is the front door; layer-7 DDoS mitigation needs it protected.",
        remediation="Include the distribution in shield.protect.distributions (or use 'all').",
    ),
    over=Distribution,
)
def shield_protects_distribution(dist: Distribution, context: RuleContext) -> Verdict:
    if not context.infrastructure.shield.covers_distribution(dist.name):
        return fail(f"CloudFront distribution {dist.name} is not protected by Shield Advanced.")
    return ok(f"CloudFront distribution {dist.name} is protected by Shield Advanced.")


@rules.each(
    RuleMeta(
        id="SHD-005",
        decides="Fails a hosted zone Shield Advanced does not protect; zone names compare without case and trailing "
        "dot, and protecting a parent zone does not cover a delegated sub-zone.",
        title="Shield Advanced protects every hosted zone",
        severity=Severity.HIGH,
        clause="ICP-4.2",
        rationale="DNS floods take a site offline as surely as attacks on its servers.",
        remediation="Include the zone in shield.protect.hosted_zones (or use 'all').",
    ),
    over=HostedZone,
)
def shield_protects_hosted_zone(zone: HostedZone, context: RuleContext) -> Verdict:
    if not context.infrastructure.shield.covers_zone(zone.name):
        return fail(f"Hosted zone {zone.name} is not protected by Shield Advanced.")
    return ok(f"Hosted zone {zone.name} is protected by Shield Advanced.")


def _instance_verdict(instance: LiveInstance, live: Snapshot) -> Verdict:
    what = f"Instance {instance.id} (group {instance.group}) has the public address {instance.public_ip}"
    if not live.shield_subscribed:
        return fail(f"{what} and the account has no Shield Advanced subscription, so nothing protects it.")
    if instance.eip_allocation_arn is None:
        return fail(f"{what}, which is not an Elastic IP, so Shield Advanced cannot protect it.")
    if instance.eip_allocation_arn not in live.protected_arns:
        return fail(f"{what}, but its Elastic IP ({instance.eip_allocation_arn}) has no Shield protection.")
    return ok(f"{what}, protected by Shield Advanced through its Elastic IP.")


@rules.environment(
    RuleMeta(
        id="SHD-006",
        decides="Live only: every instance with a public address fails unless the account is subscribed and the "
        "address is an Elastic IP with a Shield protection.",
        title="Every EC2 instance with a public address is covered by Shield Advanced through its Elastic IP",
        severity=Severity.CRITICAL,
        clause="ICP-4.2",
        rationale="The policy requires Shield on all EC2 servers. Auditors that skip accounts without a "
        "subscription report nothing there; infragate fails each exposed instance instead.",
        remediation="Subscribe to Shield Advanced, give the instance an Elastic IP, and protect the EIP "
        "(infragate apply does all three from the design).",
        subjects=LIVE_ONLY,
        reads=frozenset({Section.COMPUTE, Section.SHIELD}),
    )
)
def shield_covers_public_instances(context: RuleContext) -> Iterator[Outcome]:
    if context.live is None:
        return
    for instance in context.live.instances:
        if instance.public_ip:
            yield Outcome.of(instance.id, ComponentKind.INSTANCE, _instance_verdict(instance, context.live))
