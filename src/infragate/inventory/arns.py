"""ARNs built from ids, for the resources whose APIs return only ids (Shield and Backup match by ARN)."""

from __future__ import annotations


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def eip_allocation(region: str, account: str, allocation_id: str) -> str:
    return f"arn:{partition(region)}:ec2:{region}:{account}:eip-allocation/{allocation_id}"


def instance(region: str, account: str, instance_id: str) -> str:
    return f"arn:{partition(region)}:ec2:{region}:{account}:instance/{instance_id}"


def volume(region: str, account: str, volume_id: str) -> str:
    return f"arn:{partition(region)}:ec2:{region}:{account}:volume/{volume_id}"


def bucket(name: str, region: str = "") -> str:
    return f"arn:{partition(region)}:s3:::{name}"


def hosted_zone(zone_id: str) -> str:
    return f"arn:aws:route53:::hostedzone/{zone_id.rsplit('/', 1)[-1]}"
