"""RDS rules: exposure, encryption, availability and recoverability of databases."""

from __future__ import annotations

from infragate.model import Database, Section, Tier
from infragate.model.database import DbStorageType
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity
from infragate.policy.registry import RuleMeta, RuleSet, Verdict, fail, ok

rules = RuleSet(reads=(Section.DATABASES, Section.NETWORK))


@rules.each(
    RuleMeta(
        id="RDS-001",
        decides="Fails a database with publicly_accessible true.",
        title="Databases are not publicly accessible",
        severity=Severity.CRITICAL,
        clause="ICP-1.1",
        rationale="A public endpoint exposes the database to credential stuffing and engine exploits.",
        remediation="Set publicly_accessible: false and reach the database from the application tier.",
    ),
    over=Database,
)
def rds_instance_not_public(db: Database, context: RuleContext) -> Verdict:
    if db.publicly_accessible:
        return fail(f"RDS instance {db.name} is publicly accessible.")
    return ok(f"RDS instance {db.name} is not publicly accessible.")


@rules.each(
    RuleMeta(
        id="RDS-002",
        decides="Fails a database whose storage is not encrypted.",
        title="Database storage is encrypted",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="Unencrypted storage and snapshots expose client data at rest.",
        remediation="Set storage_encrypted: true (encryption can only be chosen at creation).",
    ),
    over=Database,
)
def rds_instance_storage_encrypted(db: Database, context: RuleContext) -> Verdict:
    if not db.storage_encrypted:
        return fail(f"RDS instance {db.name} stores data unencrypted.")
    return ok(f"RDS instance {db.name} encrypts its storage.")


@rules.each(
    RuleMeta(
        id="RDS-003",
        decides="Fails a single-AZ database.",
        title="Production databases are multi-AZ",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="A single-AZ database is down for the whole outage of its zone or host.",
        remediation="Set multi_az: true.",
        production_only=True,
    ),
    over=Database,
)
def rds_instance_multi_az(db: Database, context: RuleContext) -> Verdict:
    if not db.multi_az:
        return fail(f"RDS instance {db.name} runs in a single availability zone.")
    return ok(f"RDS instance {db.name} is multi-AZ.")


@rules.each(
    RuleMeta(
        id="RDS-004",
        decides="Fails below 7 days of automated backups.",
        title="Production databases keep automated backups for at least 7 days",
        severity=Severity.HIGH,
        clause="ICP-5.2",
        rationale="Short retention means a problem found after a weekend can no longer be rolled back.",
        remediation="Set backup_retention_days to 7 or more.",
        production_only=True,
    ),
    over=Database,
)
def rds_instance_backup_retention_week(db: Database, context: RuleContext) -> Verdict:
    if db.backup_retention_days < 7:
        return fail(f"RDS instance {db.name} keeps backups for {db.backup_retention_days} day(s); at least 7 required.")
    return ok(f"RDS instance {db.name} keeps backups for {db.backup_retention_days} days.")


@rules.each(
    RuleMeta(
        id="RDS-005",
        decides="Fails without deletion protection.",
        title="Production databases have deletion protection",
        severity=Severity.MEDIUM,
        clause="ICP-5.2",
        rationale="One wrong command or teardown script must not delete the production database.",
        remediation="Set deletion_protection: true.",
        production_only=True,
    ),
    over=Database,
)
def rds_instance_deletion_protected(db: Database, context: RuleContext) -> Verdict:
    if not db.deletion_protection:
        return fail(f"RDS instance {db.name} can be deleted without first lifting deletion protection.")
    return ok(f"RDS instance {db.name} has deletion protection.")


@rules.each(
    RuleMeta(
        id="RDS-006",
        decides="Fails a database placed in public subnets (live: any of its subnet group's subnets routes to an "
        "internet gateway).",
        title="Databases sit in private subnets",
        severity=Severity.HIGH,
        clause="ICP-1.1",
        rationale="A database in a public subnet is one setting away from being on the internet.",
        remediation="Set subnet_tier: private.",
    ),
    over=Database,
)
def rds_instance_in_private_subnets(db: Database, context: RuleContext) -> Verdict:
    if db.subnet_tier is not Tier.PRIVATE:
        return fail(f"RDS instance {db.name} is placed in public subnets.")
    return ok(f"RDS instance {db.name} is placed in private subnets.")


@rules.each(
    RuleMeta(
        id="RDS-007",
        decides="Fails magnetic (standard) storage.",
        title="Databases do not use magnetic storage",
        severity=Severity.LOW,
        clause="ICP-2.2",
        rationale="Magnetic (standard) storage is previous-generation and too slow for production databases.",
        remediation="Use storage_type: gp3 (or io1/io2 for provisioned IOPS).",
    ),
    over=Database,
)
def rds_instance_ssd_storage(db: Database, context: RuleContext) -> Verdict:
    if db.storage_type is DbStorageType.STANDARD:
        return fail(f"RDS instance {db.name} uses magnetic (standard) storage.")
    return ok(f"RDS instance {db.name} uses {db.storage_type} storage.")
