"""The VPC with its internet gateway and public route table, subnets, and security groups with their rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from infragate.errors import AwsError, UsageError
from infragate.inventory.permissions import ALL_PROTOCOLS, Permission, parse_permissions, to_api
from infragate.model import SecurityRule, Tier
from infragate.model.network import Protocol
from infragate.provision.context import ApplyContext
from infragate.provision.plan import Action, Change

if TYPE_CHECKING:  # the documented shapes of EC2's answers (boto3-stubs, for type checking only)
    from mypy_boto3_ec2.type_defs import (
        CreateInternetGatewayResultTypeDef,
        CreateRouteTableResultTypeDef,
        CreateSecurityGroupResultTypeDef,
        CreateSubnetResultTypeDef,
        CreateVpcResultTypeDef,
        DescribeSecurityGroupsResultTypeDef,
        FilterTypeDef,
        InternetGatewayTypeDef,
        IpPermissionOutputTypeDef,
        RouteTableTypeDef,
        SecurityGroupTypeDef,
        SubnetTypeDef,
        VpcTypeDef,
    )

NETWORK = "network"
PUBLIC_ROUTES = "public-routes"


def _one(items: Sequence[Mapping[str, object]], key: str) -> str | None:
    """The ``key`` (an id) of the first item, or None when there is none."""
    return str(items[0][key]) if items else None


# -- VPC ------------------------------------------------------------------------------------------------
def vpc_id(ctx: ApplyContext) -> str:
    found = ctx.once("vpc", NETWORK, lambda: _find_vpc(ctx))
    if found is None:
        ctx.forget("vpc", NETWORK)
        raise AwsError("the VPC does not exist", hint="Apply the network change first (it failed or was skipped).")
    return found


def _find_vpc(ctx: ApplyContext) -> str | None:
    vpcs: list[VpcTypeDef] = ctx.pages("ec2", "describe_vpcs", "Vpcs", Filters=ctx.tag_filters(NETWORK))
    return _one(vpcs, "VpcId")


def public_route_table(ctx: ApplyContext) -> str:
    def find() -> str:
        tables: list[RouteTableTypeDef] = ctx.pages(
            "ec2", "describe_route_tables", "RouteTables", Filters=ctx.tag_filters(PUBLIC_ROUTES)
        )
        found = _one(tables, "RouteTableId")
        if found is None:
            raise AwsError("the public route table does not exist", hint="Apply the network change first.")
        return found

    return ctx.once("route-table", PUBLIC_ROUTES, find)


def apply_network(ctx: ApplyContext, change: Change) -> None:
    if change.action is Action.REPLACE:
        raise UsageError(
            "the VPC CIDR changed, which means rebuilding every resource in it",
            hint="Run `infragate destroy` for this environment, then apply again.",
        )
    if change.action is Action.DELETE:
        _delete_network(ctx)
        return
    cidr = ctx.desired.network.vpc_cidr
    vpc = _find_vpc(ctx)
    if vpc is None:
        made: CreateVpcResultTypeDef = ctx.call(
            "ec2", "create_vpc", CidrBlock=str(cidr), TagSpecifications=ctx.tag_spec("vpc", NETWORK)
        )
        vpc = made["Vpc"]["VpcId"]
        ctx.call("ec2", "modify_vpc_attribute", VpcId=vpc, EnableDnsHostnames={"Value": True})
    ctx.forget("vpc", NETWORK)
    attached: list[FilterTypeDef] = [{"Name": "attachment.vpc-id", "Values": [vpc]}]
    gateways: list[InternetGatewayTypeDef] = ctx.pages(
        "ec2", "describe_internet_gateways", "InternetGateways", Filters=attached
    )
    gateway = _one(gateways, "InternetGatewayId")
    if gateway is None:
        made_gateway: CreateInternetGatewayResultTypeDef = ctx.call(
            "ec2", "create_internet_gateway", TagSpecifications=ctx.tag_spec("internet-gateway", NETWORK)
        )
        gateway = made_gateway["InternetGateway"]["InternetGatewayId"]
        ctx.call("ec2", "attach_internet_gateway", InternetGatewayId=gateway, VpcId=vpc)
    tables: list[RouteTableTypeDef] = ctx.pages(
        "ec2", "describe_route_tables", "RouteTables", Filters=ctx.tag_filters(PUBLIC_ROUTES)
    )
    if not tables:
        made_table: CreateRouteTableResultTypeDef = ctx.call(
            "ec2", "create_route_table", VpcId=vpc, TagSpecifications=ctx.tag_spec("route-table", PUBLIC_ROUTES)
        )
        table = made_table["RouteTable"]["RouteTableId"]
        ctx.call("ec2", "create_route", RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    ctx.forget("route-table", PUBLIC_ROUTES)


def _delete_network(ctx: ApplyContext) -> None:
    vpc = _find_vpc(ctx)
    if vpc is None:
        return
    tables: list[RouteTableTypeDef] = ctx.pages(
        "ec2", "describe_route_tables", "RouteTables", Filters=ctx.tag_filters(PUBLIC_ROUTES)
    )
    for table in tables:
        for association in table.get("Associations", []):
            if not association.get("Main"):
                ctx.call("ec2", "disassociate_route_table", AssociationId=association["RouteTableAssociationId"])
        ctx.call("ec2", "delete_route_table", RouteTableId=table["RouteTableId"])
    filters: list[FilterTypeDef] = [{"Name": "attachment.vpc-id", "Values": [vpc]}]
    gateways: list[InternetGatewayTypeDef] = ctx.pages(
        "ec2", "describe_internet_gateways", "InternetGateways", Filters=filters
    )
    for gateway in gateways:
        ctx.call("ec2", "detach_internet_gateway", InternetGatewayId=gateway["InternetGatewayId"], VpcId=vpc)
        ctx.call("ec2", "delete_internet_gateway", InternetGatewayId=gateway["InternetGatewayId"])
    ctx.call("ec2", "delete_vpc", VpcId=vpc)
    ctx.forget("vpc", NETWORK)


# -- subnets --------------------------------------------------------------------------------------------
def _find_subnet(ctx: ApplyContext, name: str) -> SubnetTypeDef | None:
    subnets: list[SubnetTypeDef] = ctx.pages("ec2", "describe_subnets", "Subnets", Filters=ctx.tag_filters(name))
    return subnets[0] if subnets else None


def subnet_ids(ctx: ApplyContext, tier: Tier) -> list[str]:
    """The ids of the design's subnets of a tier, in name order (instances are spread over them)."""
    ids = []
    for name in sorted(n for n, s in ctx.desired.network.subnets.items() if s.tier is tier):
        found = ctx.once("subnet", name, lambda name=name: _find_subnet(ctx, name))  # type: ignore[misc]
        if found is None:
            ctx.forget("subnet", name)
            raise AwsError(f"subnet {name} does not exist", hint="Its change failed or was skipped; apply again.")
        ids.append(str(found["SubnetId"]))
    return ids


def apply_subnet(ctx: ApplyContext, change: Change) -> None:
    existing = _find_subnet(ctx, change.name)
    if change.action in (Action.DELETE, Action.REPLACE) and existing is not None:
        _route_publicly(ctx, existing["SubnetId"], False)
        ctx.call("ec2", "delete_subnet", SubnetId=existing["SubnetId"])
        existing = None
    ctx.forget("subnet", change.name)
    if change.action is Action.DELETE:
        return
    subnet = ctx.desired.network.subnets[change.name]
    if existing is None:
        made: CreateSubnetResultTypeDef = ctx.call(
            "ec2",
            "create_subnet",
            VpcId=vpc_id(ctx),
            CidrBlock=str(subnet.cidr),
            AvailabilityZone=subnet.availability_zone,
            TagSpecifications=ctx.tag_spec("subnet", change.name),
        )
        existing = made["Subnet"]
    _route_publicly(ctx, existing["SubnetId"], subnet.tier is Tier.PUBLIC)


def _route_publicly(ctx: ApplyContext, subnet: str, public: bool) -> None:
    """Associate the subnet with the public route table, or take it back to the VPC's main (private) one."""
    filters: list[FilterTypeDef] = [{"Name": "association.subnet-id", "Values": [subnet]}]
    tables: list[RouteTableTypeDef] = ctx.pages("ec2", "describe_route_tables", "RouteTables", Filters=filters)
    associations = [
        association
        for table in tables
        for association in table.get("Associations", [])
        if association.get("SubnetId") == subnet
    ]
    if public and not associations:
        ctx.call("ec2", "associate_route_table", RouteTableId=public_route_table(ctx), SubnetId=subnet)
    if not public:
        for association in associations:
            ctx.call("ec2", "disassociate_route_table", AssociationId=association["RouteTableAssociationId"])


# -- security groups ------------------------------------------------------------------------------------
def _find_group(ctx: ApplyContext, name: str) -> str | None:
    groups: list[SecurityGroupTypeDef] = ctx.pages(
        "ec2", "describe_security_groups", "SecurityGroups", Filters=ctx.tag_filters(name)
    )
    return _one(groups, "GroupId")


def group_id(ctx: ApplyContext, name: str) -> str:
    """The id of a design security group, creating the (empty) group if it does not exist yet.

    Groups refer to each other (web -> db, db -> web), so whichever change runs first creates both.
    """

    def find_or_create() -> str:
        found = _find_group(ctx, name)
        if found is not None:
            return found
        group = ctx.desired.network.security_groups[name]
        created: CreateSecurityGroupResultTypeDef = ctx.call(
            "ec2",
            "create_security_group",
            GroupName=ctx.aws_name(name),
            Description=group.description or f"{name} ({ctx.project} {ctx.environment})",
            VpcId=vpc_id(ctx),
            TagSpecifications=ctx.tag_spec("security-group", name),
        )
        return str(created["GroupId"])

    return ctx.once("security-group", name, find_or_create)


def _permissions(ctx: ApplyContext, rules: tuple[SecurityRule, ...]) -> set[Permission]:
    result = set()
    for rule in rules:
        protocol = ALL_PROTOCOLS if rule.protocol is Protocol.ALL else rule.protocol.value
        first, last = (rule.ports.first, rule.ports.last) if protocol in ("tcp", "udp") else (-1, -1)
        peer = str(rule.cidr) if rule.cidr is not None else group_id(ctx, str(rule.group))
        result.add(Permission.of(protocol, first, last, peer, rule.description))
    return result


def _live(permissions: list[IpPermissionOutputTypeDef]) -> set[Permission]:
    return set(parse_permissions(permissions))


def _delete_group(ctx: ApplyContext, name: str) -> None:
    """Remove every rule that mentions the group (its own, and the project's groups pointing at it), then it.

    Groups reference each other, so deletions run one at a time: two at once would each find the other's
    rule gone half-way through.
    """
    with ctx.serial("security-group-deletion"):
        existing = _find_group(ctx, name)
        if existing is None:
            return
        groups: list[SecurityGroupTypeDef] = ctx.pages(
            "ec2", "describe_security_groups", "SecurityGroups", Filters=ctx.tag_filters()
        )
        for group in groups:
            mentioning = {
                direction: [
                    p for p in permissions if any(g.get("GroupId") == existing for g in p.get("UserIdGroupPairs", []))
                ]
                for direction, permissions in (
                    ("ingress", group.get("IpPermissions", [])),
                    ("egress", group.get("IpPermissionsEgress", [])),
                )
            }
            for direction, permissions in mentioning.items():
                wanted = {p for p in _live(permissions) if p.peer == existing}
                if wanted and group["GroupId"] != existing:
                    ctx.call(
                        "ec2",
                        f"revoke_security_group_{direction}",
                        GroupId=group["GroupId"],
                        IpPermissions=[to_api(p) for p in sorted(wanted)],
                    )
        _sync_rules(ctx, existing, set(), set())
        ctx.call("ec2", "delete_security_group", GroupId=existing)


def apply_security_group(ctx: ApplyContext, change: Change) -> None:
    if change.action in (Action.DELETE, Action.REPLACE):
        _delete_group(ctx, change.name)
        ctx.forget("security-group", change.name)
        if change.action is Action.DELETE:
            return
    group = ctx.desired.network.security_groups[change.name]
    identifier = group_id(ctx, change.name)
    _sync_rules(ctx, identifier, _permissions(ctx, group.ingress), _permissions(ctx, group.egress))


def _sync_rules(ctx: ApplyContext, group: str, ingress: set[Permission], egress: set[Permission]) -> None:
    described: DescribeSecurityGroupsResultTypeDef = ctx.call("ec2", "describe_security_groups", GroupIds=[group])
    live = described["SecurityGroups"][0]
    for direction, wanted, current in (
        ("ingress", ingress, _live(live.get("IpPermissions", []))),
        ("egress", egress, _live(live.get("IpPermissionsEgress", []))),
    ):
        extra, missing = current - wanted, wanted - current
        if extra:
            ctx.call(
                "ec2",
                f"revoke_security_group_{direction}",
                GroupId=group,
                IpPermissions=[to_api(p) for p in sorted(extra)],
            )
        if missing:
            ctx.call(
                "ec2",
                f"authorize_security_group_{direction}",
                GroupId=group,
                IpPermissions=[to_api(p) for p in sorted(missing)],
            )
