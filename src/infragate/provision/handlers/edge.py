"""The internet edge: CloudFront distributions and Route 53 zones with their records.

Both APIs allow duplicates (two zones of one name, two identical distributions), so each create carries a
caller reference that starts with ``infragate:<project>:<env>:<name>:``; a re-run adopts a resource with
that prefix even if an interrupted run never got to tag it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from infragate.errors import AwsError
from infragate.json_values import JsonObject
from infragate.model import Distribution, HostedZone, Origin, Record
from infragate.model.cdn import ViewerProtocolPolicy
from infragate.provision.context import ApplyContext
from infragate.provision.handlers.compute import instances_of
from infragate.provision.handlers.data import bucket_name
from infragate.provision.plan import Action, Change

if TYPE_CHECKING:  # the documented shapes of CloudFront's and Route 53's answers (boto3-stubs, for type checking)
    from mypy_boto3_cloudfront.type_defs import (
        DistributionSummaryTypeDef,
        GetDistributionConfigResultTypeDef,
        ListDistributionsResultTypeDef,
        ListTagsForResourceResultTypeDef,
        UpdateDistributionResultTypeDef,
    )
    from mypy_boto3_route53.type_defs import (
        CreateHostedZoneResponseTypeDef,
        ListHostedZonesByNameResponseTypeDef,
        ListTagsForResourceResponseTypeDef,
        ResourceRecordSetOutputTypeDef,
    )

CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"  # the hosted zone of every *.cloudfront.net alias target
CACHING_DISABLED: JsonObject = {"QueryString": True, "Cookies": {"Forward": "all"}}


def _reference_prefix(ctx: ApplyContext, name: str) -> str:
    return f"infragate:{ctx.project}:{ctx.environment}:{name}:"


# -- CloudFront -----------------------------------------------------------------------------------------
def find_distribution(ctx: ApplyContext, name: str) -> DistributionSummaryTypeDef | None:
    """The distribution's summary, found by tag or, failing that, by caller reference."""
    prefix = _reference_prefix(ctx, name)
    pages: Iterator[ListDistributionsResultTypeDef] = ctx.connection.pages("cloudfront", "list_distributions")
    for page in pages:
        for summary in page.get("DistributionList", {}).get("Items") or []:
            tagged: ListTagsForResourceResultTypeDef = ctx.call(
                "cloudfront", "list_tags_for_resource", Resource=summary["ARN"]
            )
            tags = tagged["Tags"].get("Items", [])
            tag_map = {t["Key"]: t.get("Value", "") for t in tags}
            if tag_map == {**tag_map, **ctx.tag_map(name)}:
                return summary
            if not tags:
                found: GetDistributionConfigResultTypeDef = ctx.call(
                    "cloudfront", "get_distribution_config", Id=summary["Id"]
                )
                if str(found["DistributionConfig"].get("CallerReference", "")).startswith(prefix):
                    return summary
    return None


def distribution_of(ctx: ApplyContext, name: str) -> DistributionSummaryTypeDef | None:
    """The distribution, looked up once per run for the resources that point at it (DNS, Shield, alarms).

    Finding one means listing every distribution and its tags; the distribution's own change looks it up
    fresh and clears this cache, and everything pointing at it runs after that change.
    """
    return ctx.once("distribution", name, lambda: find_distribution(ctx, name))


def instance_origin_domain(ctx: ApplyContext, group: str) -> str:
    """CloudFront needs a DNS name: the public name of the group's first Elastic IP."""
    for instance in instances_of(ctx, group):
        address = instance.get("PublicIpAddress")
        if address:
            suffix = "compute-1.amazonaws.com" if ctx.region == "us-east-1" else f"{ctx.region}.compute.amazonaws.com"
            return f"ec2-{address.replace('.', '-')}.{suffix}"
    raise AwsError(f"instance group {group} has no public address to serve as a CloudFront origin")


def _origin(ctx: ApplyContext, origin: Origin) -> JsonObject:
    if origin.bucket is not None:
        return {
            "Id": origin.target,
            "DomainName": f"{bucket_name(ctx, origin.bucket)}.s3.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""},
        }
    domain = origin.domain if origin.domain is not None else instance_origin_domain(ctx, str(origin.instance_group))
    return {
        "Id": origin.target,
        "DomainName": domain,
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only" if origin.https_only else "http-only",
        },
    }


def _behaviour(origin: Origin, policy: ViewerProtocolPolicy) -> JsonObject:
    return {
        "TargetOriginId": origin.target,
        "ViewerProtocolPolicy": policy.value,
        "MinTTL": 0,
        "ForwardedValues": CACHING_DISABLED,
        "TrustedSigners": {"Enabled": False, "Quantity": 0},
    }


def _distribution_config(ctx: ApplyContext, name: str, dist: Distribution, reference: str) -> JsonObject:
    """The DistributionConfig the design says (create_distribution_with_tags and update_distribution)."""
    default = next((o for o in dist.origins if o.path_pattern == "*"), dist.origins[0])
    others = [o for o in dist.origins if o is not default]
    certificate: JsonObject = {"CloudFrontDefaultCertificate": True}
    if dist.certificate_arn:
        certificate = {
            "ACMCertificateArn": dist.certificate_arn,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": dist.minimum_tls_version.value,
        }
    logging: JsonObject = {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""}
    if dist.logging_bucket:
        logging = {
            "Enabled": True,
            "IncludeCookies": False,
            "Bucket": f"{bucket_name(ctx, dist.logging_bucket)}.s3.amazonaws.com",
            "Prefix": f"{name}/",
        }
    return {
        "CallerReference": reference,
        "Comment": f"{name} ({ctx.project} {ctx.environment})",
        "Enabled": True,
        "Aliases": {"Quantity": len(dist.aliases), "Items": list(dist.aliases)},
        "Origins": {"Quantity": len(dist.origins), "Items": [_origin(ctx, o) for o in dist.origins]},
        "DefaultCacheBehavior": _behaviour(default, dist.viewer_protocol_policy),
        "CacheBehaviors": {
            "Quantity": len(others),
            "Items": [{**_behaviour(o, dist.viewer_protocol_policy), "PathPattern": o.path_pattern} for o in others],
        },
        "ViewerCertificate": certificate,
        "WebACLId": dist.waf_web_acl or "",
        "Logging": logging,
    }


def apply_distribution(ctx: ApplyContext, change: Change) -> None:
    existing = find_distribution(ctx, change.name)
    ctx.forget("distribution", change.name)
    if change.action is Action.DELETE:
        if existing is not None:
            _delete_distribution(ctx, existing["Id"])
        return
    dist = ctx.desired.distributions[change.name]
    if existing is None:
        reference = _reference_prefix(ctx, change.name) + uuid.uuid4().hex[:8]
        config = _distribution_config(ctx, change.name, dist, reference)
        ctx.call(
            "cloudfront",
            "create_distribution_with_tags",
            DistributionConfigWithTags={"DistributionConfig": config, "Tags": {"Items": ctx.tags(change.name)}},
        )
        return
    current: GetDistributionConfigResultTypeDef = ctx.call("cloudfront", "get_distribution_config", Id=existing["Id"])
    reference = current["DistributionConfig"]["CallerReference"]
    config = _distribution_config(ctx, change.name, dist, reference)
    ctx.call("cloudfront", "update_distribution", Id=existing["Id"], IfMatch=current["ETag"], DistributionConfig=config)
    ctx.call("cloudfront", "tag_resource", Resource=existing["ARN"], Tags={"Items": ctx.tags(change.name)})


def _delete_distribution(ctx: ApplyContext, distribution: str) -> None:
    current: GetDistributionConfigResultTypeDef = ctx.call("cloudfront", "get_distribution_config", Id=distribution)
    etag = current["ETag"]
    if current["DistributionConfig"]["Enabled"]:
        config = {**current["DistributionConfig"], "Enabled": False}
        updated: UpdateDistributionResultTypeDef = ctx.call(
            "cloudfront", "update_distribution", Id=distribution, IfMatch=etag, DistributionConfig=config
        )
        etag = updated["ETag"]
        if not ctx.embedded:  # CloudFront deletes only deployed, disabled distributions
            ctx.connection.wait("cloudfront", "distribution_deployed", Id=distribution)
    ctx.call("cloudfront", "delete_distribution", Id=distribution, IfMatch=etag)


# -- Route 53 -------------------------------------------------------------------------------------------
def find_zone(ctx: ApplyContext, name: str) -> str | None:
    """The zone id, by tag or by caller reference (the API allows two zones of the same name)."""
    prefix = _reference_prefix(ctx, name)
    listed: ListHostedZonesByNameResponseTypeDef = ctx.call(
        "route53", "list_hosted_zones_by_name", DNSName=name, MaxItems="100"
    )
    for zone in listed.get("HostedZones", []):
        if str(zone["Name"]).rstrip(".") != name:
            continue
        zone_id = str(zone["Id"]).rsplit("/", 1)[-1]
        if str(zone.get("CallerReference", "")).startswith(prefix):
            return zone_id
        tags: ListTagsForResourceResponseTypeDef = ctx.call(
            "route53", "list_tags_for_resource", ResourceType="hostedzone", ResourceId=zone_id
        )
        tag_map = {t.get("Key", ""): t.get("Value", "") for t in tags.get("ResourceTagSet", {}).get("Tags", [])}
        if tag_map == {**tag_map, **ctx.tag_map(name)}:
            return zone_id
    return None


def _record_sets(ctx: ApplyContext, zone: HostedZone) -> list[JsonObject]:
    return [_record_set(ctx, zone.name, record) for record in zone.records]


def _record_set(ctx: ApplyContext, domain: str, record: Record) -> JsonObject:
    """The ResourceRecordSet the design says for ``record``."""
    base: JsonObject = {"Name": record.fqdn(domain) + ".", "Type": record.type.value}
    if record.alias_distribution is not None:
        found = distribution_of(ctx, record.alias_distribution)
        if found is None:
            raise AwsError(f"distribution {record.alias_distribution} does not exist yet for {base['Name']}")
        target: JsonObject = {
            "HostedZoneId": CLOUDFRONT_ZONE_ID,
            "DNSName": found["DomainName"],
            "EvaluateTargetHealth": False,
        }
        return {**base, "AliasTarget": target}
    if record.instance_group is not None:
        addresses = sorted(
            i.get("PublicIpAddress", "") for i in instances_of(ctx, record.instance_group) if i.get("PublicIpAddress")
        )
        return {**base, "TTL": record.ttl, "ResourceRecords": [{"Value": a} for a in addresses]}
    return {**base, "TTL": record.ttl, "ResourceRecords": [{"Value": v} for v in record.values]}


def _live_sets(ctx: ApplyContext, zone_id: str, domain: str) -> list[ResourceRecordSetOutputTypeDef]:
    sets: list[ResourceRecordSetOutputTypeDef] = ctx.pages(
        "route53", "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone_id
    )
    apex = domain.rstrip(".") + "."
    return [s for s in sets if not (s["Name"] == apex and s["Type"] in ("NS", "SOA"))]


def apply_zone(ctx: ApplyContext, change: Change) -> None:
    zone_id = find_zone(ctx, change.name)
    if change.action is Action.DELETE:
        if zone_id is not None:
            doomed = [{"Action": "DELETE", "ResourceRecordSet": s} for s in _live_sets(ctx, zone_id, change.name)]
            if doomed:
                ctx.call(
                    "route53", "change_resource_record_sets", HostedZoneId=zone_id, ChangeBatch={"Changes": doomed}
                )
            ctx.call("route53", "delete_hosted_zone", Id=zone_id)
        return
    if zone_id is None:
        created: CreateHostedZoneResponseTypeDef = ctx.call(
            "route53",
            "create_hosted_zone",
            Name=change.name,
            CallerReference=_reference_prefix(ctx, change.name) + uuid.uuid4().hex[:8],
        )
        zone_id = str(created["HostedZone"]["Id"]).rsplit("/", 1)[-1]
    ctx.call(
        "route53",
        "change_tags_for_resource",
        ResourceType="hostedzone",
        ResourceId=zone_id,
        AddTags=ctx.tags(change.name),
    )
    wanted = _record_sets(ctx, ctx.desired.dns[change.name])
    keys = {(s["Name"], s["Type"]) for s in wanted}
    changes: list[dict[str, object]] = [{"Action": "UPSERT", "ResourceRecordSet": s} for s in wanted]
    changes += [
        {"Action": "DELETE", "ResourceRecordSet": s}
        for s in _live_sets(ctx, zone_id, change.name)
        if (s["Name"], s["Type"]) not in keys
    ]
    if changes:
        ctx.call("route53", "change_resource_record_sets", HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
