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


def _svg_texts(path: Path) -> list[str]:
    return [node.text for node in ElementTree.parse(path).getroot().iter() if node.text and node.text.strip()]


def test_each_network_diagram_shows_its_own_environment(tmp_path: Path) -> None:
    build(DESIGN, ("staging", "production"), tmp_path)
    staging, production = _svg_texts(tmp_path / "staging-network.svg"), _svg_texts(tmp_path / "production-network.svg")
    assert staging.count("orders-db") == 1 and "single-AZ" in staging, "staging's database is single-AZ"
    assert production.count("orders-db") == 2 and {"primary", "standby"} <= set(production)
    # staging runs 2 web instances (one per public subnet), production 3 (2 + 1): every copy gets its rules
    assert staging.count("tcp 443") == 2 and staging.count("tcp 5432") == 1
    assert production.count("tcp 443") == 2 and production.count("tcp 5432") == 2
    assert "1 × t3.small" in staging and "2 × t3.medium" in production


def test_tables_are_for_people_and_the_architecture_explains_its_lines(tmp_path: Path) -> None:
    document = build(DESIGN, ("production",), tmp_path)
    cells = [cell for table in document.tables() for row in table.rows for cell in row]
    assert not [cell for cell in cells if cell.lstrip().startswith(("{", "[{"))], "no raw JSON in the tables"
    assert "size gb 30, type gp3, encrypted yes" in cells
    architecture = " ".join(_svg_texts(tmp_path / "production-architecture.svg"))
    assert "Legend" in architecture and "access logs" in architecture and "logs" in architecture
    assert "protected by Shield Advanced, or backed up by AWS Backup" in architecture
