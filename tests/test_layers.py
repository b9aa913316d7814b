"""The import contracts cover the whole package: a new package cannot slip past "only aws imports boto3"."""

from __future__ import annotations

import tomllib
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "src" / "infragate"


def _top_level_modules() -> set[str]:
    names = {p.stem for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__")}
    names |= {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").is_file()}
    return {f"infragate.{name}" for name in names}


def test_every_package_but_aws_is_forbidden_to_import_boto3() -> None:
    config = tomllib.loads(Path(ROOT / "pyproject.toml").read_text())
    contracts = config["tool"]["importlinter"]["contracts"]
    boto = next(c for c in contracts if "boto3" in c.get("forbidden_modules", []))
    assert set(boto["source_modules"]) == _top_level_modules() - {"infragate.aws"}


def test_every_package_has_a_layer() -> None:
    config = tomllib.loads(Path(ROOT / "pyproject.toml").read_text())
    layers = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")["layers"]
    named = {part.strip(" ()") for layer in layers for part in layer.split("|")}
    assert _top_level_modules() <= named, _top_level_modules() - named
