"""Shared fixtures: where the real datasets live, and a skip when they are absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATASETS = Path(os.environ.get("CRMINE_DATASETS", REPO.parent / "shared" / "datasets"))


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(f"real datasets not found at {DATASETS}")
    return DATASETS


def dataset_file(name: str) -> Path:
    """Path of the Parquet file in ``<name>/`` of the shared datasets, skipping when absent."""
    files = sorted((DATASETS / name).glob("*.parquet"))
    path = files[0] if files else DATASETS / name / f"{name}.parquet"
    if not path.exists():
        pytest.skip(f"dataset {name} not found at {path}")
    return path


def configure(ws, section: str, **values):
    """Set ``[section] key = value`` in a workspace's crmine.toml; the workspace afresh."""
    from crmine.config.edit import set_settings
    from crmine.engine import Workspace

    set_settings(ws.config_path, section, **values)
    return Workspace.open(ws.root)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A running PostgreSQL server (see tests/postgres_server.py), for the whole session.

    Its folder is made directly under the system's temporary directory: the server's own
    user must be able to reach it, which pytest's private temporary folders do not allow.
    """
    import shutil
    import tempfile

    from tests.postgres_server import postgres_server

    root = Path(tempfile.mkdtemp(prefix="crmine-pg-"))
    root.chmod(0o755)
    try:
        with postgres_server(root / "server") as url:
            yield url
    finally:
        shutil.rmtree(root, ignore_errors=True)
