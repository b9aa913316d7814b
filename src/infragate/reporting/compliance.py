"""The compliance report for people: HTML (readable, printable, summary first) and a PDF made from it."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from infragate.errors import OutputError
from infragate.reporting.compliance_model import ComplianceReport

TEMPLATES = Path(__file__).resolve().parent / "templates"
templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2", "html"]))


def render_compliance_html(report: ComplianceReport) -> str:
    return templates.get_template("compliance.html.j2").render(r=report.model_dump(mode="json"))


def render_compliance_pdf(report: ComplianceReport) -> bytes:
    return html_to_pdf(render_compliance_html(report))


def html_to_pdf(html: str) -> bytes:
    try:
        from weasyprint import HTML  # imported here: it loads the system's Pango, needed only for PDFs
    except ModuleNotFoundError as exc:
        from infragate.extras import missing

        raise missing(exc.name or "weasyprint") or exc from None
    except OSError as exc:
        raise OutputError(
            f"PDF output needs the Pango library ({exc})",
            hint="Install it (apt-get install libpango-1.0-0 libpangoft2-1.0-0) or use --format html.",
        ) from None
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf
