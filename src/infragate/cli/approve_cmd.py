"""``infragate approve design|plan|stress|github``: decisions of people (ICP-1.4)."""

from __future__ import annotations

import typer

from infragate.cli import cicd_cmd, provision_cmd, stress_cmd, workflow_cmd

app = typer.Typer(
    help="Decisions of people (ICP-1.4): approve a design, a plan, a stress plan or a GitHub plan.",
    no_args_is_help=True,
)
app.command("design")(workflow_cmd.approve_design)
app.command("plan")(provision_cmd.approve_plan)
app.command("stress")(stress_cmd.approve_stress)
app.command("github")(cicd_cmd.approve_github)
