"""Load a design file into a typed, per-environment ``Design``, or fail with every problem at once."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path as FilePath

import yaml
from pydantic import ValidationError

from infragate.design.document import HEADER_KEYS, INFRASTRUCTURE_KEYS, DesignDocument, DesignHeader
from infragate.design.model import Design, EnvironmentDesign
from infragate.design.overrides import merge_mappings
from infragate.design.problems import problems_from
from infragate.design.references import ReferenceChecker, check_overrides, check_waivers
from infragate.design.source_map import MAX_BYTES, MAX_DEPTH, MAX_VALUES, SourceMap, YamlLimitError, parse_yaml
from infragate.errors import DesignError, DesignSyntaxError, DesignValidationError, Problem, SourceLocation
from infragate.model import Infrastructure
from infragate.model.infrastructure import SECTION_OF

_HINT = "Fix the listed fields and run `infragate design validate` again; `infragate design schema` prints the format."


def load_design(path: str | FilePath) -> Design:
    """Read, parse and validate a design file."""
    file = str(path)
    text = _read(FilePath(path))
    return parse_design(text, file)


def parse_design(text: str, file: str) -> Design:
    """Validate design text; ``file`` is only used in messages."""
    try:
        parsed = parse_yaml(text, file)
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, file, text) from None
    data = parsed.data
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        raise DesignValidationError(
            f"{file}: the design file is {what}",
            hint="A design file is a YAML mapping with at least 'project', 'environments' and 'network'.",
        )
    problems: list[Problem] = list(parsed.problems)
    header = _validate_header(data, parsed.source_map, problems)
    environments = _validate_environments(data, parsed.source_map, problems)
    raw = data.get("environments")
    raw_environments: dict[str, object] = raw if isinstance(raw, dict) else {}
    problems += check_overrides(raw_environments, INFRASTRUCTURE_KEYS, parsed.source_map)
    names = _waivable_names(environments, raw_environments)
    problems += check_waivers(data.get("waivers"), set(raw_environments), names, parsed.source_map)

    unique = _sorted_unique(problems)
    if unique or header is None:
        count = len(unique)
        raise DesignValidationError(
            f"{file}: {count} problem{'s' if count != 1 else ''} in the design file",
            problems=unique,
            hint=_HINT,
        )
    envs = {
        settings.name: EnvironmentDesign(
            settings=settings,
            infrastructure=environments[settings.name][0],
            source_map=environments[settings.name][1],
        )
        for settings in header.environments.values()
    }
    return Design(
        path=file,
        digest=digest(data),
        project=header.project,
        environments=envs,
        waivers=header.waivers,
        source_map=parsed.source_map,
        compliance=header.compliance,
        policy_packs=header.policy_packs,
    )


def digest(data: object) -> str:
    """A content digest that ignores formatting and comments: approvals bind to it."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _read(path: FilePath) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DesignError(f"{path}: no such design file", hint="Check the path; examples live in examples/.") from None
    except IsADirectoryError:
        raise DesignError(
            f"{path}: is a directory, not a design file", hint=f"Did you mean {path / 'infragate.yaml'}?"
        ) from None
    except UnicodeDecodeError as exc:
        raise DesignSyntaxError(
            f"{path}: not UTF-8 text (byte {exc.start})", hint="Save the design file as UTF-8."
        ) from None
    except OSError as exc:
        raise DesignError(f"{path}: cannot be read ({exc.strerror})", hint="Check the file's permissions.") from None


def _code(character: int | str) -> int:
    return character if isinstance(character, int) else ord(character[:1] or "\0")


def _offset(exc: yaml.reader.ReaderError, file: str, text: str) -> SourceLocation:
    before = text[: exc.position]
    return SourceLocation(file, before.count("\n") + 1, len(before) - before.rfind("\n"))


def _syntax_error(exc: yaml.YAMLError, file: str, text: str) -> DesignSyntaxError:
    mark = getattr(exc, "problem_mark", None)
    location = SourceLocation(file, mark.line + 1, mark.column + 1) if mark is not None else None
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow: say where it is
        return DesignSyntaxError(
            f"{file}: the design file is not valid YAML",
            problems=(
                Problem(f"the character U+{_code(exc.character):04X} is not allowed in YAML", _offset(exc, file, text)),
            ),
            hint="Remove control characters (such as NUL) from the file; save it as plain UTF-8 text.",
        )
    if isinstance(exc, YamlLimitError):
        return DesignSyntaxError(
            f"{file}: the design file is over infragate's input limits",
            problems=(Problem(str(exc.problem), location),),
            hint=f"Design files are read up to {MAX_BYTES // (1024 * 1024)} MiB, {MAX_DEPTH} levels deep and "
            f"{MAX_VALUES:,} values with aliases expanded (README: input limits).",
        )
    reason = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {reason}" + (f" ({context})" if context else "")
    return DesignSyntaxError(
        f"{file}: the design file is not valid YAML",
        problems=(Problem(message, location),),
        hint="Check indentation and quoting around the reported line; tabs are not allowed for indentation.",
    )


def _validate_header(data: dict[str, object], source_map: SourceMap, problems: list[Problem]) -> DesignHeader | None:
    header = {key: value for key, value in data.items() if key in HEADER_KEYS}
    try:
        return DesignHeader.model_validate(header)
    except ValidationError as exc:
        problems += problems_from(exc, header, source_map, DesignDocument)
        return None


def _validate_environments(
    data: dict[str, object], source_map: SourceMap, problems: list[Problem]
) -> dict[str, tuple[Infrastructure, SourceMap]]:
    """Validate the base infrastructure merged with each environment's overrides."""
    base = {key: value for key, value in data.items() if key not in HEADER_KEYS}
    environments = data.get("environments")
    if not isinstance(environments, dict) or not environments:
        environments = {}
    results: dict[str, tuple[Infrastructure, SourceMap]] = {}
    for name, settings in environments.items():
        overrides = settings.get("overrides") if isinstance(settings, dict) else None
        merged_map = SourceMap(source_map.file, dict(source_map.values), dict(source_map.keys))
        merged = base  # merge() builds new dicts along the overridden paths; it never mutates base
        if isinstance(overrides, dict):
            allowed = {key: value for key, value in overrides.items() if key in INFRASTRUCTURE_KEYS}
            override_map = source_map.rebased(("environments", name, "overrides"))
            merged = merge_mappings(merged, allowed, merged_map, override_map)
        problems += ReferenceChecker(merged, merged_map).run()
        try:
            results[name] = (Infrastructure.model_validate(merged), merged_map)
        except ValidationError as exc:
            problems += problems_from(exc, merged, merged_map, DesignDocument)
    return results


def _waivable_names(
    environments: dict[str, tuple[Infrastructure, SourceMap]], raw_environments: dict[str, object]
) -> set[str]:
    names = {kind.value for kind in SECTION_OF} | set(raw_environments)
    for infrastructure, _ in environments.values():
        names |= {component.name for _, component in infrastructure.components()}
    return names


def _sorted_unique(problems: list[Problem]) -> tuple[Problem, ...]:
    seen: dict[tuple[str, str, str], Problem] = {}
    for problem in problems:
        seen.setdefault((str(problem.location), problem.field_path, problem.message), problem)
    return tuple(sorted(seen.values(), key=lambda p: (p.location.line, p.location.column) if p.location else (0, 0)))
