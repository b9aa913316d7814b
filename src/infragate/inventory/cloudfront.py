"""CloudFront collector: distributions with viewer protocol, TLS, WAF, logging, aliases and origins."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from infragate.inventory.runner import Collector
from infragate.inventory.scope import Scope, tag_map
from infragate.inventory.snapshot import Snapshot
from infragate.model import ComponentKind, Distribution, Origin, Section, TlsVersion, ViewerProtocolPolicy

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from infragate.aws import AwsConnection

# Bucket origins: name.s3.amazonaws.com, name.s3.region.amazonaws.com, name.s3-website-region.amazonaws.com
S3_DOMAIN = re.compile(r"^(?P<bucket>.+?)\.s3([.-][a-z0-9-]+)*\.amazonaws\.com(\.cn)?$")
# Worst first: a distribution is as weak as its weakest cache behaviour.
POLICY_ORDER = [ViewerProtocolPolicy.ALLOW_ALL, ViewerProtocolPolicy.REDIRECT_TO_HTTPS, ViewerProtocolPolicy.HTTPS_ONLY]


def _items(container: dict[str, Any] | None) -> list[Any]:
    return list((container or {}).get("Items") or [])


def _origin(origin: dict[str, Any], viewer_https_only: bool, path_pattern: str) -> Origin:
    """An origin as CloudFront stores it: buckets by name, anything else by domain (``assemble`` maps an
    instance group's address back to the group). ``viewer_https_only``: no viewer request reaches this
    origin over plain HTTP (its behaviours are https-only or redirect-to-https), so ``match-viewer`` means
    HTTPS to the origin too."""
    domain = str(origin["DomainName"]).lower()
    match = S3_DOMAIN.match(domain)
    if match and "website" not in domain:
        return Origin(bucket=match.group("bucket"), path_pattern=path_pattern)
    protocol = (origin.get("CustomOriginConfig") or {}).get("OriginProtocolPolicy", "match-viewer")
    https_only = protocol == "https-only" or (protocol == "match-viewer" and viewer_https_only)
    return Origin(domain=domain, https_only=https_only, path_pattern=path_pattern)


def _path_patterns(config: dict[str, Any]) -> dict[str, str]:
    """Origin id -> the path pattern routed to it (the default behaviour is '*')."""
    patterns = {str(b["TargetOriginId"]): str(b["PathPattern"]) for b in _items(config.get("CacheBehaviors"))}
    patterns.setdefault(str(config["DefaultCacheBehavior"]["TargetOriginId"]), "*")
    return patterns


def _viewer_policy(config: dict[str, Any], origin_id: str | None = None) -> ViewerProtocolPolicy:
    """The weakest viewer policy of the distribution, or of the behaviours that route to one origin."""
    behaviours = [config["DefaultCacheBehavior"], *_items(config.get("CacheBehaviors"))]
    if origin_id is not None:
        behaviours = [b for b in behaviours if b.get("TargetOriginId") == origin_id] or behaviours
    policies = {ViewerProtocolPolicy(b.get("ViewerProtocolPolicy", "allow-all")) for b in behaviours}
    return next(policy for policy in POLICY_ORDER if policy in policies)


def _minimum_tls(certificate: dict[str, Any]) -> TlsVersion:
    # The default *.cloudfront.net certificate accepts TLSv1 whatever MinimumProtocolVersion says. (The
    # emulator reports the default flag even beside an ACM certificate, so a named certificate wins.)
    own = certificate.get("ACMCertificateArn") or certificate.get("IAMCertificateId")
    if certificate.get("CloudFrontDefaultCertificate", False) and not own:
        return TlsVersion.TLSV1
    return TlsVersion(certificate.get("MinimumProtocolVersion", TlsVersion.TLSV1.value))


def _logging_bucket(logging: dict[str, Any] | None) -> str | None:
    if not logging or not logging.get("Enabled"):
        return None
    match = S3_DOMAIN.match(str(logging.get("Bucket", "")))
    return match.group("bucket") if match else str(logging.get("Bucket")) or None


def collect_distributions(connection: AwsConnection, scope: Scope, snapshot: Snapshot, region: str) -> None:
    for page in connection.pages("cloudfront", "list_distributions", region=region):
        for summary in _items(page.get("DistributionList")):
            arn, dist_id = summary["ARN"], summary["Id"]
            tags = tag_map(
                _items(connection.call("cloudfront", "list_tags_for_resource", region=region, Resource=arn)["Tags"])
            )
            if not scope.includes(tags):
                continue
            config = connection.call("cloudfront", "get_distribution_config", region=region, Id=dist_id)
            config = config["DistributionConfig"]
            policy = _viewer_policy(config)
            patterns = _path_patterns(config)
            certificate = config.get("ViewerCertificate") or {}
            name = scope.component_name(tags, dist_id)
            snapshot.distributions[name] = Distribution(
                name=name,
                origins=tuple(
                    _origin(
                        o,
                        _viewer_policy(config, o["Id"]) is not ViewerProtocolPolicy.ALLOW_ALL,
                        patterns.get(o["Id"], "*"),
                    )
                    for o in _items(config.get("Origins"))
                ),
                viewer_protocol_policy=policy,
                minimum_tls_version=_minimum_tls(certificate),
                certificate_arn=certificate.get("ACMCertificateArn") or None,
                waf_web_acl=config.get("WebACLId") or None,
                logging_bucket=_logging_bucket(config.get("Logging")),
                aliases=tuple(_items(config.get("Aliases"))),
            )
            snapshot.distribution_domains[str(summary["DomainName"]).lower().rstrip(".")] = name
            snapshot.own(ComponentKind.DISTRIBUTION, name, dist_id, arn, tags=tags)


COLLECTOR = Collector("cloudfront", frozenset({Section.DISTRIBUTIONS}), collect_distributions, regional=False)
