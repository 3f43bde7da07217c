"""One Spark session for the whole test session, or a loud skip (a failure under CI=true).

Starting the JVM costs 10-20 s, so every Spark test shares the session ``spark_session``
starts once per process (``local[2]``); the tests are grouped on one xdist worker
(``pytestmark`` of each module: slow, ``xdist_group("spark")``) so ``make test`` starts one JVM, not one per worker.
"""

from __future__ import annotations

import os
import shutil

import pytest


def _missing() -> str | None:
    if shutil.which("java") is None:
        return "no Java runtime (java) on PATH: install default-jre-headless"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return 'pyspark is not installed: uv sync (the dev group brings "crmine[spark]")'
    return None


@pytest.fixture(scope="session")
def spark():
    """The process's SparkSession on local[2]."""
    from crmine.config import SparkSettings
    from crmine.engine.spark import spark_session

    missing = _missing()
    if missing is not None:
        message = f"SPARK ENGINE TESTS SKIPPED: {missing}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; under CI=true these tests must run")
        pytest.skip(message)
    return spark_session(SparkSettings())

