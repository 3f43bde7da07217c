"""One command at a time per workspace: an advisory lock on ``DIR/.crmine/lock``.

``crmine ingest``, ``run``, ``alerts`` and ``forget`` change the warehouse or publish; two at
once could interleave (a run reading a half-ingested table is prevented by DuckDB, but a
forget during a run would publish the customer again). The lock is ``flock``: the kernel
releases it when its process dies, so a lock left by a killed command is never stale. A
second command waits up to ``CRMINE_LOCK_WAIT`` seconds (default 10), then stops with a
one-line message naming the command that holds the workspace and since when.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from crmine.errors import WorkspaceError

_held: dict[str, int] = {}  # lock path → depth held by this process (re-entrant)
_guard = threading.Lock()


def _wait_seconds() -> float:
    try:
        return float(os.environ.get("CRMINE_LOCK_WAIT", "10"))
    except ValueError:
        return 10.0


@contextmanager
def workspace_lock(private_dir: Path, command: str) -> Iterator[None]:
    path = private_dir / "lock"
    key = str(path)
    with _guard:
        if _held.get(key):
            _held[key] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                _held[key] -= 1
        return
    private_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + _wait_seconds()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WorkspaceError(_busy(path)) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"command": command, "pid": os.getpid(),
                                 "since": datetime.now(UTC).isoformat(timespec="seconds")}
                                ).encode())  # fmt: skip
        with _guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _guard:
                _held.pop(key, None)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _busy(path: Path) -> str:
    try:
        holder = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    who = holder.get("command", "another crmine command")
    since = holder.get("since", "?")
    return (f"{path.parent.parent} is busy: {who} (pid {holder.get('pid', '?')}) has held it "
            f"since {since}; try again when it has finished")
