"""Per-environment overrides, digests and the JSON Schema."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema
import yaml

from infragate.design import Design, json_schema, load_design, parse_design
from tests.conftest import WEBSHOP


def test_overrides_change_only_their_environment() -> None:
    design = load_design(WEBSHOP)
    staging, production = design.environment("staging"), design.environment("production")
    assert staging.infrastructure.compute["web"].count == 2
    assert production.infrastructure.compute["web"].count == 3
    assert staging.infrastructure.compute["web"].instance_type == "t3.small"
    # untouched fields of an overridden component come from the base
    assert staging.infrastructure.compute["web"].ami == production.infrastructure.compute["web"].ami
    assert staging.infrastructure.databases["orders-db"].multi_az is False
    assert production.infrastructure.databases["orders-db"].multi_az is True


def test_null_removes_and_lists_replace(webshop_variant: Callable[[dict[str, Any]], Design]) -> None:
    design = webshop_variant(
        {
            "environments": {
                "staging": {
                    "overrides": {
                        "distributions": {"cdn": None},
                        "dns": {"webshop.example.com": {"records": [{"name": "api", "instance_group": "web"}]}},
                        "buckets": {"assets": {"served_via_cloudfront": False}},
                        "monitoring": {"alarms": {"cdn-5xx": None}},
                    }
                }
            }
        }
    )
    staging = design.environment("staging").infrastructure
    assert "cdn" not in staging.distributions
    assert [r.name for r in staging.dns["webshop.example.com"].records] == ["api"]
    assert "cdn" in design.environment("production").infrastructure.distributions


def test_digest_ignores_formatting_but_not_content(webshop_data: dict[str, Any]) -> None:
    text = WEBSHOP.read_text()
    reformatted = yaml.safe_dump(webshop_data, sort_keys=True, default_flow_style=False)
    assert parse_design(text, "a.yaml").digest == parse_design(reformatted, "b.yaml").digest
    changed = text.replace("count: 3", "count: 4")
    assert changed != text
    assert parse_design(changed, "a.yaml").digest != parse_design(text, "a.yaml").digest


def test_json_schema_is_valid_and_accepts_the_example(webshop_data: dict[str, Any]) -> None:
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(webshop_data, schema)


def test_json_schema_rejects_an_unknown_section(webshop_data: dict[str, Any]) -> None:
    schema = json_schema()
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors({**webshop_data, "computee": {}}))
    assert errors
