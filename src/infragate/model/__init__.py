"""Typed models of infrastructure: one vocabulary for desired state and observed state.

``design/`` builds these from a design file and ``inventory/`` from a live AWS account (through
``inventory.assemble``), so one policy rule judges both. Everything here is a frozen pydantic model with no I/O.
This package imports nothing from infragate except ``errors``.
"""

from infragate.model.base import ComponentKind, Tier
from infragate.model.cdn import Distribution, Origin, TlsVersion, ViewerProtocolPolicy
from infragate.model.compute import InstanceGroup, InstanceRole, Volume
from infragate.model.database import Database, DbEngine
from infragate.model.dns import HostedZone, Record, RecordType
from infragate.model.infrastructure import SERVICE_OF, AdditionalService, Infrastructure, Section
from infragate.model.network import Network, PortRange, SecurityGroup, SecurityRule, Subnet
from infragate.model.operations import Alarm, Backup, BackupPlan, Monitoring, Shield, ShieldCoverage, Slo
from infragate.model.project import AwsTarget, EnvironmentSettings, Owners, Project, Role, Waiver
from infragate.model.storage import Bucket, BucketEncryption, LifecycleRule, PublicAccessBlock

__all__ = [
    "SERVICE_OF",
    "AdditionalService",
    "Alarm",
    "AwsTarget",
    "Backup",
    "BackupPlan",
    "Bucket",
    "BucketEncryption",
    "ComponentKind",
    "Database",
    "DbEngine",
    "Distribution",
    "EnvironmentSettings",
    "HostedZone",
    "Infrastructure",
    "InstanceGroup",
    "InstanceRole",
    "LifecycleRule",
    "Monitoring",
    "Network",
    "Origin",
    "Owners",
    "PortRange",
    "Project",
    "PublicAccessBlock",
    "Record",
    "RecordType",
    "Role",
    "Section",
    "SecurityGroup",
    "SecurityRule",
    "Shield",
    "ShieldCoverage",
    "Slo",
    "Subnet",
    "Tier",
    "TlsVersion",
    "ViewerProtocolPolicy",
    "Volume",
    "Waiver",
]
