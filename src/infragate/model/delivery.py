"""Where a project's code lives and how its pipeline deploys it (ICP-3.1): the GitHub repository, the branch
that may deploy, the CircleCI project and contexts, and the commands the generated pipeline runs."""

from __future__ import annotations

from pydantic import Field

from infragate.model.base import Model

GITHUB_NAME = r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$"
BRANCH = r"^[A-Za-z0-9._/-]{1,100}$"
CONTEXT = r"^[A-Za-z0-9_-]{1,64}$"


class Repository(Model):
    """The project's repository and pipeline. Secrets never live here: they are CircleCI contexts."""

    github: str = Field(
        pattern=GITHUB_NAME, description="owner/name of the GitHub repository", examples=["acme/webshop"]
    )
    default_branch: str = Field(default="main", pattern=BRANCH, description="The only branch that deploys")
    circleci_project: str | None = Field(
        default=None,
        pattern=r"^(gh|github|bb|circleci)/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$",
        description="CircleCI's project slug; gh/<owner>/<name> by default",
    )
    test_command: str = Field(default="make test", min_length=1, max_length=500)
    deploy_command: str = Field(
        default="make deploy",
        min_length=1,
        max_length=500,
        description="Deploys the application; the pipeline runs it with INFRAGATE_ENV set to the environment",
    )
    design_file: str = Field(default="infragate.yaml", min_length=1, max_length=300)
    context_prefix: str = Field(
        default="infragate-",
        pattern=r"^[A-Za-z0-9_-]{0,40}$",
        description="Each environment's jobs use the CircleCI context <prefix><environment> (server URL, token)",
    )
    approvers_context: str = Field(
        default="infragate-leads",
        pattern=CONTEXT,
        description="The restricted CircleCI context of the production hold: only its group (the leads) approve",
    )
    github_logins: dict[str, str] = Field(
        default_factory=dict,
        description="infragate user -> GitHub login, where they differ (production reviewers are the leads)",
    )

    @property
    def slug(self) -> str:
        return self.circleci_project or f"gh/{self.github}"

    def login_of(self, user: str) -> str:
        """The GitHub login of an infragate user: mapped, else the user name itself (never guessed)."""
        return self.github_logins.get(user, user)

    def context_of(self, environment: str) -> str:
        return f"{self.context_prefix}{environment}"
