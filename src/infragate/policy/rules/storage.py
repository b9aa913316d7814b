"""S3 rules: public access, encryption, versioning, and consistency with CloudFront."""

from __future__ import annotations

from infragate.model import Bucket, BucketEncryption, Section
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity
from infragate.policy.registry import DESIGN_ONLY, LIVE_ONLY, RuleMeta, RuleSet, Verdict, fail, ok

rules = RuleSet(reads=(Section.BUCKETS,))


@rules.each(
    RuleMeta(
        id="S3-001",
        decides="Fails unless all four public-access-block settings are on.",
        title="Buckets block all public access",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="Public buckets are the most common cause of cloud data leaks.",
        remediation="Set public_access_block: true; serve public content through CloudFront instead.",
    ),
    over=Bucket,
)
def s3_bucket_public_access_blocked(bucket: Bucket, context: RuleContext) -> Verdict:
    if not bucket.public_access_block.fully_blocked:
        off = [name for name, on in bucket.public_access_block.model_dump().items() if not on]
        return fail(f"S3 bucket {bucket.name} does not block public access ({', '.join(off)} off).")
    return ok(f"S3 bucket {bucket.name} blocks all public access.")


@rules.each(
    RuleMeta(
        id="S3-002",
        decides="Fails a bucket without default encryption.",
        title="Buckets are encrypted at rest",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="Encryption at rest protects data in backups and against misplaced access.",
        remediation="Set encryption: sse-s3 or sse-kms.",
    ),
    over=Bucket,
)
def s3_bucket_encrypted(bucket: Bucket, context: RuleContext) -> Verdict:
    if bucket.encryption is BucketEncryption.NONE:
        return fail(f"S3 bucket {bucket.name} is not encrypted at rest.")
    return ok(f"S3 bucket {bucket.name} is encrypted with {bucket.encryption}.")


@rules.each(
    RuleMeta(
        id="S3-003",
        decides="Fails a bucket without versioning.",
        title="Production buckets keep versions",
        severity=Severity.MEDIUM,
        clause="ICP-5.2",
        rationale="Without versioning an overwrite or delete cannot be recovered.",
        remediation="Set versioning: true and expire old versions with a lifecycle rule.",
        production_only=True,
    ),
    over=Bucket,
)
def s3_bucket_versioning_enabled(bucket: Bucket, context: RuleContext) -> Verdict:
    if not bucket.versioning:
        return fail(f"S3 bucket {bucket.name} does not keep object versions.")
    return ok(f"S3 bucket {bucket.name} keeps object versions.")


@rules.each(
    RuleMeta(
        id="S3-004",
        decides="Design only: fails when served_via_cloudfront disagrees with the distributions' origins.",
        title="Buckets served via CloudFront are origins of a distribution, and only those",
        severity=Severity.MEDIUM,
        clause="ICP-2.2",
        rationale="A mismatch leaves either a dead origin or a bucket without origin access control.",
        remediation="Make served_via_cloudfront agree with the distributions' origins.",
        subjects=DESIGN_ONLY,
        reads=frozenset({Section.BUCKETS, Section.DISTRIBUTIONS}),
    ),
    over=Bucket,
)
def s3_bucket_cloudfront_consistent(bucket: Bucket, context: RuleContext) -> Verdict:
    distributions = context.infrastructure.distributions.values()
    serving = [d.name for d in distributions if any(o.bucket == bucket.name for o in d.origins)]
    if bucket.served_via_cloudfront and not serving:
        return fail(f"S3 bucket {bucket.name} says it is served via CloudFront, but no distribution uses it.")
    if serving and not bucket.served_via_cloudfront:
        return fail(
            f"S3 bucket {bucket.name} is an origin of {', '.join(serving)} but not marked served_via_cloudfront."
        )
    return ok(f"S3 bucket {bucket.name} is consistent with the distributions.")


@rules.each(
    RuleMeta(
        id="S3-005",
        decides="Live only: fails when a statement allows everyone (Principal '*', {AWS: '*'}, or any NotPrincipal) "
        "unless a condition with fixed values narrows who (source ARN/account/VPC/VPC endpoint, organisation,"
        " principal, or a source IP narrower than /8); aws:SecureTransport narrows nothing.",
        title="Bucket policies do not grant access to everyone",
        severity=Severity.CRITICAL,
        clause="ICP-1.1",
        rationale="A policy allowing everyone, unless a condition narrows who, publishes the bucket whatever the "
        "ACLs say.",
        remediation="Remove the public statement, or narrow it with a condition (e.g. the CloudFront distribution).",
        subjects=LIVE_ONLY,
    ),
    over=Bucket,
)
def s3_bucket_policy_not_public(bucket: Bucket, context: RuleContext) -> Verdict | None:
    if context.live is None:
        return None
    if bucket.name in context.live.public_policy_buckets:
        return fail(f"The policy of S3 bucket {bucket.name} allows access to everyone.")
    return ok(f"The policy of S3 bucket {bucket.name} does not allow access to everyone.")
