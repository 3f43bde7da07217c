"""The command line: fast to start, one-line errors with exit code 2, the main job end to end."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipeline.conftest import ORDERS_CSV, write


def crmine(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crmine.cli", *args],
        capture_output=True, text=True, cwd=cwd, timeout=300,
    )


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys, crmine.cli;"
        "heavy = [m for m in ('pandas', 'duckdb', 'ibis', 'sklearn', 'lightgbm', 'numpy') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert crmine("--help").returncode == 0


@pytest.fixture(scope="module")
def loaded_ws(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    ws = tmp / "ws"
    assert crmine("init", str(ws)).returncode == 0
    write(tmp / "orders.csv", ORDERS_CSV)
    assert crmine("ingest", str(ws), f"orders={tmp}/orders.csv").returncode == 0
    return ws


@pytest.mark.parametrize(
    "args",
    [
        ("ingest", "{ws}", "orders={tmp}/missing.csv"),
        ("ingest", "{ws}", "invoices={tmp}/orders.csv"),
        ("ingest", "{ws}", "orders"),
        ("ingest", "{tmp}/not-a-workspace", "orders={tmp}/orders.csv"),
        ("run", "{ws}", "--as-of", "yesterday"),
        ("export", "{ws}", "orders", "-o", "{tmp}/x.json"),
        ("customer", "{ws}", "nobody"),
        ("evaluate", "{ws}", "--cutoff", "2024-01-08", "--without", "weather"),
        ("evaluate", "{ws}", "--cutoff", "2024-01-08", "--cutoffs", "2024-01-08,2024-01-09"),
        ("evaluate", "{ws}"),
        ("evaluate", "{ws}", "--cutoffs", "2024-01-08"),
        ("evaluate", "{ws}", "--cutoffs", "2024-01-08,soon"),
        ("evaluate", "{ws}", "--rolling", "0"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_2(loaded_ws: Path, args):
    ws, tmp_path = loaded_ws, loaded_ws.parent
    result = crmine(*(a.format(ws=ws, tmp=tmp_path) for a in args))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("crmine: error: "), result.stderr
    assert "Traceback" not in result.stderr


def test_main_job_end_to_end(tmp_path: Path):
    ws = tmp_path / "ws"
    assert crmine("init", str(ws)).returncode == 0
    write(tmp_path / "orders.csv", ORDERS_CSV)
    out = crmine("ingest", str(ws), f"orders={tmp_path}/orders.csv")
    assert out.returncode == 0 and "InvoiceNo → order_id" in out.stdout
    assert crmine("run", str(ws)).returncode == 0
    again = crmine("run", str(ws), "--if-new-data")
    assert again.returncode == 0 and "no new data since run" in again.stdout
    write(tmp_path / "more.csv", ORDERS_CSV.replace("1001,2024-01-05", "2001,2024-01-11"))
    assert crmine("ingest", str(ws), f"orders={tmp_path}/more.csv").returncode == 0
    fresh = crmine("run", str(ws), "--if-new-data")
    assert fresh.returncode == 0 and "no new data" not in fresh.stdout
    report = tmp_path / "r.html"
    assert crmine("report", str(ws), "-o", str(report)).returncode == 0
    assert "<html" in report.read_text("utf-8")[:200].lower()
    assert crmine("export", str(ws), "customer_scores", "-o", str(tmp_path / "s.csv")).returncode == 0
    out = crmine("customer", str(ws), "17850")
    assert out.returncode == 0 and "1001" in out.stdout


def test_evaluate_at_several_cutoffs_writes_each_and_the_summary(loaded_ws: Path):
    import json

    out = loaded_ws.parent / "across.json"
    result = crmine("evaluate", str(loaded_ws), "--cutoffs", "2024-01-08,2024-01-09",
                    "--horizon", "2", "--json", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    saved = json.loads(out.read_text("utf-8"))
    assert [r["cutoff"] for r in saved["results"]] == ["2024-01-08", "2024-01-09"]
    assert saved["across"]["cutoffs"] == ["2024-01-08", "2024-01-09"]
    rolled = crmine("evaluate", str(loaded_ws), "--rolling", "2", "--horizon", "1")
    assert rolled.returncode == 0, rolled.stderr
    assert "[2/2] backtesting at 2024-01-10" in rolled.stdout
