"""The steps of ``crmine run``: one module per step, each declaring itself with ``@step``.

Adding a step is adding a module here (and the model it runs under :mod:`crmine.models`):
:func:`load_all` imports every module of this package, which registers its step, and the
run orders the steps from their declarations.
"""

from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    """Import (and so register) every step module of this package."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")
