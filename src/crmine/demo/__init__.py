"""A synthetic CRM with known ground truth, for the demo and for tests.

``generate`` draws customers, a seasonal BG/NBD purchase process, baskets with bundles and
consumables, returns, feedback and service contacts, then spells them as messy exports
(mixed date formats, currency symbols, duplicate customers, bad rows); ``write_files`` writes
the exports as CSV. ``DemoData.truth`` holds the clean facts behind every export.

Importing this package is cheap: numpy, pandas and pyarrow load on first use.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmine.demo._generate import DemoError, generate
    from crmine.demo._params import DemoParams
    from crmine.demo._types import DemoData, DemoTruth
    from crmine.demo._write import write_files

__all__ = ["DemoData", "DemoError", "DemoParams", "DemoTruth", "generate", "write_files"]

_HOME = {
    "DemoData": "_types",
    "DemoTruth": "_types",
    "DemoParams": "_params",
    "DemoError": "_generate",
    "generate": "_generate",
    "write_files": "_write",
}


def __getattr__(name: str):
    if name in _HOME:
        return getattr(import_module(f"crmine.demo.{_HOME[name]}"), name)
    raise AttributeError(f"module 'crmine.demo' has no attribute {name!r}")
