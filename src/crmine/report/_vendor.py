"""The vendored chart library, read from the package so reports work offline."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

ECHARTS_VERSION = "6.1.0"


@cache
def echarts_js() -> str:
    """The minified Apache ECharts source, ready to inline into a ``<script>`` element."""
    code = files("crmine.report").joinpath("assets", "echarts.min.js").read_text(encoding="utf-8")
    # The HTML parser ends a script at "</script"; the vendored build has none, keep it so.
    if "</script" in code.lower():
        raise RuntimeError("vendored echarts.min.js contains '</script' and cannot be inlined")
    return code
