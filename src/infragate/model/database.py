"""RDS models."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from infragate.model.base import Component, Tier


class DbEngine(StrEnum):
    POSTGRES = "postgres"
    MYSQL = "mysql"
    MARIADB = "mariadb"


class DbStorageType(StrEnum):
    GP3 = "gp3"
    GP2 = "gp2"
    IO1 = "io1"
    IO2 = "io2"
    STANDARD = "standard"


class Database(Component):
    engine: DbEngine
    engine_version: str = Field(pattern=r"^\d+(\.\d+)*$", examples=["16.4"])
    instance_class: str = Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", examples=["db.m6g.large"])
    allocated_storage_gb: int = Field(default=20, ge=20, le=65536)
    storage_type: DbStorageType = DbStorageType.GP3
    multi_az: bool = False
    backup_retention_days: int = Field(default=7, ge=0, le=35)
    storage_encrypted: bool = True
    deletion_protection: bool = False
    publicly_accessible: bool = False
    subnet_tier: Tier = Tier.PRIVATE
    security_groups: tuple[str, ...] = ()
