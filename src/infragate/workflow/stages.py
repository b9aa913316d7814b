"""The policy's stages per environment, in order; each has a gate that decides when it is done."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    DESIGN = "design"
    PROVISIONING = "provisioning"
    DEPLOYMENT_TESTING = "deployment-testing"
    SECURITY_COMPLIANCE = "security-compliance"
    PRE_LAUNCH = "pre-launch"
    LAUNCHED = "launched"


ORDER: tuple[Stage, ...] = tuple(Stage)
GATED: tuple[Stage, ...] = ORDER[:-1]  # every stage but "launched" has exit criteria
