"""Per-environment overrides: a partial design deep-merged over the base design.

Mappings merge key by key, anything else (scalars, lists) replaces, and ``null`` removes the key, so
``staging`` can say ``compute: {web: {count: 1}}`` or ``distributions: {cdn: null}`` without repeating
the file. Source positions follow the values, so errors point at the override that caused them.
"""

from __future__ import annotations

from infragate.design.source_map import Path, SourceMap


def merge(base: object, override: object, base_map: SourceMap, override_map: SourceMap, path: Path = ()) -> object:
    """Return ``base`` with ``override`` merged in; ``base_map`` is updated to the merged positions."""
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            child = (*path, key)
            if value is None:
                merged.pop(key, None)
                base_map.graft(child, SourceMap(base_map.file))
                base_map.values.pop(child, None)
                base_map.keys.pop(child, None)
            elif key in merged:
                merged[key] = merge(merged[key], value, base_map, override_map.rebased((key,)), child)
            else:
                merged[key] = value
                base_map.graft(child, override_map.rebased((key,)))
        return merged
    base_map.graft(path, override_map)
    return override


def merge_mappings(
    base: dict[str, object], override: dict[str, object], base_map: SourceMap, override_map: SourceMap
) -> dict[str, object]:
    """``merge`` of two mappings, which is a mapping."""
    merged = merge(base, override, base_map, override_map)
    assert isinstance(merged, dict)  # two mappings merge key by key
    return merged
