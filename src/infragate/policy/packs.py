"""Policy packs: the organisation's own rules as YAML, over the same typed models as the built-in rules, for
conditions that need no code (an attribute equals, is in a list, matches a pattern, is greater or less than a
value). A pack comes from the design's ``policy_packs:`` (paths beside the design) or from the organisation's
shared directory (``INFRAGATE_POLICY_PACKS``), and is versioned by its digest.

    pack: acme                      # the prefix: rule ids are ACME-…
    rules:
      - id: ACME-002
        title: Environments run in the regions the organisation allows
        kind: environment           # or project, instance-group, database, bucket, distribution, …
        require:
          - {attribute: region, in: [eu-west-1, eu-central-1]}
        severity: high
        clause: ICP-1.1
        rationale: …
        remediation: …
        environments: [production]  # optional: only these environments
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError, field_validator, model_validator

from infragate.design import Design
from infragate.design.source_map import parse_yaml
from infragate.errors import DesignValidationError, Problem
from infragate.model import Bucket, Database, Distribution, HostedZone, InstanceGroup, SecurityGroup, Subnet
from infragate.model.base import Component, ComponentKind
from infragate.policy.clauses import clause_index
from infragate.policy.context import RuleContext
from infragate.policy.findings import Severity, Status
from infragate.policy.registry import BOTH, DESIGN_ONLY, Outcome, Rule, RuleMeta, RuleSet, crash_message

SHARED = "INFRAGATE_POLICY_PACKS"  # the organisation's directory of packs, judged for every design
OPERATORS = ("equals", "not_equals", "in", "not_in", "matches", "greater_than", "less_than")
COMPONENTS: dict[str, type[Component]] = {
    "instance-group": InstanceGroup,
    "database": Database,
    "bucket": Bucket,
    "distribution": Distribution,
    "hosted-zone": HostedZone,
    "security-group": SecurityGroup,
    "subnet": Subnet,
}
KINDS = ("project", "environment", *COMPONENTS)
MISSING = object()


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    attribute: str = Field(min_length=1, max_length=200, description="A dotted path: instance_type, tags.owner")
    equals: JsonValue = None
    not_equals: JsonValue = None
    in_: tuple[JsonValue, ...] | None = Field(None, alias="in")
    not_in: tuple[JsonValue, ...] | None = None
    matches: str | None = None
    greater_than: float | None = None
    less_than: float | None = None

    @model_validator(mode="after")
    def _one_operator(self) -> Condition:
        given = [name for name, _value in self.operators()]
        if len(given) != 1:
            raise ValueError(f"a condition has exactly one of {', '.join(OPERATORS)}; this one has {given or 'none'}")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as bad:
                raise ValueError(f"matches: '{self.matches}' is not a regular expression ({bad})") from None
        return self

    def operators(self) -> list[tuple[str, object]]:
        """The operators given, as the pack writes them ("in", not the field's name), with their values."""
        return [(name, v) for name in OPERATORS if (v := getattr(self, "in_" if name == "in" else name)) is not None]

    def said(self) -> str:
        """The condition in words, for a rule's "how it decides"."""
        (name, value), *_ = self.operators()
        return f"{self.attribute} {name.replace('_', ' ')} {value!r}"

    def check(self, value: object) -> str | None:
        """None when ``value`` meets the condition, else what is wrong."""
        shown = f"{self.attribute} is {value!r}" if value is not MISSING else f"{self.attribute} is not set"
        if value is MISSING:
            return shown
        if self.equals is not None:
            return None if value == self.equals else f"{shown}, not {self.equals!r}"
        if self.not_equals is not None:
            return None if value != self.not_equals else shown
        if self.in_ is not None:
            return None if value in self.in_ else f"{shown}, not one of {', '.join(map(str, self.in_))}"
        if self.not_in is not None:
            return None if value not in self.not_in else f"{shown}, which is not allowed"
        if self.matches is not None:
            return None if re.fullmatch(self.matches, str(value)) else f"{shown}, which does not match {self.matches}"
        if not isinstance(value, int | float) or isinstance(value, bool):
            return f"{shown}, not a number"
        if self.greater_than is not None:
            return None if value > self.greater_than else f"{shown}, not more than {self.greater_than:g}"
        assert self.less_than is not None
        return None if value < self.less_than else f"{shown}, not less than {self.less_than:g}"


class PackRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Z][A-Z0-9]{1,11}-[0-9]{3}$")
    title: str = Field(min_length=3, max_length=200)
    kind: str
    require: tuple[Condition, ...] = Field(min_length=1)
    severity: Severity
    clause: str
    rationale: str = Field(min_length=3)
    remediation: str = Field(min_length=3)
    decides: str = ""  # how it decides; said from the conditions when left out
    environments: tuple[str, ...] = ()
    production_only: bool = False

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in KINDS:
            raise ValueError(f"kind '{kind}' is not one of {', '.join(KINDS)}")
        return kind

    @field_validator("clause")
    @classmethod
    def _known_clause(cls, clause: str) -> str:
        if clause not in clause_index():
            raise ValueError(f"clause '{clause}' is not a clause of the policy (ICP-1.1, ICP-4.2, …)")
        return clause


class PackFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    pack: str = Field(pattern=r"^[a-z][a-z0-9]{1,11}$", description="The prefix of its rule ids, in lower case")
    description: str = ""
    rules: tuple[PackRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _prefixed_and_unique(self) -> PackFile:
        seen: set[str] = set()
        for rule in self.rules:
            if not rule.id.startswith(self.pack.upper() + "-"):
                raise ValueError(f"rule {rule.id} must start with the pack's prefix {self.pack.upper()}-")
            if rule.id in seen:
                raise ValueError(f"rule {rule.id} appears twice")
            seen.add(rule.id)
        return self


@dataclass(frozen=True)
class Pack:
    path: Path
    digest: str
    spec: PackFile

    @property
    def name(self) -> str:
        return self.spec.pack


def load_pack(path: Path) -> Pack:
    """A pack file, validated; a problem is a located DesignValidationError (exit 2)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as failed:
        raise DesignValidationError(
            f"{path}: the policy pack cannot be read ({failed.strerror})", hint="Check policy_packs: in the design."
        ) from None
    try:
        parsed = parse_yaml(text, str(path))
    except yaml.YAMLError as bad:
        mark = getattr(bad, "problem_mark", None)
        at = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise DesignValidationError(f"{at}: not valid YAML", hint="Fix the pack's syntax.") from None
    try:
        spec = PackFile.model_validate(parsed.data)
    except ValidationError as invalid:
        problems = []
        for error in invalid.errors():
            loc = tuple("in" if part == "in_" else part for part in error["loc"])
            where = parsed.source_map.locate(loc)
            field = ".".join(str(part) for part in loc)
            problems.append(Problem(error["msg"].removeprefix("Value error, "), where, field))
        raise DesignValidationError(
            f"{path}: {len(problems)} problem(s) in the policy pack",
            problems=tuple(problems),
            hint="A pack is `pack: prefix` and `rules:`, each with id, title, kind, require, severity, clause, "
            "rationale and remediation (README: Policy packs).",
        ) from None
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    return Pack(path, digest, spec)


def packs_for(design: Design | None) -> list[Pack]:
    """The organisation's shared packs, then the design's own (``policy_packs:``, beside the design)."""
    paths: list[Path] = []
    shared = os.environ.get(SHARED, "").strip()
    if shared:
        folder = Path(shared)
        if not folder.is_dir():
            raise DesignValidationError(f"{SHARED} is {shared}, not a directory", hint="Point it at the packs' folder.")
        paths += sorted(folder.glob("*.yaml"))
    if design is not None:
        paths += [(Path(design.path).resolve().parent / name) for name in design.policy_packs]
    packs = [_cached(path.resolve(), _stamp(path)) for path in paths]
    names: dict[str, Path] = {}
    for pack in packs:
        if pack.name in names and names[pack.name] != pack.path:
            raise DesignValidationError(f"{pack.path}: pack '{pack.name}' is also {names[pack.name]}")
        names[pack.name] = pack.path
    return list({pack.path: pack for pack in packs}.values())


def _stamp(path: Path) -> tuple[int, int]:
    try:
        found = path.stat()
    except OSError:
        return (0, 0)
    return (found.st_mtime_ns, found.st_size)


@lru_cache(maxsize=64)
def _cached(path: Path, _stamp: tuple[int, int]) -> Pack:
    return load_pack(path)


def pack_rules(packs: list[Pack]) -> RuleSet:
    return RuleSet(_rule(rule) for pack in packs for rule in pack.spec.rules)


def _value(data: object, dotted: str) -> object:
    for part in dotted.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return MISSING
    return data


def _rule(spec: PackRule) -> Rule:
    decides = spec.decides or (
        f"{spec.kind}: fails unless "
        + " and ".join(c.said() for c in spec.require)
        + (f"; only in {', '.join(spec.environments)}" if spec.environments else "")
    )
    meta = RuleMeta(
        id=spec.id,
        title=spec.title,
        decides=decides,
        severity=spec.severity,
        clause=spec.clause,
        rationale=spec.rationale,
        remediation=spec.remediation,
        production_only=spec.production_only,
        subjects=DESIGN_ONLY if spec.kind == "project" else BOTH,  # the project exists in the design only
    )
    return Rule(meta, _check(spec), f"pack:{spec.id}")


def _check(spec: PackRule) -> Callable[[RuleContext], Iterator[Outcome]]:
    def check(context: RuleContext) -> Iterator[Outcome]:
        if spec.environments and context.environment.name not in spec.environments:
            return
        targets: list[tuple[str, ComponentKind, BaseModel]]
        if spec.kind == "project":
            if context.project is None:
                return
            targets = [(context.project.name, ComponentKind.PROJECT, context.project)]
        elif spec.kind == "environment":
            targets = [(context.environment.name, ComponentKind.ENVIRONMENT, context.environment)]
        else:
            targets = [(c.name, kind, c) for kind, c in context.components_of(COMPONENTS[spec.kind])]
        for name, kind, model in targets:
            try:
                data = model.model_dump(mode="json", by_alias=False)
                wrong = [problem for c in spec.require if (problem := c.check(_value(data, c.attribute))) is not None]
            except Exception as exc:  # a crash is an error finding, never a silent pass
                yield Outcome(name, kind, Status.ERROR, crash_message(exc))
                continue
            if wrong:
                yield Outcome(name, kind, Status.FAIL, "; ".join(wrong))
            else:
                yield Outcome(name, kind, Status.PASS, f"{spec.title.rstrip('.')}: yes")

    return check
