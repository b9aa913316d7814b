"""Design documents as evidence (ICP-1.3): drawn, written, and recorded for each environment they cover, so
the design gate counts them for the digest they were made from."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from infragate.files import write_atomically
from infragate.workflow.records import DocsSummary

if TYPE_CHECKING:
    from infragate.workflow.service import Workflow


def write_docs(
    flow: Workflow,
    environments: tuple[str, ...],
    target: Path,
    output_format: str,
    drawing: Callable[[], AbstractContextManager[object]] = nullcontext,
) -> Path:
    """Draw and write the design document; returns its path. ``drawing`` wraps the slow Graphviz part (a
    front end shows a spinner there)."""
    from infragate.docs.document import build, render  # diagrams and Graphviz: only when drawing

    with drawing():
        document = build(flow.design, environments, target)
    index = target / ("index.html" if output_format == "html" else "design.md")
    write_atomically(index, render(document, output_format))
    for name in environments:
        flow.record_run(name, DocsSummary(), succeeded=True, artifact_path=str(index))
    return index
