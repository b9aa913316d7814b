"""Bad design files: each kind of problem is reported with its file, line, column and field path."""

from __future__ import annotations

from pathlib import Path

import pytest

from infragate.design import load_design, parse_design
from infragate.errors import DesignError, DesignSyntaxError, DesignValidationError, Problem, UsageError
from tests.conftest import WEBSHOP

HEADER = """\
project:
  name: demo
  client: Demo Ltd
environments:
  staging: {}
"""
NETWORK = """\
network:
  vpc_cidr: 10.0.0.0/16
  availability_zones: [az-a, az-b]
  subnets:
    pub: {tier: public, cidr: 10.0.0.0/24, availability_zone: az-a}
    priv: {tier: private, cidr: 10.0.1.0/24, availability_zone: az-b}
  security_groups:
    web: {}
"""


def _problems(text: str) -> list[Problem]:
    with pytest.raises(DesignValidationError) as caught:
        parse_design(text, "demo.yaml")
    return list(caught.value.problems)


def _only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, [str(p) for p in problems]
    return problems[0]


def test_the_examples_load() -> None:
    design = load_design(WEBSHOP)
    assert list(design.environments) == ["staging", "production"]
    assert design.digest.startswith("sha256:")


def test_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(DesignSyntaxError) as caught:
        parse_design(HEADER + "network: {vpc_cidr: [10.0.0.0/16\n", "demo.yaml")
    problem = _only(list(caught.value.problems))
    assert problem.location is not None and problem.location.file == "demo.yaml"
    assert problem.location.line >= 6
    assert "YAML syntax error" in problem.message


def test_wrong_type_names_line_column_and_field() -> None:
    text = HEADER + NETWORK + "compute:\n  app:\n    count: three\n    instance_type: t3.micro\n    ami: ami-12345678\n"
    problem = _only(_problems(text))
    assert problem.field_path == "compute.app.count"
    assert problem.location is not None and (problem.location.line, problem.location.column) == (16, 12)
    assert "valid integer" in problem.message and "'three'" in problem.message


def test_unknown_key_suggests_the_closest_field() -> None:
    text = HEADER + NETWORK + "buckets:\n  assets:\n    versionning: true\n"
    problem = _only(_problems(text))
    assert problem.field_path == "buckets.assets.versionning"
    assert "did you mean 'versioning'?" in problem.message
    assert problem.location is not None and problem.location.line == 16


def test_unknown_top_level_section_suggests_the_section() -> None:
    problem = _only(_problems(HEADER + NETWORK + "databses: {}\n"))
    assert problem.field_path == "databses"
    assert "did you mean 'databases'?" in problem.message


def test_dangling_reference_names_the_missing_target() -> None:
    text = HEADER + NETWORK + "buckets:\n  assets: {}\ndistributions:\n  cdn:\n    origins:\n      - bucket: asets\n"
    problem = _only(_problems(text))
    assert problem.field_path == "distributions.cdn.origins[0].bucket"
    assert "bucket 'asets' does not exist; did you mean 'assets'?" in problem.message
    assert problem.location is not None and problem.location.line == 19


def test_duplicate_key_is_reported_with_the_first_definition() -> None:
    text = HEADER + NETWORK + "buckets:\n  assets: {}\n  assets: {versioning: true}\n"
    problem = _only(_problems(text))
    assert problem.field_path == "buckets.assets"
    assert "duplicate key 'assets' (first defined at line 15)" in problem.message
    assert problem.location is not None and problem.location.line == 16


def test_duplicate_component_names_across_sections() -> None:
    text = HEADER + NETWORK + "buckets:\n  shared: {}\ndistributions:\n  shared:\n    origins: [{bucket: shared}]\n"
    problem = _only(_problems(text))
    assert problem.field_path == "distributions.shared"
    assert "already used by buckets.shared" in problem.message


def test_missing_required_field_points_at_its_parent() -> None:
    problem = _only(_problems(HEADER + NETWORK.replace("  vpc_cidr: 10.0.0.0/16\n", "")))
    assert problem.field_path == "network.vpc_cidr"
    assert problem.message == "required field 'vpc_cidr' is missing"
    assert problem.location is not None and problem.location.line == 6


def test_every_problem_is_reported_at_once() -> None:
    text = (
        HEADER
        + NETWORK.replace("az-b}", "az-c}")
        + "compute:\n  app: {count: -1, instance_type: t3.micro, ami: ami-12345678, security_groups: [wbe]}\n"
        + "buckets:\n  b: {encryption: rot13}\n"
    )
    problems = _problems(text)
    fields = {p.field_path for p in problems}
    assert fields == {
        "network.subnets.priv.availability_zone",
        "compute.app.count",
        "compute.app.security_groups[0]",
        "buckets.b.encryption",
    }
    lines = [p.location.line for p in problems if p.location]
    assert lines == sorted(lines)


def test_errors_in_overrides_point_at_the_override() -> None:
    text = (
        HEADER.replace("  staging: {}\n", "  staging:\n    overrides:\n      compute:\n        app: {count: many}\n")
        + NETWORK
        + "compute:\n  app: {count: 1, instance_type: t3.micro, ami: ami-12345678}\n"
    )
    problem = _only(_problems(text))
    assert problem.field_path == "compute.app.count"
    assert problem.location is not None and problem.location.line == 8


def test_only_infrastructure_sections_can_be_overridden() -> None:
    text = HEADER.replace("  staging: {}\n", "  staging:\n    overrides:\n      project: {name: other}\n") + NETWORK
    problem = _only(_problems(text))
    assert problem.field_path == "environments.staging.overrides.project"
    assert "cannot be overridden" in problem.message


def test_waiver_for_an_unknown_component_or_environment() -> None:
    text = (
        HEADER
        + NETWORK
        + (
            "waivers:\n  - {rule: EC2-005, component: wbe, environments: [prod], reason: because of reasons,"
            " approver: sam, expires: 2027-01-01}\n"
        )
    )
    fields = {p.field_path for p in _problems(text)}
    assert fields == {"waivers[0].component", "waivers[0].environments[0]"}


@pytest.mark.parametrize(("text", "expected"), [("", "is empty"), ("- a\n- b\n", "a list, not a mapping")])
def test_a_file_that_is_not_a_mapping(text: str, expected: str) -> None:
    with pytest.raises(DesignValidationError, match=expected):
        parse_design(text, "demo.yaml")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(DesignError, match="no such design file"):
        load_design(tmp_path / "nope.yaml")
    with pytest.raises(DesignError, match="is a directory"):
        load_design(tmp_path)


def test_unknown_environment_suggests_a_known_one() -> None:
    design = load_design(WEBSHOP)
    with pytest.raises(UsageError) as caught:
        design.environment("prod")
    assert "Did you mean 'production'?" in caught.value.hint
