"""YAML parsing that remembers where every key and value came from.

PyYAML's composer gives nodes with marks; we walk them ourselves so that every error and finding can say
``file:line:column``. Duplicate keys, which YAML loaders silently accept, are reported here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    data: object  # what the YAML holds, not yet checked
    source_map: SourceMap
    problems: tuple[Problem, ...]


# Limits that keep a hostile file (an alias bomb, a self-referencing alias, absurd nesting) from taking
# seconds and gigabytes: a real design is a few hundred kilobytes, tens of levels deep, and far under the
# value count even with 1,000 components (see bench/validate_large.py).
MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 200_000  # values after expanding aliases: aliases may repeat a block, not multiply it
STANDARD_TAGS = frozenset(
    {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap", "tag:yaml.org,2002:set"}
)


class YamlLimitError(yaml.YAMLError):
    """The document is over a size, depth or expansion limit; carries where, when known."""

    def __init__(self, message: str, node: yaml.Node | None = None) -> None:
        super().__init__(message)
        self.problem = message
        self.problem_mark = node.start_mark if node is not None else None


def parse_yaml(text: str, file: str) -> ParsedYaml:
    """Parse one YAML document into plain data plus a source map.

    Raises ``yaml.YAMLError`` for syntax errors and for documents over the limits (``MAX_BYTES``,
    ``MAX_DEPTH``, ``MAX_VALUES``); the caller turns it into a located DesignSyntaxError.
    """
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise YamlLimitError(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB; a design file is far smaller")
    try:
        node = yaml.compose(text, Loader=_Loader)
    except RecursionError:
        raise YamlLimitError(f"the YAML nests deeper than infragate reads (at most {MAX_DEPTH} levels)") from None
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
    """Builds plain data from the node tree, following aliases, within the limits, reporting bad values as
    located problems instead of raising (an invalid date or ``!!int abc`` is the author's mistake)."""

    def __init__(self, source_map: SourceMap, problems: list[Problem]) -> None:
        self._map = source_map
        self._problems = problems
        self._constructor = yaml.constructor.SafeConstructor()
        self._values = 0
        self._open: set[int] = set()  # nodes being built on the current path: an alias back to one is a cycle

    def build(self, node: yaml.Node, path: Path) -> object:
        self._values += 1
        if self._values > MAX_VALUES:
            raise YamlLimitError(
                f"more than {MAX_VALUES:,} values once aliases are expanded: aliases may repeat a block, "
                "not multiply it",
                node,
            )
        if len(path) > MAX_DEPTH:
            raise YamlLimitError(f"the YAML nests deeper than {MAX_DEPTH} levels", node)
        if id(node) in self._open:
            self._problem("this alias refers to a value that contains it (a cycle)", node, path)
            return None
        self._map.values[path] = _position(node.start_mark)
        if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
            if node.tag not in STANDARD_TAGS:
                self._problem(f"the tag {node.tag} is not allowed in a design file", node, path)
                return None
            self._open.add(id(node))
            try:
                if isinstance(node, yaml.MappingNode):
                    return self._mapping(node, path)
                return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
            finally:
                self._open.discard(id(node))
        return self._scalar(node, path)

    def _scalar(self, node: yaml.Node, path: Path) -> object:
        try:
            return self._constructor.construct_object(node, deep=True)
        except Exception as exc:  # PyYAML's constructors raise anything (AttributeError on "!!timestamp x")
            reason = getattr(exc, "problem", None) or str(exc)
            self._problem(f"cannot read the value {_shown(node)}: {reason}", node, path)
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, object]:
        try:
            self._constructor.flatten_mapping(node)  # resolves YAML merge keys (<<: *anchor)
        except RecursionError:
            raise YamlLimitError("a merge key (<<) refers to a mapping that contains it", node) from None
        except yaml.YAMLError as exc:
            self._problem(f"cannot merge: {getattr(exc, 'problem', None) or exc}", node, path)
            return {}
        result: dict[str, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem("a mapping key must be a plain name, not a list or mapping", key_node, path)
                continue
            key = str(self._scalar(key_node, path))
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


def _shown(node: yaml.Node) -> str:
    value = str(getattr(node, "value", ""))
    return repr(value if len(value) <= 40 else value[:37] + "...")


def dotted(path: Path) -> str:
    """``('compute', 'web', 'ports', 0)`` → ``compute.web.ports[0]``."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text
