"""YAML parsing that remembers where every key and value came from.

PyYAML's composer gives nodes with marks; we walk them ourselves so that every error and finding can say
``file:line:column``. Duplicate keys, which YAML loaders silently accept, are reported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from infragate.errors import Problem, SourceLocation

Path = tuple[str | int, ...]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available


@dataclass
class SourceMap:
    """Positions of values and keys in one file, by field path (mapping keys and list indexes)."""

    file: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path, *, key: bool = False) -> SourceLocation | None:
        """Where ``path`` is written; for a missing path, the key of the nearest enclosing one."""
        found = (self.keys.get(path) if key else None) or self.values.get(path)
        probe = path
        while found is None and probe:
            probe = probe[:-1]
            found = self.keys.get(probe) or self.values.get(probe)
        return SourceLocation(self.file, found[0], found[1]) if found else None

    def rebased(self, prefix: Path) -> SourceMap:
        """The positions under ``prefix``, with ``prefix`` cut off their paths."""
        cut = len(prefix)
        return SourceMap(
            self.file,
            {p[cut:]: pos for p, pos in self.values.items() if p[:cut] == prefix},
            {p[cut:]: pos for p, pos in self.keys.items() if p[:cut] == prefix},
        )

    def graft(self, prefix: Path, other: SourceMap) -> None:
        """Replace everything under ``prefix`` with ``other``'s positions placed there."""
        for table in (self.values, self.keys):
            for stale in [p for p in table if p[: len(prefix)] == prefix and len(p) > len(prefix)]:
                del table[stale]
        for p, pos in other.values.items():
            self.values[prefix + p] = pos
        for p, pos in other.keys.items():
            self.keys[prefix + p] = pos


@dataclass(frozen=True)
class ParsedYaml:
    data: Any
    source_map: SourceMap
    problems: tuple[Problem, ...]


def parse_yaml(text: str, file: str) -> ParsedYaml:
    """Parse one YAML document into plain data plus a source map.

    Raises ``yaml.YAMLError`` for syntax errors; the caller turns it into a located DesignSyntaxError.
    """
    node = yaml.compose(text, Loader=_Loader)
    source_map = SourceMap(file)
    problems: list[Problem] = []
    if node is None:
        return ParsedYaml(None, source_map, ())
    walker = _Walker(source_map, problems)
    data = walker.build(node, ())
    return ParsedYaml(data, source_map, tuple(problems))


def _position(mark: yaml.Mark) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


class _Walker:
    def __init__(self, source_map: SourceMap, problems: list[Problem]) -> None:
        self._map = source_map
        self._problems = problems
        self._constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: Path) -> Any:
        self._map.values[path] = _position(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._constructor.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        self._constructor.flatten_mapping(node)  # resolves YAML merge keys (<<: *anchor)
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem("a mapping key must be a plain name, not a list or mapping", key_node, path)
                continue
            key = str(self._constructor.construct_object(key_node))
            child = (*path, key)
            if key in result:
                first = self._map.keys[child]
                self._problem(f"duplicate key '{key}' (first defined at line {first[0]})", key_node, child)
                continue
            self._map.keys[child] = _position(key_node.start_mark)
            result[key] = self.build(value_node, child)
        return result

    def _problem(self, message: str, node: yaml.Node, path: Path) -> None:
        line, column = _position(node.start_mark)
        location = SourceLocation(self._map.file, line, column)
        self._problems.append(Problem(message, location, dotted(path)))


def dotted(path: Path) -> str:
    """``('compute', 'web', 'ports', 0)`` → ``compute.web.ports[0]``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text
