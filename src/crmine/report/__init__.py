"""The static HTML report: figures (``data``) → chart specs (``charts``) → page (``html``).

Importing this package is cheap; DuckDB, pandas and the chart library load on first use.
Add a section with :func:`register_section` (see ``sections``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmine.report.build import build_report, write_report
    from crmine.report.context import ReportContext, ReportSettings
    from crmine.report.sections import (
        SECTIONS,
        Kpi,
        Omitted,
        Section,
        SectionContent,
        Table,
        register_section,
        section,
    )

_EXPORTS = {
    "build_report": "build",
    "write_report": "build",
    "ReportContext": "context",
    "ReportSettings": "context",
    "SECTIONS": "sections",
    "Kpi": "sections",
    "Omitted": "sections",
    "Section": "sections",
    "SectionContent": "sections",
    "Table": "sections",
    "register_section": "sections",
    "section": "sections",
}

__all__ = [
    "SECTIONS",
    "Kpi",
    "Omitted",
    "ReportContext",
    "ReportSettings",
    "Section",
    "SectionContent",
    "Table",
    "build_report",
    "register_section",
    "section",
    "write_report",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f"crmine.report.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'crmine.report' has no attribute {name!r}")
