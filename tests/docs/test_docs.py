"""Design docs: real Graphviz diagrams (valid PNG and SVG), complete tables, reproducible content."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from infragate.design import load_design
from infragate.docs.document import build, render
from tests.conftest import WEBSHOP

DESIGN = load_design(WEBSHOP)


def test_diagrams_are_valid_png_and_svg_and_the_network_shows_every_subnet_and_component(tmp_path: Path) -> None:
    build(DESIGN, ("production",), tmp_path)
    for name in ("production-architecture", "production-network"):
        assert (tmp_path / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        root = ElementTree.parse(tmp_path / f"{name}.svg").getroot()
        assert root.tag.endswith("svg")
    texts = " ".join(
        node.text or "" for node in ElementTree.parse(tmp_path / "production-network.svg").getroot().iter() if node.text
    )
    infra = DESIGN.environment("production").infrastructure
    for subnet in infra.network.subnets:
        assert f"subnet {subnet}" in texts, subnet
    for component in (*infra.compute, *infra.databases):
        assert component in texts, component
    assert "tcp 5432" in texts and "tcp 443" in texts, "security-group rules are labelled edges"
    architecture = ElementTree.tostring(
        ElementTree.parse(tmp_path / "production-architecture.svg").getroot(), "unicode"
    )
    for component in (*infra.compute, *infra.databases, *infra.buckets, *infra.distributions, *infra.dns):
        assert component in architecture, component


def test_the_document_names_every_component_and_is_reproducible(tmp_path: Path) -> None:
    first = build(DESIGN, tuple(DESIGN.environments), tmp_path / "a")
    second = build(DESIGN, tuple(DESIGN.environments), tmp_path / "b")
    assert first.digest == second.digest == DESIGN.digest
    assert first.tables() == second.tables(), "same design, same tables"
    html = render(first, "html")
    for env in DESIGN.environments.values():
        infra = env.infrastructure
        for _, component in infra.components():
            assert component.name in html, component.name
    assert DESIGN.digest in html and "Differences between environments" in html
    differences = next(t for t in first.tables() if t.title == "Differences between environments")
    assert ("instance-group web", "count", "2", "3") in differences.rows
    markdown = render(first, "markdown")
    assert markdown.startswith("# Design: webshop") and "| role | people |" in markdown


def test_without_graphviz_the_command_says_so(tmp_path: Path) -> None:
    environment = {**os.environ, "PATH": "/nonexistent", "INFRAGATE_HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "infragate", "design", "docs", str(WEBSHOP), "--out", str(tmp_path / "docs")],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "Graphviz" in result.stderr and "apt-get install graphviz" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "docs" / "index.html").exists()
