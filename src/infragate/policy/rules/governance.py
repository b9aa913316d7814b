"""Governance rules: owners for every role, approved services only, approvals, endpoints, SLOs, waivers.

They judge what the design file says about the project, so they run on designs only."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator

from infragate.model import Role, Waiver
from infragate.model.base import ComponentKind
from infragate.model.infrastructure import AdditionalService
from infragate.model.names import is_placeholder, within_domain
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity
from infragate.policy.registry import (
    DESIGN_ONLY,
    UNWAIVABLE_REASON,
    Outcome,
    RuleMeta,
    RuleSet,
    Verdict,
    fail,
    ok,
    waivable,
)

rules = RuleSet()


def _owner_rule(rule_id: str, role: Role, clause: str, severity: Severity, duty: str) -> None:
    meta = RuleMeta(
        id=rule_id,
        title=f"The project names a person for the {role.value} role",
        decides=f"Fails when no real person holds the {role.value} role: blank or placeholder names ('TBD', "
        "'<name>', 'nobody') do not count.",
        severity=severity,
        clause=clause,
        subjects=DESIGN_ONLY,
        rationale=f"The policy makes the {role.value} role accountable for {duty}; someone must hold it.",
        remediation=f"Add project.owners.{role.value} with at least one person.",
    )

    @rules.environment(meta)
    def project_owner_named(context: RuleContext) -> Iterator[Outcome]:
        if context.project is None:
            return
        named = context.project.owners.of(role)
        people = [person for person in named if not is_placeholder(person)]
        if people:
            verdict = ok(f"{role.value}: {', '.join(people)}.")
        elif named:
            shown = ", ".join(repr(person) for person in named)
            verdict = fail(f"No {role.value} owner is named: {shown} is blank or a placeholder, not a person.")
        else:
            verdict = fail(f"No {role.value} owner is named.")
        yield Outcome.of("project", ComponentKind.PROJECT, verdict)


_owner_rule("GOV-001", Role.LEAD, "ICP-R1", Severity.HIGH, "design, approvals and all infrastructure work")
_owner_rule("GOV-002", Role.INFRA, "ICP-R1", Severity.MEDIUM, "provisioning and operating the infrastructure")
_owner_rule("GOV-003", Role.DEVELOPER, "ICP-R2", Severity.MEDIUM, "testing the infrastructure configuration")
_owner_rule("GOV-004", Role.SECURITY, "ICP-R3", Severity.HIGH, "security review and compliance")


@rules.each(
    RuleMeta(
        id="GOV-005",
        decides="Fails an additional (non-approved) service without a real approver; placeholders do not count. Not "
        "applicable when there is none.",
        title="Services outside the approved list are explicitly approved",
        severity=Severity.HIGH,
        clause="ICP-1.2",
        subjects=DESIGN_ONLY,
        rationale="The policy approves EC2, RDS, S3, CloudFront and Route 53; anything else needs a named approver.",
        remediation="Set approved_by on the additional service, or replace it with an approved service.",
    ),
    over=AdditionalService,
)
def additional_service_approved(service: AdditionalService, context: RuleContext) -> Verdict:
    if is_placeholder(service.approved_by):
        return fail(f"{service.service} ({service.name}) is not an approved service and has no approver.")
    return ok(f"{service.service} ({service.name}) was approved by {service.approved_by}.")


@rules.whole(
    RuleMeta(
        id="GOV-006",
        decides="Fails a production environment that allows unapproved plans (requires_approval false).",
        title="Production changes require approval",
        severity=Severity.HIGH,
        clause="ICP-1.4",
        subjects=DESIGN_ONLY,
        rationale="The design must be approved before it is provisioned; production must not change unreviewed.",
        remediation="Set requires_approval: true on the production environment.",
        production_only=True,
    ),
    ComponentKind.ENVIRONMENT,
)
def environment_requires_approval(context: RuleContext) -> Verdict:
    env = context.environment
    if not env.requires_approval:
        return fail(f"Environment {env.name} can be changed without approval.")
    return ok(f"Environment {env.name} requires approved plans.")


@rules.whole(
    RuleMeta(
        id="GOV-007",
        decides="Fails a production environment that declares no endpoints.",
        title="Production declares the endpoints that scans and stress tests may hit",
        severity=Severity.MEDIUM,
        clause="ICP-4.1",
        subjects=DESIGN_ONLY,
        rationale="Scans and load tests only ever target declared endpoints; without any, none can run.",
        remediation="List the environment's public URLs under endpoints.",
        production_only=True,
    ),
    ComponentKind.ENVIRONMENT,
)
def environment_declares_endpoints(context: RuleContext) -> Verdict:
    env = context.environment
    if not env.endpoints:
        return fail(f"Environment {env.name} declares no endpoints to scan or stress test.")
    return ok(f"Environment {env.name} declares {len(env.endpoints)} endpoint(s).")


MAX_LATENCY_MS = 60_000  # a target at or above a minute cannot be missed: requests time out first


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


@rules.environment(
    RuleMeta(
        id="GOV-008",
        decides="Fails an endpoint whose host is neither loopback nor inside one of the design's hosted zones, "
        "comparing DNS names without case and trailing dot (webshop.example.com.evil.example is outside "
        "webshop.example.com).",
        title="Endpoints belong to the design's own domains",
        severity=Severity.HIGH,
        clause="ICP-4.1",
        subjects=DESIGN_ONLY,
        rationale="Scan and load traffic must only reach infrastructure this project owns.",
        remediation="Use host names inside the design's hosted zones (or loopback for local tests).",
    )
)
def environment_endpoints_owned(context: RuleContext) -> Iterator[Outcome]:
    env = context.environment
    zones = list(context.infrastructure.dns)
    for endpoint in env.endpoints:
        host = endpoint.host or ""
        owned = _is_loopback(host) or any(within_domain(host, zone) for zone in zones)
        verdict = (
            ok(f"Endpoint {endpoint} is inside the design's domains.")
            if owned
            else fail(
                f"Endpoint {endpoint} is not inside any hosted zone of the design ({', '.join(zones) or 'none'})."
            )
        )
        yield Outcome.of(env.name, ComponentKind.ENVIRONMENT, verdict)


@rules.whole(
    RuleMeta(
        id="GOV-009",
        decides="Fails without targets, and with targets no result can miss: max_error_rate of 1 or more, p95 above "
        "p99, or a latency of 60 s or more.",
        title="Performance targets (SLOs) are defined for stress tests",
        severity=Severity.MEDIUM,
        clause="ICP-3.3",
        subjects=DESIGN_ONLY,
        rationale="A stress test can only pass or fail against stated targets, and only targets a result can "
        "miss are evidence (an error budget of 100% or a latency beyond every timeout are not).",
        remediation="Add targets: peak_rps, p95_ms <= p99_ms (under 60 s) and max_error_rate below 1.",
    ),
    ComponentKind.ENVIRONMENT,
)
def environment_has_slos(context: RuleContext) -> Verdict:
    targets = context.infrastructure.targets
    if targets is None:
        return fail(f"Environment {context.environment.name} has no performance targets.")
    unmissable = []
    if targets.max_error_rate >= 1:
        unmissable.append(f"max_error_rate {targets.max_error_rate:g} accepts every request failing")
    if targets.p95_ms > targets.p99_ms:
        unmissable.append(f"p95_ms {targets.p95_ms:g} is above p99_ms {targets.p99_ms:g}")
    slow = [f"{n} {v:g}" for n, v in (("p95_ms", targets.p95_ms), ("p99_ms", targets.p99_ms)) if v >= MAX_LATENCY_MS]
    if slow:
        unmissable.append(f"{', '.join(slow)} ms is beyond any request timeout")
    if unmissable:
        return fail(f"Environment {context.environment.name} has targets no test can miss: {'; '.join(unmissable)}.")
    return ok(f"Targets: {targets.peak_rps:g} req/s, p95 {targets.p95_ms:g} ms, p99 {targets.p99_ms:g} ms.")


@rules.whole(
    RuleMeta(
        id="GOV-010",
        decides="Fails an environment named production, prod, prd or live that declares production: false, which "
        "would switch off every production rule; only an approved waiver accepts that.",
        title="An environment named like production is judged as production",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        subjects=DESIGN_ONLY,
        rationale="'production: false' on an environment called production switches off every production rule "
        "at once; that is a decision someone must approve, not a setting.",
        remediation="Remove 'production: false', or record an approved waiver for GOV-010 that says why.",
    ),
    ComponentKind.ENVIRONMENT,
)
def environment_named_production_is_production(context: RuleContext) -> Verdict | None:
    env = context.environment
    if not env.named_like_production:
        return None
    if env.production is False:
        return fail(f"Environment {env.name} is named like production but declares production: false.")
    return ok(f"Environment {env.name} is judged by the production rules.")


@rules.environment(
    RuleMeta(
        id="WVR-001",
        decides="Fails a waiver whose expiry date is before today (it is valid through its expiry day). Cannot be "
        "waived.",
        title="Waivers have not expired",
        severity=Severity.HIGH,
        clause="ICP-6.1",
        subjects=DESIGN_ONLY,
        rationale="An expired waiver means an accepted risk is no longer accepted; the finding is back.",
        remediation="Fix the waived finding, or have the approver renew the waiver with a new expiry date.",
    )
)
def waiver_not_expired(context: RuleContext) -> Iterator[Outcome]:
    def judge(waiver: Waiver) -> Verdict:
        if waiver.expired(context.today):
            return fail(f"The waiver for {waiver.rule} on {waiver.component} expired on {waiver.expires}.")
        return ok(f"The waiver for {waiver.rule} on {waiver.component} is valid until {waiver.expires}.")

    return _each_waiver(context, judge)


@rules.environment(
    RuleMeta(
        id="WVR-002",
        decides="Fails a waiver naming a rule that does not exist, or a meta-rule (WVR-*, INV-*) that cannot be "
        "waived. Cannot be waived.",
        title="Waivers name rules that exist",
        severity=Severity.MEDIUM,
        clause="ICP-6.1",
        subjects=DESIGN_ONLY,
        rationale="A waiver for an unknown rule waives nothing and usually hides a typo.",
        remediation="Correct the rule id (see `infragate rules list`).",
    )
)
def waiver_names_known_rule(context: RuleContext) -> Iterator[Outcome]:
    def judge(waiver: Waiver) -> Verdict:
        if waiver.rule not in context.rule_ids:
            return fail(f"The waiver names rule {waiver.rule}, which does not exist.")
        if not waivable(waiver.rule):
            return fail(f"The waiver names rule {waiver.rule}, which cannot be waived ({UNWAIVABLE_REASON}).")
        return ok(f"The waiver names rule {waiver.rule}.")

    return _each_waiver(context, judge)


@rules.environment(
    RuleMeta(
        id="WVR-003",
        decides="Fails a waiver whose approver is blank or a placeholder; such a waiver waives nothing. Cannot be "
        "waived.",
        title="Waivers name a real approver",
        severity=Severity.HIGH,
        clause="ICP-6.1",
        subjects=DESIGN_ONLY,
        rationale="An accepted risk needs someone who accepted it; 'TBD' or a blank approver accepts nothing, "
        "so such a waiver waives nothing.",
        remediation="Put the name of the person who approved the exception in approver.",
    )
)
def waiver_has_real_approver(context: RuleContext) -> Iterator[Outcome]:
    def judge(waiver: Waiver) -> Verdict:
        what = f"The waiver for {waiver.rule} on {waiver.component}"
        if is_placeholder(waiver.approver):
            return fail(f"{what} names no real approver ({waiver.approver!r}).")
        return ok(f"{what} was approved by {waiver.approver}.")

    return _each_waiver(context, judge)


def _each_waiver(context: RuleContext, judge: Callable[[Waiver], Verdict]) -> Iterator[Outcome]:
    """One verdict per waiver naming this environment, filed under "RULE/component"."""
    for waiver in context.active_waivers():
        yield Outcome.of(f"{waiver.rule}/{waiver.component}", ComponentKind.WAIVER, judge(waiver))
