"""A synthetic CRM with known ground truth, for the demo and for tests.

``generate`` draws customers, a seasonal BG/NBD purchase process, baskets with bundles and
consumables, returns, feedback and service contacts, then spells them as messy exports
(mixed date formats, currency symbols, duplicate customers, bad rows); ``write_files`` writes
the exports as CSV. ``DemoData.truth`` holds the clean facts behind every export.
"""

from crmine.demo._generate import DemoError, generate
from crmine.demo._params import DemoParams
from crmine.demo._types import DemoData, DemoTruth
from crmine.demo._write import write_files

__all__ = ["DemoData", "DemoError", "DemoParams", "DemoTruth", "generate", "write_files"]
