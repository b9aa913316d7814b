"""The design document: diagrams, configuration tables per component, environment differences side by side,
SLOs, owners per role, policy findings and waivers, stamped with the design digest (what an approval cites).

The content is built once as plain tables, then written as HTML or Markdown; nothing in it but the
generation date depends on when it is made, so two runs on one digest give the same tables.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from infragate.design import Design
from infragate.docs import diagrams_render
from infragate.errors import OutputError
from infragate.model import Infrastructure, Role
from infragate.model.base import Model
from infragate.policy import LocatedFinding, Status, check_design

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass
class Section:
    title: str
    tables: list[Table] = field(default_factory=list)
    images: list[tuple[str, str]] = field(default_factory=list)  # (caption, file name)


@dataclass
class DesignDocument:
    project: str
    client: str
    description: str
    digest: str
    generated_at: str
    environments: tuple[str, ...]
    sections: list[Section]

    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]


def _value(value: object) -> str:
    if isinstance(value, Model):
        value = value.model_dump(mode="json")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        separator = "; " if any(isinstance(v, dict) for v in value) else ", "
        return separator.join(_value(v) for v in value) or "—"
    if isinstance(value, dict):  # for people: "size gb 30, type gp3, encrypted yes", never raw JSON
        shown = [f"{key.replace('_', ' ')} {_value(v)}" for key, v in value.items() if v not in (None, "", [], {})]
        return ", ".join(shown) or "—"
    return "—" if value is None else str(value)


def _component_table(title: str, items: dict[str, Model], exclude: tuple[str, ...] = ()) -> Table | None:
    if not items:
        return None
    fields = [f for f in next(iter(items.values())).model_dump(mode="json") if f not in ("name", *exclude)]
    rows = tuple((name, *(_value(getattr(item, f)) for f in fields)) for name, item in sorted(items.items()))
    return Table(title, ("name", *fields), rows)


def _configuration(infra: Infrastructure) -> list[Table]:
    network = infra.network
    tables = [
        Table("VPC", ("CIDR", "availability zones"), ((str(network.vpc_cidr), ", ".join(network.availability_zones)),)),
        _component_table("Subnets", dict(network.subnets)),
        Table(
            "Security group rules",
            ("group", "direction", "protocol", "ports", "peer", "why"),
            tuple(
                (name, direction, rule.protocol.value, str(rule.ports), str(rule.cidr or rule.group), rule.description)
                for name, group in sorted(network.security_groups.items())
                for direction, rules in (("ingress", group.ingress), ("egress", group.egress))
                for rule in rules
            ),
        ),
        _component_table("EC2 instance groups", dict(infra.compute)),
        _component_table("RDS databases", dict(infra.databases)),
        _component_table("S3 buckets", dict(infra.buckets)),
        _component_table("CloudFront distributions", dict(infra.distributions), exclude=("origins",)),
        Table(
            "Distribution origins",
            ("distribution", "target", "path", "HTTPS only"),
            tuple(
                (name, origin.target, origin.path_pattern, _value(origin.https_only))
                for name, dist in sorted(infra.distributions.items())
                for origin in dist.origins
            ),
        ),
        Table(
            "DNS records",
            ("zone", "name", "type", "target", "TTL"),
            tuple(
                (
                    zone_name,
                    record.fqdn(zone_name),
                    record.type.value,
                    record.alias_distribution or record.instance_group or ", ".join(record.values),
                    str(record.ttl),
                )
                for zone_name, zone in sorted(infra.dns.items())
                for record in zone.records
            ),
        ),
        Table(
            "Shield Advanced",
            ("subscribed", "protects"),
            ((_value(infra.shield.advanced), _value(infra.shield.protect)),),
        ),
        _component_table("CloudWatch alarms", dict(infra.monitoring.alarms)),
        Table("Alarm notifications", ("notify",), ((_value(infra.monitoring.notify),),)),
        _component_table("Backup plans", dict(infra.backup.plans)),
    ]
    return [table for table in tables if table is not None and table.rows]


def _flatten(infra: Infrastructure) -> dict[tuple[str, str], dict[str, object]]:
    items: dict[tuple[str, str], dict[str, object]] = {
        (kind.value, component.name): component.model_dump(mode="json", exclude={"name"})
        for kind, component in infra.components()
    }
    items[("network", "vpc")] = {"vpc_cidr": str(infra.network.vpc_cidr)}
    items[("shield", "shield")] = infra.shield.model_dump(mode="json")
    items[("monitoring", "notify")] = {"notify": list(infra.monitoring.notify)}
    items[("targets", "slo")] = infra.targets.model_dump(mode="json") if infra.targets else {}
    return items


def _differences(design: Design) -> Table | None:
    """Every attribute whose value differs between environments, side by side."""
    names = tuple(design.environments)
    if len(names) < 2:
        return None
    flat = {env: _flatten(design.environments[env].infrastructure) for env in names}
    keys = sorted({key for items in flat.values() for key in items})
    rows = []
    for kind, name in keys:
        attributes = sorted({a for env in names for a in flat[env].get((kind, name), {})})
        for attribute in attributes:
            values = [flat[env].get((kind, name), {}).get(attribute, "(absent)") for env in names]
            if len({json.dumps(v, sort_keys=True) for v in values}) > 1:
                rows.append((f"{kind} {name}", attribute, *(_value(v) for v in values)))
    return Table("Differences between environments", ("component", "attribute", *names), tuple(rows))


def build(
    design: Design,
    environments: tuple[str, ...],
    out: Path,
    today: date | None = None,
    judged: Callable[[str], list[LocatedFinding]] | None = None,
) -> DesignDocument:
    """Draw the diagrams into ``out`` and assemble the document's content. ``judged`` gives an environment's
    design findings when the caller has them already (else they are judged here)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"cannot write design docs to {out}: {exc.strerror or exc}", hint="Choose another --out directory."
        ) from None
    project = design.project
    sections: list[Section] = []
    owners = Table(
        "Owners",
        ("role", "people"),
        tuple(
            (r.value, ", ".join(project.owners.of(r)) or "—")
            for r in Role
            if r in (Role.LEAD, Role.INFRA, Role.DEVELOPER, Role.SECURITY)
        ),
    )
    sections.append(Section("Project", [owners]))
    for env in environments:
        infra = design.environment(env).infrastructure
        diagrams_render.architecture(infra, f"{project.name} {env}: architecture", out / f"{env}-architecture")
        diagrams_render.network_layout(infra, f"{project.name} {env}: network layout", out / f"{env}-network")
        section = Section(f"Environment {env}", _configuration(infra))
        section.images = [
            ("Architecture", f"{env}-architecture.svg"),
            (
                "Network layout: subnets per availability zone; security-group rules as labelled edges",
                f"{env}-network.svg",
            ),
        ]
        settings = design.environment(env).settings
        section.tables.insert(
            0,
            Table(
                "Settings",
                ("production", "region", "AWS", "requires approval", "endpoints"),
                (
                    (
                        _value(settings.is_production),
                        settings.region,
                        "embedded" if settings.aws.embedded else str(settings.aws.account_id),
                        _value(settings.requires_approval),
                        _value([str(e.url) for e in settings.endpoints]),
                    ),
                ),
            ),
        )
        if infra.targets is not None:
            section.tables.append(
                Table(
                    "Performance targets (SLOs)",
                    ("peak rps", "p95 ms", "p99 ms", "max error rate"),
                    (
                        (
                            _value(infra.targets.peak_rps),
                            _value(infra.targets.p95_ms),
                            _value(infra.targets.p99_ms),
                            _value(infra.targets.max_error_rate),
                        ),
                    ),
                )
            )
        found = judged(env) if judged is not None else check_design(design, environment=env, today=today)
        findings = [item.finding for item in found if item.finding.status not in (Status.PASS, Status.NOT_APPLICABLE)]
        section.tables.append(
            Table(
                "Policy findings",
                ("status", "severity", "rule", "component", "message"),
                tuple((f.status.value, f.severity.value, f.rule_id, f.component, f.message) for f in findings)
                or (("pass", "—", "—", "—", "every rule passes"),),
            )
        )
        sections.append(section)
    differences = _differences(design)
    if differences is not None and differences.rows:
        sections.append(Section("Environments side by side", [differences]))
    waivers = Table(
        "Waivers",
        ("rule", "component", "environments", "reason", "approver", "expires"),
        tuple(
            (w.rule, w.component, ", ".join(w.environments) or "all", w.reason, w.approver, w.expires.isoformat())
            for w in design.waivers
        )
        or (("—", "—", "—", "no waivers", "—", "—"),),
    )
    sections.append(Section("Waivers", [waivers]))
    return DesignDocument(
        project=project.name,
        client=project.client,
        description=project.description,
        digest=design.digest,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        environments=environments,
        sections=sections,
    )


_templates = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True
)


def render(document: DesignDocument, output_format: str) -> str:
    name = "design.html.j2" if output_format == "html" else "design.md.j2"
    return _templates.get_template(name).render(d=document)
