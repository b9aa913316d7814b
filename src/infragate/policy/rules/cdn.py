"""CloudFront rules: transport security, WAF and logging."""

from __future__ import annotations

from infragate.model import Distribution, Section, ViewerProtocolPolicy
from infragate.model.names import is_placeholder
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity
from infragate.policy.registry import RuleMeta, RuleSet, Verdict, fail, ok

rules = RuleSet(reads=(Section.DISTRIBUTIONS,))


@rules.each(
    RuleMeta(
        id="CF-001",
        decides="Fails when any cache behaviour lets viewers use plain HTTP (allow-all); redirect-to-https and "
        "https-only pass.",
        title="Distributions serve viewers over HTTPS only",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="Plain HTTP lets anyone on the path read and change the traffic.",
        remediation="Set viewer_protocol_policy: redirect-to-https or https-only.",
    ),
    over=Distribution,
)
def cloudfront_distribution_https_only(dist: Distribution, context: RuleContext) -> Verdict:
    if dist.viewer_protocol_policy is ViewerProtocolPolicy.ALLOW_ALL:
        return fail(f"CloudFront distribution {dist.name} serves viewers over plain HTTP.")
    return ok(f"CloudFront distribution {dist.name} serves viewers over HTTPS ({dist.viewer_protocol_policy}).")


@rules.each(
    RuleMeta(
        id="CF-002",
        decides="Fails without an ACM or IAM certificate (the default *.cloudfront.net certificate accepts TLSv1 "
        "whatever the setting says) or with a minimum protocol older than TLSv1.2.",
        title="Distributions require TLS 1.2 or newer",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="TLS 1.0 and 1.1 have known weaknesses and are deprecated by RFC 8996.",
        remediation="Set certificate_arn to an ACM certificate and minimum_tls_version: TLSv1.2_2021.",
    ),
    over=Distribution,
)
def cloudfront_distribution_tls12(dist: Distribution, context: RuleContext) -> Verdict:
    if dist.certificate_arn is None:
        return fail(
            f"CloudFront distribution {dist.name} uses the default *.cloudfront.net certificate, which accepts TLSv1."
        )
    if not dist.minimum_tls_version.at_least_tls12:
        return fail(f"CloudFront distribution {dist.name} accepts {dist.minimum_tls_version}.")
    return ok(f"CloudFront distribution {dist.name} requires {dist.minimum_tls_version}.")


@rules.each(
    RuleMeta(
        id="CF-003",
        decides="Fails when no WAF web ACL is attached; a blank or placeholder name ('TBD') is no web ACL.",
        title="Production distributions are protected by a WAF",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="A web ACL filters the OWASP Top 10 attack patterns before they reach the application.",
        remediation="Set waf_web_acl to the name or ARN of a WAFv2 web ACL.",
        production_only=True,
    ),
    over=Distribution,
)
def cloudfront_distribution_waf(dist: Distribution, context: RuleContext) -> Verdict:
    if is_placeholder(dist.waf_web_acl):
        return fail(f"CloudFront distribution {dist.name} has no WAF web ACL.")
    return ok(f"CloudFront distribution {dist.name} is protected by WAF {dist.waf_web_acl}.")


@rules.each(
    RuleMeta(
        id="CF-004",
        decides="Fails when access logging is off or names no real bucket.",
        title="Distributions write access logs",
        severity=Severity.MEDIUM,
        clause="ICP-5.2",
        rationale="Without access logs an incident cannot be investigated.",
        remediation="Set logging_bucket to a bucket of the design.",
    ),
    over=Distribution,
)
def cloudfront_distribution_logging(dist: Distribution, context: RuleContext) -> Verdict:
    if is_placeholder(dist.logging_bucket):
        return fail(f"CloudFront distribution {dist.name} writes no access logs.")
    return ok(f"CloudFront distribution {dist.name} logs to bucket {dist.logging_bucket}.")


@rules.each(
    RuleMeta(
        id="CF-005",
        decides="Fails when an instance-group or domain origin can be reached over HTTP: http-only, or match-viewer "
        "behind a behaviour that allows HTTP. match-viewer behind redirect-to-https or https-only is HTTPS; "
        "S3 origins are not custom origins.",
        title="Distributions reach custom origins over HTTPS",
        severity=Severity.MEDIUM,
        clause="ICP-1.1",
        rationale="HTTP between CloudFront and the origin exposes traffic on the internet leg.",
        remediation="Set https_only: true on origins that point at instance groups or other domains.",
    ),
    over=Distribution,
)
def cloudfront_origin_https(dist: Distribution, context: RuleContext) -> Verdict:
    plain = [o.target for o in dist.origins if o.custom and not o.https_only]
    if plain:
        return fail(f"CloudFront distribution {dist.name} reaches {', '.join(plain)} over plain HTTP.")
    return ok(f"CloudFront distribution {dist.name} reaches its origins over HTTPS.")
