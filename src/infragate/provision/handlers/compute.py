"""Instance groups: N tagged instances spread over the tier's subnets, each with its Elastic IP when asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infragate.model import InstanceGroup
from infragate.provision.context import ROLE_TAG, ApplyContext
from infragate.provision.handlers.network import group_id, subnet_ids
from infragate.provision.plan import Action, Change

if TYPE_CHECKING:  # the documented shapes of EC2's answers (boto3-stubs, for type checking only)
    from mypy_boto3_ec2.type_defs import (
        AddressTypeDef,
        AllocateAddressResultTypeDef,
        DescribeAddressesResultTypeDef,
        FilterTypeDef,
        InstanceTypeDef,
        ReservationTypeDef,
    )

LIVE_STATES = ["pending", "running", "stopping", "stopped"]
ROOT_DEVICE = "/dev/xvda"


def instances_of(ctx: ApplyContext, group: str) -> list[InstanceTypeDef]:
    """The group's live instances, oldest first (found by tags, so a crashed run's instances are adopted)."""
    filters: list[FilterTypeDef] = [*ctx.tag_filters(group), {"Name": "instance-state-name", "Values": LIVE_STATES}]
    reservations: list[ReservationTypeDef] = ctx.pages("ec2", "describe_instances", "Reservations", Filters=filters)
    found = [instance for reservation in reservations for instance in reservation.get("Instances", [])]
    return sorted(found, key=lambda i: (str(i.get("LaunchTime", "")), i["InstanceId"]))


def addresses_of(ctx: ApplyContext, group: str) -> list[AddressTypeDef]:
    """Elastic IPs allocated for the group (associated or left over from an interrupted run)."""
    found: DescribeAddressesResultTypeDef = ctx.call("ec2", "describe_addresses", Filters=ctx.tag_filters(group))
    return list(found.get("Addresses", []))


def _launch(ctx: ApplyContext, name: str, group: InstanceGroup, count: int, already: int) -> None:
    subnets = subnet_ids(ctx, group.subnet_tier)
    security_groups = [group_id(ctx, sg) for sg in group.security_groups]
    per_subnet = [0] * len(subnets)
    for index in range(already, already + count):  # round-robin over the tier's subnets (and their zones)
        per_subnet[index % len(subnets)] += 1
    for subnet, how_many in zip(subnets, per_subnet, strict=True):
        if how_many == 0:
            continue
        ctx.call(
            "ec2",
            "run_instances",
            ImageId=group.ami,
            InstanceType=group.instance_type,
            MinCount=how_many,
            MaxCount=how_many,
            SubnetId=subnet,
            SecurityGroupIds=security_groups,
            MetadataOptions={"HttpTokens": "required" if group.imdsv2 else "optional", "HttpEndpoint": "enabled"},
            Monitoring={"Enabled": group.detailed_monitoring},
            BlockDeviceMappings=[
                {
                    "DeviceName": ROOT_DEVICE,
                    "Ebs": {
                        "VolumeSize": group.root_volume.size_gb,
                        "VolumeType": group.root_volume.type.value,
                        "Encrypted": group.root_volume.encrypted,
                        "DeleteOnTermination": True,
                    },
                }
            ],
            TagSpecifications=[
                *ctx.tag_spec("instance", name, **{ROLE_TAG: group.role.value}),
                *ctx.tag_spec("volume", name),
            ],
            ClientToken=ctx.token(name, subnet),
        )


def _terminate(ctx: ApplyContext, instances: list[InstanceTypeDef]) -> None:
    if not instances:
        return
    ids = [instance["InstanceId"] for instance in instances]
    ctx.call("ec2", "terminate_instances", InstanceIds=ids)
    if not ctx.embedded:  # subnets and security groups can only go once the instances are gone
        ctx.connection.wait("ec2", "instance_terminated", InstanceIds=ids)


def _release(ctx: ApplyContext, addresses: list[AddressTypeDef]) -> None:
    for address in addresses:
        if address.get("AssociationId"):
            ctx.call("ec2", "disassociate_address", AssociationId=address["AssociationId"])
        ctx.call("ec2", "release_address", AllocationId=address["AllocationId"])


def _sync_settings(ctx: ApplyContext, name: str, group: InstanceGroup, instances: list[InstanceTypeDef]) -> None:
    wanted_groups = sorted(group_id(ctx, sg) for sg in group.security_groups)
    for instance in instances:
        instance_id = instance["InstanceId"]
        tokens = "required" if group.imdsv2 else "optional"
        if instance.get("MetadataOptions", {}).get("HttpTokens") != tokens:
            ctx.call("ec2", "modify_instance_metadata_options", InstanceId=instance_id, HttpTokens=tokens)
        if sorted(g["GroupId"] for g in instance.get("SecurityGroups", [])) != wanted_groups:
            ctx.call("ec2", "modify_instance_attribute", InstanceId=instance_id, Groups=wanted_groups)
        monitored = instance.get("Monitoring", {}).get("State") == "enabled"
        if monitored != group.detailed_monitoring:
            operation = "monitor_instances" if group.detailed_monitoring else "unmonitor_instances"
            ctx.call("ec2", operation, InstanceIds=[instance_id])
    ids = [instance["InstanceId"] for instance in instances]
    if ids:
        ctx.call("ec2", "create_tags", Resources=ids, Tags=ctx.tags(name, **{ROLE_TAG: group.role.value}))


def _sync_addresses(ctx: ApplyContext, name: str, group: InstanceGroup, instances: list[InstanceTypeDef]) -> None:
    addresses = addresses_of(ctx, name)
    if not group.elastic_ip:
        _release(ctx, addresses)
        return
    live_ids = {instance["InstanceId"] for instance in instances}
    for address in addresses:  # addresses of instances that are gone are reused below, or released
        if address.get("InstanceId") and address["InstanceId"] not in live_ids:
            ctx.call("ec2", "disassociate_address", AssociationId=address["AssociationId"])
            address.pop("InstanceId")
    covered = {address["InstanceId"] for address in addresses if address.get("InstanceId")}
    spare = [address for address in addresses if not address.get("InstanceId")]
    for instance in instances:
        if instance["InstanceId"] in covered:
            continue
        if spare:
            allocation = spare.pop(0)["AllocationId"]
        else:
            allocated: AllocateAddressResultTypeDef = ctx.call(
                "ec2", "allocate_address", Domain="vpc", TagSpecifications=ctx.tag_spec("elastic-ip", name)
            )
            allocation = allocated["AllocationId"]
        ctx.call("ec2", "associate_address", AllocationId=allocation, InstanceId=instance["InstanceId"])
    _release(ctx, spare)


def apply_instance_group(ctx: ApplyContext, change: Change) -> None:
    name = change.name
    if change.action in (Action.DELETE, Action.REPLACE):
        if change.action is Action.DELETE:
            _release(ctx, addresses_of(ctx, name))
        _terminate(ctx, instances_of(ctx, name))
        if change.action is Action.DELETE:
            return
    group = ctx.desired.compute[name]
    instances = instances_of(ctx, name)
    if len(instances) > group.count:
        _terminate(ctx, instances[group.count :])  # the newest go first
    elif len(instances) < group.count:
        _launch(ctx, name, group, group.count - len(instances), len(instances))
    instances = instances_of(ctx, name)
    _sync_settings(ctx, name, group, instances)
    _sync_addresses(ctx, name, group, instances)
