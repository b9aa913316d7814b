"""CloudFront models."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from infragate.model.base import Component, Model


class ViewerProtocolPolicy(StrEnum):
    HTTPS_ONLY = "https-only"
    REDIRECT_TO_HTTPS = "redirect-to-https"
    ALLOW_ALL = "allow-all"


class TlsVersion(StrEnum):
    """CloudFront's MinimumProtocolVersion values, oldest first."""

    SSLV3 = "SSLv3"
    TLSV1 = "TLSv1"
    TLSV1_2016 = "TLSv1_2016"
    TLSV1_1_2016 = "TLSv1.1_2016"
    TLSV1_2_2018 = "TLSv1.2_2018"
    TLSV1_2_2019 = "TLSv1.2_2019"
    TLSV1_2_2021 = "TLSv1.2_2021"
    TLSV1_3_2025 = "TLSv1.3_2025"

    @property
    def at_least_tls12(self) -> bool:
        return self.value.startswith(("TLSv1.2", "TLSv1.3"))


class Origin(Model):
    """Where a distribution fetches from: a bucket or an instance group of this design, or another domain."""

    bucket: str | None = None
    instance_group: str | None = None
    domain: str | None = Field(default=None, description="Any other HTTP origin, e.g. api.partner.example")
    path_pattern: str = "*"
    https_only: bool = True

    @model_validator(mode="after")
    def _one_target(self) -> Origin:
        if [self.bucket, self.instance_group, self.domain].count(None) != 2:
            raise ValueError("an origin needs exactly one of 'bucket', 'instance_group' or 'domain'")
        return self

    @property
    def target(self) -> str:
        return self.bucket or self.instance_group or self.domain or ""

    @property
    def custom(self) -> bool:
        """Reached over HTTP(S) rather than the S3 API: instance groups and other domains."""
        return self.bucket is None


class Distribution(Component):
    origins: tuple[Origin, ...] = Field(min_length=1)
    viewer_protocol_policy: ViewerProtocolPolicy = ViewerProtocolPolicy.REDIRECT_TO_HTTPS
    minimum_tls_version: TlsVersion = TlsVersion.TLSV1_2_2021
    certificate_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/.+$",
        description="ACM certificate (us-east-1) for the aliases; without one CloudFront's default certificate "
        "accepts TLSv1 whatever minimum_tls_version says",
    )
    waf_web_acl: str | None = None
    logging_bucket: str | None = None
    aliases: tuple[str, ...] = ()
