"""Cross-reference checks on a (merged) design document: names that point at nothing, duplicate names.

They work on the raw parsed data, not the typed models, so they run even when some values have the wrong
type; that way a user sees every problem in one go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from infragate.design.source_map import Path, SourceMap, dotted
from infragate.errors import Problem, did_you_mean
from infragate.model.names import COMPONENT_NAME, ENVIRONMENT_NAME

# Sections whose members are "components": names that alarms, backup plans and waivers may refer to.
COMPONENT_SECTIONS: tuple[Path, ...] = (
    ("compute",),
    ("databases",),
    ("buckets",),
    ("distributions",),
    ("dns",),
)
# Every section whose keys are names: they must match COMPONENT_NAME (they become file and AWS names).
NAMED_SECTIONS: tuple[Path, ...] = (
    *COMPONENT_SECTIONS,
    ("network", "subnets"),
    ("network", "security_groups"),
    ("monitoring", "alarms"),
    ("backup", "plans"),
    ("additional_services",),
)


def _mapping(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _items(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _at(data: object, path: Path) -> object:
    for step in path:
        data = _mapping(data).get(str(step))
    return data


class ReferenceChecker:
    """Collects reference problems for one document, located through its source map."""

    def __init__(self, data: dict[str, object], source_map: SourceMap) -> None:
        self._data = data
        self._map = source_map
        self.problems: list[Problem] = []

    def names(self, *section: str | int) -> set[str]:
        return set(_mapping(_at(self._data, section)))

    def check(self, path: Path, name: object, candidates: set[str], what: str) -> None:
        """Report ``name`` at ``path`` unless it is one of ``candidates``."""
        if not isinstance(name, str) or name in candidates:
            return
        message = f"{what} '{name}' does not exist"
        close = did_you_mean(name, candidates)
        if close:
            message += f"; did you mean '{close}'?"
        elif candidates:
            message += f" (known: {', '.join(sorted(candidates))})"
        else:
            message += " (none are defined)"
        self.problems.append(Problem(message, self._map.locate(path), dotted(path)))

    def check_all(self, path: Path, names: object, candidates: set[str], what: str) -> None:
        if isinstance(names, str):
            self.check(path, names, candidates, what)
            return
        for index, name in enumerate(_items(names)):
            self.check((*path, index), name, candidates, what)

    def run(self) -> list[Problem]:
        self._name_patterns()
        self._unique_component_names()
        self._network()
        self._compute_and_databases()
        self._cdn_and_dns()
        self._operations()
        return self.problems

    def _name_patterns(self) -> None:
        for section in NAMED_SECTIONS:
            for name in _mapping(_at(self._data, section)):
                if not re.fullmatch(COMPONENT_NAME, name):
                    path = (*section, name)
                    message = (
                        f"'{name}' is not a valid name: use letters, digits, '.', '_' and '-', starting with a "
                        "letter or digit, at most 120 characters (names become file and AWS names)"
                    )
                    self.problems.append(Problem(message, self._map.locate(path, key=True), dotted(path)))

    def _unique_component_names(self) -> None:
        owner: dict[str, Path] = {}
        for section in COMPONENT_SECTIONS:
            for name in _mapping(_at(self._data, section)):
                path = (*section, name)
                if name in owner:
                    first = dotted(owner[name])
                    message = (
                        f"component name '{name}' is already used by {first}; "
                        "names of instance groups, databases, buckets, distributions and zones must be unique"
                    )
                    self.problems.append(Problem(message, self._map.locate(path, key=True), dotted(path)))
                else:
                    owner[name] = path

    def _network(self) -> None:
        zones = {z for z in _items(_at(self._data, ("network", "availability_zones"))) if isinstance(z, str)}
        groups = self.names("network", "security_groups")
        for name, subnet in _mapping(_at(self._data, ("network", "subnets"))).items():
            path: Path = ("network", "subnets", name, "availability_zone")
            self.check(path, _mapping(subnet).get("availability_zone"), zones, "availability zone")
        for name, group in _mapping(_at(self._data, ("network", "security_groups"))).items():
            for direction in ("ingress", "egress"):
                for index, rule in enumerate(_items(_mapping(group).get(direction))):
                    path = ("network", "security_groups", name, direction, index, "group")
                    self.check(path, _mapping(rule).get("group"), groups, "security group")

    def _compute_and_databases(self) -> None:
        groups = self.names("network", "security_groups")
        tiers = {_mapping(s).get("tier") for s in _mapping(_at(self._data, ("network", "subnets"))).values()}
        defaults = {"compute": "private", "databases": "private"}
        for section, default_tier in defaults.items():
            for name, component in _mapping(self._data.get(section)).items():
                base: Path = (section, name)
                self.check_all(
                    (*base, "security_groups"),
                    _mapping(component).get("security_groups"),
                    groups,
                    "security group",
                )
                tier = _mapping(component).get("subnet_tier", default_tier)
                if isinstance(tier, str) and tier in ("public", "private") and tier not in tiers:
                    self.problems.append(
                        Problem(
                            f"there is no {tier} subnet in network.subnets to place '{name}' in",
                            self._map.locate((*base, "subnet_tier")),
                            dotted((*base, "subnet_tier")),
                        )
                    )

    def _cdn_and_dns(self) -> None:
        buckets, instance_groups = self.names("buckets"), self.names("compute")
        distributions = self.names("distributions")
        for name, dist in _mapping(self._data.get("distributions")).items():
            for index, origin in enumerate(_items(_mapping(dist).get("origins"))):
                path: Path = ("distributions", name, "origins", index)
                self.check((*path, "bucket"), _mapping(origin).get("bucket"), buckets, "bucket")
                self.check(
                    (*path, "instance_group"),
                    _mapping(origin).get("instance_group"),
                    instance_groups,
                    "instance group",
                )
            logging_path: Path = ("distributions", name, "logging_bucket")
            self.check(logging_path, _mapping(dist).get("logging_bucket"), buckets, "bucket")
        for zone, body in _mapping(self._data.get("dns")).items():
            for index, record in enumerate(_items(_mapping(body).get("records"))):
                path = ("dns", zone, "records", index)
                self.check(
                    (*path, "alias_distribution"),
                    _mapping(record).get("alias_distribution"),
                    distributions,
                    "distribution",
                )
                self.check(
                    (*path, "instance_group"),
                    _mapping(record).get("instance_group"),
                    instance_groups,
                    "instance group",
                )

    def _operations(self) -> None:
        components = set().union(*(self.names(*section) for section in COMPONENT_SECTIONS))
        for name, alarm in _mapping(_at(self._data, ("monitoring", "alarms"))).items():
            path: Path = ("monitoring", "alarms", name, "component")
            self.check(path, _mapping(alarm).get("component"), components, "component")
        for name, plan in _mapping(_at(self._data, ("backup", "plans"))).items():
            self.check_all(
                ("backup", "plans", name, "components"),
                _mapping(plan).get("components"),
                components,
                "component",
            )
        protect = _mapping(_at(self._data, ("shield", "protect")))
        targets = {
            "elastic_ips": ("compute", "instance group"),
            "distributions": ("distributions", "distribution"),
            "hosted_zones": ("dns", "hosted zone"),
        }
        for key, (section, what) in targets.items():
            value = protect.get(key)
            if isinstance(value, list):
                self.check_all(("shield", "protect", key), value, self.names(section), what)


def check_overrides(
    environments: dict[str, object], allowed: Iterable[str], source_map: SourceMap
) -> Iterator[Problem]:
    """Environment names are short lowercase names; only infrastructure sections may be overridden."""
    allowed_keys = sorted(allowed)
    for env, settings in environments.items():
        if not re.fullmatch(ENVIRONMENT_NAME, env):
            where: Path = ("environments", env)
            message = (
                f"'{env}' is not a valid environment name: lowercase letters, digits and '-', starting with a "
                "letter, at most 40 characters (e.g. staging, production)"
            )
            yield Problem(message, source_map.locate(where, key=True), dotted(where))
        for key in _mapping(_mapping(settings).get("overrides")):
            if key not in allowed_keys:
                path: Path = ("environments", env, "overrides", key)
                close = did_you_mean(key, allowed_keys)
                hint = f"did you mean '{close}'?" if close else f"overridable: {', '.join(allowed_keys)}"
                yield Problem(
                    f"'{key}' cannot be overridden per environment; {hint}",
                    source_map.locate(path, key=True),
                    dotted(path),
                )


def check_waivers(
    waivers: object, environments: set[str], components: set[str], source_map: SourceMap
) -> list[Problem]:
    checker = ReferenceChecker({}, source_map)
    for index, waiver in enumerate(_items(waivers)):
        path: Path = ("waivers", index)
        component = _mapping(waiver).get("component", "*")
        if component != "*":
            checker.check((*path, "component"), component, components, "component")
        checker.check_all((*path, "environments"), _mapping(waiver).get("environments"), environments, "environment")
    return checker.problems
