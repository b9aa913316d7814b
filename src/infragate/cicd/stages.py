"""The policy's pipeline: which jobs run, in which order, before each environment is deployed.

Non-production environments deploy first, in design order, each followed by its infrastructure tests,
stress test and OWASP scan; production waits on a lead's approval (a CircleCI ``approval`` job) and is
tested after it deploys. Job names are fixed, so the config check and the deployment records can find them.
"""

from __future__ import annotations

from dataclasses import dataclass

TEST = "test"
VALIDATE = "validate-design"


def deploy_job(environment: str) -> str:
    return f"deploy-{environment}"


def hold_job(environment: str) -> str:
    return f"hold-{environment}"


def infra_test_job(environment: str) -> str:
    return f"infra-test-{environment}"


def stress_job(environment: str) -> str:
    return f"stress-{environment}"


def scan_job(environment: str) -> str:
    return f"scan-{environment}"


@dataclass(frozen=True)
class Environments:
    """The design's environments in design order, split by production."""

    staging: tuple[str, ...]
    production: tuple[str, ...]


def verified_before(envs: Environments, environment: str) -> tuple[str, ...]:
    """The jobs that must have succeeded in the same workflow before ``environment`` deploys (its own hold
    included for production)."""
    before = [TEST, VALIDATE]
    if environment in envs.production:
        for earlier in envs.staging:
            before += [deploy_job(earlier), infra_test_job(earlier), stress_job(earlier), scan_job(earlier)]
        before.append(hold_job(environment))
    return tuple(before)


def approval_jobs(envs: Environments) -> tuple[str, ...]:
    return tuple(hold_job(env) for env in envs.production)
