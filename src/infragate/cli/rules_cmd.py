"""``infragate rules …``: the rule catalog."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from infragate.cli.console import out
from infragate.cli.render import SEVERITY_STYLE
from infragate.policy import Severity, Subject, clause_index, policy_rules

app = typer.Typer(help="The policy rule catalog.", no_args_is_help=True)


class CatalogFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MARKDOWN = "markdown"


def _judges(subjects: frozenset[Subject]) -> str:
    return ", ".join(subject.value for subject in Subject if subject in subjects)


@app.command("list")
def list_rules(
    output_format: CatalogFormat = typer.Option(CatalogFormat.TABLE, "--format", "-f", help="table, json or markdown."),
    severity: Severity | None = typer.Option(None, "--severity", help="Only rules of this severity."),
    clause: str | None = typer.Option(None, "--clause", help="Only rules citing this policy clause, e.g. ICP-4.2."),
    subject: Subject | None = typer.Option(
        None, "--judges", help="Only rules that judge designs ('design') or live accounts ('live')."
    ),
    design_file: Path | None = typer.Option(
        None, "--design", "-d", help="Also the rules of this design's policy packs (policy_packs:)."
    ),
) -> None:
    """List every rule with its id, severity, the policy clause it enforces and how it decides.

    Most rules judge both a design file (`design validate`) and a live account (`audit`); a few judge only one.

    Examples:

      infragate rules list --clause ICP-4.2

      infragate rules list --judges live --format json

      infragate rules list -d examples/webshop/infragate.yaml     # with the design's policy packs

    The organisation's shared packs (the folder INFRAGATE_POLICY_PACKS names) are always listed.
    """
    from infragate.design import load_design
    from infragate.policy.packs import pack_rules, packs_for

    packs = packs_for(load_design(design_file) if design_file is not None else None)
    source = {rule.id: f"pack {pack.name} ({pack.digest[:19]}…)" for pack in packs for rule in pack.spec.rules}
    rules = [
        rule
        for rule in policy_rules() + pack_rules(packs)
        if (severity is None or rule.meta.severity is severity)
        and (clause is None or rule.meta.clause == clause)
        and (subject is None or subject in rule.meta.subjects)
    ]
    clauses = clause_index()
    if output_format is CatalogFormat.JSON:
        items = [
            {
                **rule.meta.__dict__,
                "severity": rule.meta.severity.value,
                "clause_text": clauses[rule.meta.clause].text,
                "subjects": _judges(rule.meta.subjects).split(", "),
                "reads": sorted(rule.reads),
                "source": source.get(rule.meta.id, "built-in"),
            }
            for rule in rules
        ]
        out.file.write(json.dumps(items, indent=2) + "\n")
    elif output_format is CatalogFormat.MARKDOWN:
        lines = [
            "| Rule | Severity | Clause | Title | How it decides | Production only | Judges |",
            "|---|---|---|---|---|---|---|",
        ]
        for rule in rules:
            meta = rule.meta
            production = "yes" if meta.production_only else ""
            judges = _judges(meta.subjects)
            decides = meta.decides.replace("|", "\\|")
            lines.append(
                f"| {meta.id} | {meta.severity} | {meta.clause} | {meta.title} | {decides} | {production} | {judges} |"
            )
        out.file.write("\n".join(lines) + "\n")
    else:
        table = Table(title=f"{len(rules)} rules")
        for column in ("Rule", "Severity", "Clause", "Title", "How it decides", "Judges"):
            table.add_column(column, overflow="fold")
        for rule in rules:
            meta = rule.meta
            scope = " (production)" if meta.production_only else ""
            table.add_row(
                meta.id,
                f"[{SEVERITY_STYLE[meta.severity]}]{meta.severity}[/]",
                meta.clause,
                meta.title + scope + (f" [{source[meta.id]}]" if meta.id in source else ""),
                escape(meta.decides),
                _judges(meta.subjects),
            )
        out.print(table)
