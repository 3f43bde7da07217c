"""A real PostgreSQL server for the tests: started in a temporary folder, stopped after.

Debian's ``postgresql`` package (installed by ``.ci/run`` when missing) provides the
binaries; the server listens on 127.0.0.1 only, on a free port, with a password, so the
tests exercise the same connection path a user's server takes. PostgreSQL refuses to run as
root: then the folder is handed to the ``postgres`` user the package creates. Outside CI a
machine without PostgreSQL skips these tests with the reason; under ``CI=true`` it fails.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

PASSWORD = "crmine-test-pw"


def _bindir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextmanager
def postgres_server(root: Path) -> Iterator[str]:
    """Start a server under ``root``; yields its URL (user crmine, database postgres)."""
    bindir = _bindir()
    if bindir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + "; under CI=true these tests must run")
        pytest.skip(message)
    root.mkdir(parents=True, exist_ok=True)
    data, sockets, pwfile = root / "data", root / "sock", root / "pw"
    sockets.mkdir()
    pwfile.write_text(PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        for p in (sockets, pwfile):
            shutil.chown(p, "postgres")
    port = _free_port()
    subprocess.run(_as_server_user([str(bindir / "initdb"), "-D", str(data), "-U", "crmine",
                                    "--pwfile", str(pwfile), "-A", "scram-sha-256", "-N"]),
                   check=True, capture_output=True)  # fmt: skip
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off"
    subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                                    "-w", "-t", "60", "-l", str(root / "log"), "start"]),
                   check=True, capture_output=True)  # fmt: skip
    try:
        yield f"postgresql://crmine:{PASSWORD}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast",
                                        "-w", "stop"]), capture_output=True)  # fmt: skip
