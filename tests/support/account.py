"""Build resources in an (embedded) AWS account for tests and benchmarks, through the real API.

Each helper makes what one kind of resource needs, tagged for a project when ``tags`` are given, and
returns the ids a test needs to check against.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from infragate.aws import AwsConnection

AMI = "ami-12c6146b"  # an image the emulator knows


def tag_list(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in (tags or {}).items()]


def tag_spec(resource: str, tags: dict[str, str] | None) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": tag_list(tags)}] if tags else []


def project_tags(project: str, environment: str, component: str) -> dict[str, str]:
    return {"infragate:project": project, "infragate:env": environment, "infragate:component": component}


@dataclass(frozen=True)
class NetworkIds:
    vpc: str
    public_subnet: str
    private_subnet: str


def network(aws: AwsConnection, tags: dict[str, str] | None = None, cidr: str = "10.20.0.0/16") -> NetworkIds:
    """A VPC with one public subnet (routed to an internet gateway) and one private subnet."""
    base = cidr.split(".")
    vpc = aws.call("ec2", "create_vpc", CidrBlock=cidr, TagSpecifications=tag_spec("vpc", tags))["Vpc"]["VpcId"]
    igw = aws.call("ec2", "create_internet_gateway")["InternetGateway"]["InternetGatewayId"]
    aws.call("ec2", "attach_internet_gateway", InternetGatewayId=igw, VpcId=vpc)
    subnets = []
    for index, name in enumerate(("public", "private")):
        subnet_tags = {**tags, "infragate:component": name} if tags else None
        subnets.append(
            aws.call(
                "ec2",
                "create_subnet",
                VpcId=vpc,
                CidrBlock=f"{base[0]}.{base[1]}.{index}.0/24",
                AvailabilityZone=f"{aws.spec.region}a",
                TagSpecifications=tag_spec("subnet", subnet_tags),
            )["Subnet"]["SubnetId"]
        )
    table = aws.call("ec2", "create_route_table", VpcId=vpc)["RouteTable"]["RouteTableId"]
    aws.call("ec2", "create_route", RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    aws.call("ec2", "associate_route_table", RouteTableId=table, SubnetId=subnets[0])
    return NetworkIds(vpc, subnets[0], subnets[1])


def security_group(
    aws: AwsConnection, vpc: str, name: str, open_ports: tuple[int, ...] = (), tags: dict[str, str] | None = None
) -> str:
    group = aws.call(
        "ec2",
        "create_security_group",
        GroupName=name,
        Description=f"{name} servers",
        VpcId=vpc,
        TagSpecifications=tag_spec("security-group", tags),
    )["GroupId"]
    if open_ports:
        aws.call(
            "ec2",
            "authorize_security_group_ingress",
            GroupId=group,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
                for port in open_ports
            ],
        )
    return group


def instances(
    aws: AwsConnection,
    count: int,
    subnet: str,
    groups: tuple[str, ...] = (),
    tags: dict[str, str] | None = None,
    *,
    imdsv2: bool = True,
    metadata_endpoint: bool = True,
) -> list[str]:
    reservation = aws.call(
        "ec2",
        "run_instances",
        ImageId=AMI,
        MinCount=count,
        MaxCount=count,
        InstanceType="t3.micro",
        SubnetId=subnet,
        SecurityGroupIds=list(groups),
        MetadataOptions={
            "HttpTokens": "required" if imdsv2 else "optional",
            "HttpEndpoint": "enabled" if metadata_endpoint else "disabled",
        },
        TagSpecifications=tag_spec("instance", tags),
    )
    return [instance["InstanceId"] for instance in reservation["Instances"]]


def elastic_ip(aws: AwsConnection, instance: str) -> str:
    """Give the instance an Elastic IP; returns the allocation's ARN (what Shield protects)."""
    allocation = aws.call("ec2", "allocate_address", Domain="vpc")["AllocationId"]
    aws.call("ec2", "associate_address", AllocationId=allocation, InstanceId=instance)
    account = aws.call("sts", "get_caller_identity")["Account"]
    return f"arn:aws:ec2:{aws.spec.region}:{account}:eip-allocation/{allocation}"


def database(aws: AwsConnection, identifier: str, tags: dict[str, str] | None = None, **settings: Any) -> str:
    options: dict[str, Any] = {
        "Engine": "postgres",
        "EngineVersion": "16.4",
        "DBInstanceClass": "db.t3.micro",
        "AllocatedStorage": 20,
        "MasterUsername": "admin_user",
        "MasterUserPassword": "not-a-secret-1",
        "StorageEncrypted": True,
        "BackupRetentionPeriod": 7,
        "PubliclyAccessible": False,
    } | settings
    created = aws.call("rds", "create_db_instance", DBInstanceIdentifier=identifier, Tags=tag_list(tags), **options)
    return str(created["DBInstance"]["DBInstanceArn"])


def bucket(
    aws: AwsConnection,
    name: str,
    tags: dict[str, str] | None = None,
    *,
    public_policy: bool = False,
    statement: dict[str, Any] | None = None,
) -> None:
    location = {"LocationConstraint": aws.spec.region} if aws.spec.region != "us-east-1" else None
    aws.call("s3", "create_bucket", Bucket=name, **({"CreateBucketConfiguration": location} if location else {}))
    if tags:
        aws.call("s3", "put_bucket_tagging", Bucket=name, Tagging={"TagSet": tag_list(tags)})
    if public_policy and statement is None:
        statement = {"Effect": "Allow", "Principal": "*"}
    if statement is not None:
        statement = {"Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*", **statement}
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        aws.call("s3", "put_bucket_policy", Bucket=name, Policy=policy)


def distribution(
    aws: AwsConnection,
    origin_bucket: str,
    tags: dict[str, str] | None = None,
    *,
    viewer_policy: str = "redirect-to-https",
    web_acl: str = "",
    origin_domain: str | None = None,
    origin_protocol: str = "match-viewer",
) -> tuple[str, str, str]:
    """A distribution in front of a bucket (or of ``origin_domain``, a custom origin reached with
    ``origin_protocol``); returns (id, ARN, domain name)."""
    origin: dict[str, Any] = {
        "Id": "assets",
        "DomainName": f"{origin_bucket}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    if origin_domain is not None:
        ports = {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": origin_protocol}
        origin = {"Id": "assets", "DomainName": origin_domain, "CustomOriginConfig": ports}
    config = {
        "CallerReference": str(uuid.uuid4()),
        "Comment": "test",
        "Enabled": True,
        "WebACLId": web_acl,
        "Origins": {
            "Quantity": 1,
            "Items": [origin],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "assets",
            "ViewerProtocolPolicy": viewer_policy,
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
    }
    created = aws.call(
        "cloudfront",
        "create_distribution_with_tags",
        DistributionConfigWithTags={"DistributionConfig": config, "Tags": {"Items": tag_list(tags)}},
    )["Distribution"]
    return created["Id"], created["ARN"], created["DomainName"]


def hosted_zone(aws: AwsConnection, domain: str, alias_to: str | None = None) -> tuple[str, str]:
    """A public zone (with www aliased to ``alias_to`` when given); returns (zone id, ARN)."""
    zone = aws.call("route53", "create_hosted_zone", Name=domain, CallerReference=str(uuid.uuid4()))["HostedZone"]
    zone_id = zone["Id"].rsplit("/", 1)[-1]
    if alias_to:
        change = {
            "Action": "UPSERT",
            "ResourceRecordSet": {
                "Name": f"www.{domain}",
                "Type": "A",
                "AliasTarget": {"HostedZoneId": "Z2FDTNDATAQYW2", "DNSName": alias_to, "EvaluateTargetHealth": False},
            },
        }
        aws.call("route53", "change_resource_record_sets", HostedZoneId=zone_id, ChangeBatch={"Changes": [change]})
    return zone_id, f"arn:aws:route53:::hostedzone/{zone_id}"


def a_record(aws: AwsConnection, zone_id: str, name: str, address: str) -> None:
    record = {"Name": name, "Type": "A", "TTL": 300, "ResourceRecords": [{"Value": address}]}
    change = {"Action": "UPSERT", "ResourceRecordSet": record}
    aws.call("route53", "change_resource_record_sets", HostedZoneId=zone_id, ChangeBatch={"Changes": [change]})


def volume(aws: AwsConnection, *, encrypted: bool, tags: dict[str, str] | None = None) -> str:
    created = aws.call(
        "ec2",
        "create_volume",
        AvailabilityZone=f"{aws.spec.region}a",
        Size=8,
        Encrypted=encrypted,
        TagSpecifications=tag_spec("volume", tags),
    )
    return str(created["VolumeId"])


def shield(aws: AwsConnection, protect: tuple[str, ...] = ()) -> None:
    aws.call("shield", "create_subscription")
    for index, arn in enumerate(protect):
        aws.call("shield", "create_protection", Name=f"protection-{index}", ResourceArn=arn)


def alarm(aws: AwsConnection, name: str, metric: str, dimension: tuple[str, str], actions: tuple[str, ...]) -> None:
    aws.call(
        "cloudwatch",
        "put_metric_alarm",
        AlarmName=name,
        MetricName=metric,
        Namespace="AWS/EC2",
        Statistic="Average",
        Period=300,
        EvaluationPeriods=2,
        Threshold=80.0,
        ComparisonOperator="GreaterThanThreshold",
        Dimensions=[{"Name": dimension[0], "Value": dimension[1]}],
        AlarmActions=list(actions),
    )


def backup_plan(aws: AwsConnection, name: str, retention_days: int, resources: tuple[str, ...] = ()) -> str:
    rule = {
        "RuleName": "daily",
        "TargetBackupVaultName": "Default",
        "ScheduleExpression": "cron(0 3 * * ? *)",
        "Lifecycle": {"DeleteAfterDays": retention_days},
    }
    plan_id: str = aws.call("backup", "create_backup_plan", BackupPlan={"BackupPlanName": name, "Rules": [rule]})[
        "BackupPlanId"
    ]
    if resources:
        selection = {"SelectionName": name, "IamRoleArn": "arn:aws:iam::123456789012:role/b", "Resources": resources}
        aws.call("backup", "create_backup_selection", BackupPlanId=plan_id, BackupSelection=selection)
    return plan_id
