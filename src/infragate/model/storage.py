"""S3 models."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field, WithJsonSchema

from infragate.model.base import Component, Model


class BucketEncryption(StrEnum):
    NONE = "none"
    SSE_S3 = "sse-s3"
    SSE_KMS = "sse-kms"


class PublicAccessBlock(Model):
    block_public_acls: bool = True
    ignore_public_acls: bool = True
    block_public_policy: bool = True
    restrict_public_buckets: bool = True

    @property
    def fully_blocked(self) -> bool:
        return all(
            (
                self.block_public_acls,
                self.ignore_public_acls,
                self.block_public_policy,
                self.restrict_public_buckets,
            )
        )


def _all_or_nothing(value: object) -> object:
    """``public_access_block: true`` means all four settings on; ``false`` all four off."""
    if isinstance(value, bool):
        return dict.fromkeys(PublicAccessBlock.model_fields, value)
    return value


class LifecycleRule(Model):
    prefix: str = ""
    expire_days: int | None = Field(default=None, ge=1)
    transition_to_glacier_days: int | None = Field(default=None, ge=1)
    noncurrent_expire_days: int | None = Field(default=None, ge=1)


class Bucket(Component):
    versioning: bool = False
    encryption: BucketEncryption = BucketEncryption.SSE_S3
    public_access_block: Annotated[
        PublicAccessBlock,
        BeforeValidator(_all_or_nothing),
        WithJsonSchema({"anyOf": [{"type": "boolean"}, PublicAccessBlock.model_json_schema()]}),
    ] = PublicAccessBlock()
    lifecycle: tuple[LifecycleRule, ...] = ()
    served_via_cloudfront: bool = False
