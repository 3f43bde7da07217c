"""Two commands on one workspace: the second waits, then says who holds it; a dead holder
never leaves a stale lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from crmine.engine import Workspace
from crmine.errors import WorkspaceError

HOLD = """
import sys, time
from crmine.engine import Workspace
ws = Workspace.open(sys.argv[1])
with ws.lock("crmine run"):
    print("held", flush=True)
    time.sleep(60)
"""


def _holder(ws: Workspace) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(ws.root)], stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_command_is_told_who_holds_the_workspace(tmp_path, monkeypatch):
    ws = Workspace.init(tmp_path / "w")
    monkeypatch.setenv("CRMINE_LOCK_WAIT", "0.5")
    proc = _holder(ws)
    try:
        started = time.monotonic()
        busy = r"busy: crmine run \(pid \d+\) has held it since"
        with pytest.raises(WorkspaceError, match=busy), ws.lock("crmine ingest orders"):
            pass
        assert time.monotonic() - started >= 0.5  # it waited first
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path, monkeypatch):
    ws = Workspace.init(tmp_path / "w")
    monkeypatch.setenv("CRMINE_LOCK_WAIT", "5")
    proc = _holder(ws)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # taken at once (the kernel released the dead holder's lock), and re-entrant in a process
    with ws.lock("crmine run"), ws.lock("crmine alerts"):
        pass


def test_a_command_waits_for_the_lock_to_be_released(tmp_path, monkeypatch):
    ws = Workspace.init(tmp_path / "w")
    monkeypatch.setenv("CRMINE_LOCK_WAIT", "30")
    proc = _holder(ws)
    started = time.monotonic()
    import threading

    threading.Timer(1.0, proc.kill).start()
    with ws.lock("crmine ingest orders"):
        waited = time.monotonic() - started
    proc.wait()
    assert 0.8 <= waited < 10
