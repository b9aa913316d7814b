"""Route 53 rules: records that can actually resolve to what they point at."""

from __future__ import annotations

from infragate.model import HostedZone, Section
from infragate.model.names import dns_name
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity
from infragate.policy.registry import RuleMeta, RuleSet, Verdict, fail, ok

rules = RuleSet(reads=(Section.DNS, Section.COMPUTE, Section.DISTRIBUTIONS))


@rules.each(
    RuleMeta(
        id="DNS-001",
        decides="Judges records that point at an instance group (live: at any public address of an instance, Elastic "
        "or auto-assigned): fails when that group does not have Elastic IPs on every instance.",
        title="Records that point at an instance group point at its Elastic IPs",
        severity=Severity.HIGH,
        clause="ICP-2.2",
        rationale="Without Elastic IPs the addresses change on every stop/start and the record goes stale.",
        remediation="Set elastic_ip: true on the instance group, or alias the record to a distribution.",
    ),
    over=HostedZone,
)
def route53_record_targets_elastic_ips(zone: HostedZone, context: RuleContext) -> Verdict | None:
    compute = context.infrastructure.compute
    pointing = [r for r in zone.records if r.instance_group]
    if not pointing:
        return None
    stale = [
        r.fqdn(zone.name) for r in pointing if r.instance_group in compute and not compute[r.instance_group].elastic_ip
    ]
    if stale:
        return fail(f"Hosted zone {zone.name}: {', '.join(stale)} point at instances without Elastic IPs.")
    return ok(f"Hosted zone {zone.name}: records to instance groups use Elastic IPs.")


@rules.each(
    RuleMeta(
        id="DNS-002",
        decides="Fails when a record aliased to a distribution is not among that distribution's aliases, comparing "
        "DNS names without case and trailing dot.",
        title="Alias records are listed in their distribution's aliases",
        severity=Severity.HIGH,
        clause="ICP-2.2",
        rationale="CloudFront rejects requests for host names it does not list as aliases.",
        remediation="Add the record's full name to the distribution's aliases.",
    ),
    over=HostedZone,
)
def route53_alias_matches_distribution(zone: HostedZone, context: RuleContext) -> Verdict | None:
    distributions = context.infrastructure.distributions
    aliases = [r for r in zone.records if r.alias_distribution in distributions]
    if not aliases:
        return None
    unknown = [
        r.fqdn(zone.name)
        for r in aliases
        if dns_name(r.fqdn(zone.name)) not in {dns_name(a) for a in distributions[str(r.alias_distribution)].aliases}
    ]
    if unknown:
        return fail(f"Hosted zone {zone.name}: {', '.join(unknown)} are not aliases of their distribution.")
    return ok(f"Hosted zone {zone.name}: every alias record is a distribution alias.")
