"""Rule metadata, rules and rule sets.

A rule is a small pure function over typed models. Two shapes exist:

* ``@rules.each(meta, over=Database)``: called once per component of a type; returns ``ok(...)``,
  ``fail(...)`` or ``None`` (not applicable). A crash becomes an ``error`` outcome for that component only.
* ``@rules.whole(meta, kind)``: called once per environment for one thing (the network, the Shield
  subscription, the environment itself); returns ``ok``/``fail``/``None``.
* ``@rules.environment(meta)``: called once per environment; yields outcomes for any components.

Rules judge a design, a live inventory, or both (``RuleMeta.subjects``), and declare which sections of
the infrastructure they read (``reads``, defaulting to their rule set's): when a section could not be
read from AWS, the rule is reported as an error instead of passing on missing data.

Rule sets are plain objects collected explicitly in ``rules/__init__.py``; nothing registers itself
into global state on import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TypeVar

from infragate.model import Section
from infragate.model.base import Component, ComponentKind
from infragate.policy.context import RuleContext, Subject
from infragate.policy.findings import Severity, Status

BOTH = frozenset(Subject)
DESIGN_ONLY = frozenset({Subject.DESIGN})
LIVE_ONLY = frozenset({Subject.LIVE})


@dataclass(frozen=True)
class RuleMeta:
    id: str
    title: str
    decides: str  # how the rule decides, in a sentence or two: what fails, what passes, what it cannot judge
    severity: Severity
    clause: str
    rationale: str
    remediation: str
    production_only: bool = False
    subjects: frozenset[Subject] = BOTH
    reads: frozenset[Section] | None = None  # None: the rule set's default


# Meta-rules judge the waivers and the evidence themselves: a waiver that could hide them would let a
# waiver excuse its own expiry, or an audit pass on a service it could not read.
UNWAIVABLE_AREAS = ("WVR", "INV")
UNWAIVABLE_REASON = "waiver and inventory rules judge the evidence itself"


def waivable(rule_id: str) -> bool:
    return rule_id.split("-", 1)[0] not in UNWAIVABLE_AREAS


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str


def ok(message: str) -> Verdict:
    return Verdict(True, message)


def fail(message: str) -> Verdict:
    return Verdict(False, message)


@dataclass(frozen=True)
class Outcome:
    component: str
    kind: ComponentKind
    status: Status
    message: str

    @classmethod
    def of(cls, component: str, kind: ComponentKind, verdict: Verdict) -> Outcome:
        return cls(component, kind, Status.PASS if verdict.passed else Status.FAIL, verdict.message)


Check = Callable[[RuleContext], Iterable[Outcome]]


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    check: Check
    function: str

    @property
    def reads(self) -> frozenset[Section]:
        return self.meta.reads or frozenset()

    def applies_to(self, context: RuleContext) -> bool:
        if context.subject not in self.meta.subjects:
            return False
        return context.production or not self.meta.production_only


C = TypeVar("C", bound=Component)


class RuleSet:
    """An ordered collection of rules; combine sets with ``+``."""

    def __init__(self, rules: Iterable[Rule] = (), *, reads: Iterable[Section] = ()) -> None:
        self._rules: dict[str, Rule] = {}
        self._reads = frozenset(reads)
        for rule in rules:
            self.add(rule)

    def add(self, rule: Rule) -> Rule:
        if rule.meta.id in self._rules:
            raise ValueError(f"rule id {rule.meta.id} is defined twice")
        if rule.meta.reads is None:
            rule = Rule(replace(rule.meta, reads=self._reads), rule.check, rule.function)
        self._rules[rule.meta.id] = rule
        return rule

    def __add__(self, other: RuleSet) -> RuleSet:
        return RuleSet([*self, *other])

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda rule: rule.meta.id))

    def __len__(self) -> int:
        return len(self._rules)

    def ids(self) -> frozenset[str]:
        return frozenset(self._rules)

    def environment(self, meta: RuleMeta) -> Callable[[Check], Rule]:
        """Register a rule that looks at the whole environment and yields outcomes."""

        def register(check: Check) -> Rule:
            return self.add(Rule(meta, check, check.__name__))

        return register

    def whole(
        self, meta: RuleMeta, kind: ComponentKind, component: str | None = None
    ) -> Callable[[Callable[[RuleContext], Verdict | None]], Rule]:
        """Register a rule that judges one thing per environment (``component`` defaults to the environment)."""

        def register(judge: Callable[[RuleContext], Verdict | None]) -> Rule:
            def check(context: RuleContext) -> Iterator[Outcome]:
                verdict = judge(context)
                if verdict is not None:
                    yield Outcome.of(component or context.environment.name, kind, verdict)

            return self.add(Rule(meta, check, judge.__name__))

        return register

    def each(self, meta: RuleMeta, over: type[C]) -> Callable[[Callable[[C, RuleContext], Verdict | None]], Rule]:
        """Register a rule called once per component of type ``over``."""

        def register(judge: Callable[[C, RuleContext], Verdict | None]) -> Rule:
            def check(context: RuleContext) -> Iterator[Outcome]:
                for kind, component in context.components_of(over):
                    try:
                        verdict = judge(component, context)
                    except Exception as exc:  # a crashing rule is an error finding, never a silent pass
                        yield Outcome(component.name, kind, Status.ERROR, crash_message(exc))
                        continue
                    if verdict is not None:
                        yield Outcome.of(component.name, kind, verdict)

            return self.add(Rule(meta, check, judge.__name__))

        return register


def crash_message(exc: Exception) -> str:
    return f"the rule crashed ({type(exc).__name__}: {exc}); this is a bug in the rule, please report it"
