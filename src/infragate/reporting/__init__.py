"""Reports for machines and people: JSON, SARIF 2.1.0 (GitHub code scanning), JUnit XML (CircleCI), CSV.

Takes findings from the policy engine, already located in their source files; writes text. No I/O
beyond returning strings: callers decide where output goes.
"""

from infragate.policy import LocatedFinding
from infragate.reporting.compliance import render_compliance_html, render_compliance_pdf
from infragate.reporting.csv_report import render_csv
from infragate.reporting.findings_report import FindingsReport, service_of
from infragate.reporting.json_report import render_json
from infragate.reporting.junit import render_junit
from infragate.reporting.sarif import render_sarif

__all__ = [
    "FindingsReport",
    "LocatedFinding",
    "render_compliance_html",
    "render_compliance_pdf",
    "render_csv",
    "render_json",
    "render_junit",
    "render_sarif",
    "service_of",
]
