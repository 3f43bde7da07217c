"""One BLAS/OpenMP thread for small, iterative fits.

L-BFGS (logistic regression, the BTYD likelihoods) makes many tiny BLAS calls; OpenBLAS
threads only add synchronisation to them, costing 5-20x in CPU on a busy 2-core machine
(seen on scipy >= 1.15). threadpoolctl comes with scikit-learn; without it, only slower.
"""

from __future__ import annotations

import contextlib
from typing import Any


def single_thread(user_api: str | None = None) -> contextlib.AbstractContextManager[Any]:
    """``user_api="blas"`` limits only BLAS (leaves OpenMP users such as LightGBM alone)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api=user_api)
