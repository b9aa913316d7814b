"""RDS models."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from infragate.model.base import Component, Tier


class DbEngine(StrEnum):
    """RDS engine names as the RDS API spells them (designs mostly use the first three)."""

    POSTGRES = "postgres"
    MYSQL = "mysql"
    MARIADB = "mariadb"
    AURORA_POSTGRESQL = "aurora-postgresql"
    AURORA_MYSQL = "aurora-mysql"
    ORACLE_EE = "oracle-ee"
    ORACLE_EE_CDB = "oracle-ee-cdb"
    ORACLE_SE2 = "oracle-se2"
    ORACLE_SE2_CDB = "oracle-se2-cdb"
    SQLSERVER_EE = "sqlserver-ee"
    SQLSERVER_SE = "sqlserver-se"
    SQLSERVER_EX = "sqlserver-ex"
    SQLSERVER_WEB = "sqlserver-web"
    DB2_AE = "db2-ae"
    DB2_SE = "db2-se"


class DbStorageType(StrEnum):
    GP3 = "gp3"
    GP2 = "gp2"
    IO1 = "io1"
    IO2 = "io2"
    STANDARD = "standard"
    AURORA = "aurora"
    AURORA_IOPT1 = "aurora-iopt1"


class Database(Component):
    engine: DbEngine
    engine_version: str = Field(pattern=r"^\d[\w.-]*$", examples=["16.4", "8.0.mysql_aurora.3.05.2"])
    instance_class: str = Field(pattern=r"^db\.[a-z0-9-]+(\.[a-z0-9-]+)*$", examples=["db.m6g.large", "db.serverless"])
    allocated_storage_gb: int = Field(default=20, ge=1, le=65536, description="Aurora reports 1")
    storage_type: DbStorageType = DbStorageType.GP3
    multi_az: bool = False
    backup_retention_days: int = Field(default=7, ge=0, le=35)
    storage_encrypted: bool = True
    deletion_protection: bool = False
    publicly_accessible: bool = False
    subnet_tier: Tier = Tier.PRIVATE
    security_groups: tuple[str, ...] = ()
