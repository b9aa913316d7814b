"""Design documents as evidence (ICP-1.3): drawn, written, and recorded for each environment they cover, so
the design gate counts them for the digest they were made from."""

from __future__ import annotations

from pathlib import Path

from infragate.files import write_atomically
from infragate.workflow.bus import handles
from infragate.workflow.context import Caller, UnitOfWork
from infragate.workflow.messages import Command, Result
from infragate.workflow.project import ProjectWork, open_project
from infragate.workflow.records import DocsSummary


class Documented(Result):
    index: str  # the document's path (index.html or design.md)
    digest: str


class WriteDocs(Command[Documented]):
    """Draw and write the design document of ``environments`` (every one when empty) into ``folder`` (default:
    $INFRAGATE_HOME/docs/<project>), as html or markdown, and record it for each environment."""

    project: str
    environments: tuple[str, ...] = ()
    folder: str | None = None
    output_format: str = "html"


@handles(WriteDocs)
def write_docs_command(command: WriteDocs, caller: Caller, uow: UnitOfWork) -> Documented:
    work = open_project(uow, command.project, caller)
    environments = command.environments or tuple(work.design.environments)
    target = Path(command.folder) if command.folder else uow.settings.home / "docs" / work.name
    index = write_docs(work, environments, target, command.output_format)
    return Documented(index=str(index), digest=work.design.digest)


def write_docs(work: ProjectWork, environments: tuple[str, ...], target: Path, output_format: str) -> Path:
    """Draw and write the design document; returns its path. The slow Graphviz part is shown by the unit of
    work's view (a spinner in the CLI)."""
    from infragate.docs.document import build, render  # diagrams and Graphviz: only when drawing

    for name in environments:
        work.design.environment(name)  # an unknown environment is a usage error, before anything is drawn
    with work.uow.view.drawing():
        document = build(
            work.design, environments, target, judged=lambda env: work.uow.design_findings(work.design, env)
        )
    index = target / ("index.html" if output_format == "html" else "design.md")
    write_atomically(index, render(document, output_format))
    for name in environments:
        work.record(name, DocsSummary(), succeeded=True, artifact_path=str(index))
    return index
