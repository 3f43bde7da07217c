"""Export 100,000 customer scores to a real PostgreSQL server, twice (the second is a merge).

Starts its own server on 127.0.0.1 (tests/postgres_server.py) and prints the seconds of each
export next to a plain psycopg COPY of the same rows (the floor any writer can reach).

    .venv/bin/python bench/postgres_export.py [--rows N]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    import psycopg

    from crmine.engine import Workspace
    from crmine.pipeline.exporting import export_table
    from tests.io.test_postgres import _publish, _scores
    from tests.postgres_server import postgres_server

    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="crmine-pg-bench-"))
    root.chmod(0o755)
    try:
        with postgres_server(root / "server") as url:
            ws = Workspace.init(root / "ws")
            frame = _scores(args.rows)
            _publish(ws, frame)
            times = []
            for _ in range(2):
                start = time.perf_counter()
                export_table(ws, "customer_scores", f"{url}?table=bench_scores")
                times.append(time.perf_counter() - start)
            plain = frame.drop(columns="top_reasons")
            with psycopg.connect(url) as con:
                con.execute("CREATE TABLE plain (customer_id text, as_of date, p_purchase float8, "
                            "clv float8, orders_count bigint, value_tier text)")
                start = time.perf_counter()
                with con.cursor().copy("COPY plain FROM STDIN") as copy:
                    for row in plain.itertuples(index=False, name=None):
                        copy.write_row(row)
                con.commit()
                floor = time.perf_counter() - start
            print(f"rows {args.rows:,}: crmine export {times[0]:.2f} s (create + load), "
                  f"{times[1]:.2f} s (merge, no duplicates); psycopg COPY row by row, "
                  f"no list column, no merge: {floor:.2f} s")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
