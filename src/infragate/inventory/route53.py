"""Route 53 collector: public hosted zones and their records."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from infragate.inventory import arns
from infragate.inventory.runner import Collector
from infragate.inventory.scope import Scope, tag_map
from infragate.inventory.snapshot import LiveRecord, LiveZone, Snapshot
from infragate.model import ComponentKind, RecordType, Section

if TYPE_CHECKING:  # for annotations only: importing it at run time would load boto3 or SQLAlchemy
    from infragate.aws import AwsConnection

KNOWN_TYPES = {member.value for member in RecordType}


def _relative(record_name: str, domain: str) -> str:
    name = record_name.rstrip(".").replace("\\052", "*")
    if name == domain:
        return "@"
    return name.removesuffix("." + domain)


def _record(raw: dict[str, Any], domain: str) -> LiveRecord | None:
    if raw["Type"] not in KNOWN_TYPES:
        return None
    alias = raw.get("AliasTarget")
    return LiveRecord(
        name=_relative(raw["Name"], domain),
        type=RecordType(raw["Type"]),
        values=tuple(str(value["Value"]) for value in raw.get("ResourceRecords", [])),
        alias_dns_name=str(alias["DNSName"]).lower().rstrip(".") if alias else None,
        ttl=int(raw.get("TTL", 0)),
    )


def collect_zones(connection: AwsConnection, scope: Scope, snapshot: Snapshot, region: str) -> None:
    for page in connection.pages("route53", "list_hosted_zones", region=region):
        for zone in page.get("HostedZones", []):
            if zone.get("Config", {}).get("PrivateZone"):
                continue  # private zones are not reachable from the internet, so the policy's rules do not apply
            zone_id = str(zone["Id"]).rsplit("/", 1)[-1]
            listed = connection.call(
                "route53", "list_tags_for_resource", region=region, ResourceType="hostedzone", ResourceId=zone_id
            )
            tags = tag_map(listed.get("ResourceTagSet", {}).get("Tags"))
            if not scope.includes(tags):
                continue
            domain = str(zone["Name"]).rstrip(".")
            records = [
                _record(raw, domain)
                for records_page in connection.pages(
                    "route53", "list_resource_record_sets", region=region, HostedZoneId=zone_id
                )
                for raw in records_page.get("ResourceRecordSets", [])
            ]
            name = scope.component_name(tags, domain)
            arn = arns.hosted_zone(zone_id)
            snapshot.zones[name] = LiveZone(
                name=name, domain=domain, arn=arn, records=tuple(r for r in records if r is not None)
            )
            snapshot.own(ComponentKind.HOSTED_ZONE, name, zone_id, arn, tags=tags)


COLLECTOR = Collector("route53", frozenset({Section.DNS}), collect_zones, regional=False)
