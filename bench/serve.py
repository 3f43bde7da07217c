"""The customer card under load: 100,000 customers, 8 concurrent clients, while runs publish.

Starts ``crmine serve``'s app with uvicorn on 127.0.0.1 (a free port), sends a bounded
number of card requests from 8 threads, and publishes new snapshots meanwhile; prints the
latency percentiles, the errors (the target is none) and how many runs were picked up.

    .venv/bin/python bench/serve.py [--customers N] [--requests N]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _publish(ws, n: int, seed: int) -> None:
    from crmine.pipeline.snapshots import SnapshotStore

    rng = np.random.default_rng(seed)
    ids = [f"C{i:07d}" for i in range(n)]
    scores = pd.DataFrame({"customer_id": ids, "rfm_segment": rng.choice(["Champions", "Lost"], n),
                           "value_tier": rng.choice(["top", "mid", "low"], n),
                           "churn_risk": rng.random(n), "clv": rng.gamma(2, 50, n),
                           "top_reasons": [["bought recently", "orders often"]] * n})  # fmt: skip
    profiles = pd.DataFrame({"customer_id": ids, "name": [f"N{i}" for i in range(n)],
                             "email": [f"c{i}@example.com" for i in range(n)], "city": "London"})
    recs = pd.DataFrame({"customer_id": np.repeat(ids, 5), "rank": np.tile(np.arange(1, 6), n),
                         "product_id": rng.choice([f"P{i}" for i in range(500)], 5 * n),
                         "score": rng.random(5 * n), "source": "als"})  # fmt: skip
    with SnapshotStore(ws.snapshots_dir).writer() as w:
        for name, frame in (("customer_scores", scores), ("customer_profiles", profiles),
                            ("recommendations", recs)):
            w.add(name, frame)
        w.meta.update(as_of="2024-05-01", horizon_days=90)


def main() -> None:
    import httpx
    import uvicorn

    from crmine.engine import Workspace
    from crmine.privacy.access import AccessStore
    from crmine.server.app import create_app

    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--publish-every", type=float, default=5.0,
                    help="seconds between the runs published while it serves (0: none)")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="crmine-serve-bench-"))
    try:
        ws = Workspace.init(root / "ws")
        _publish(ws, args.customers, 0)
        token = AccessStore(ws.root).create_token("viewer")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(ws.root), host="127.0.0.1", port=port,
                                               log_level="error"))  # fmt: skip
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        latencies, errors, runs = [], [], set()
        rng = np.random.default_rng(1)
        per_client = args.requests // args.clients

        def client(seed: int) -> None:
            local = np.random.default_rng(seed)
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                              timeout=10) as http:  # fmt: skip
                for _ in range(per_client):
                    cid = f"C{int(local.integers(args.customers)):07d}"
                    start = time.perf_counter()
                    r = http.get(f"/api/customers/{cid}")
                    latencies.append(time.perf_counter() - start)
                    if r.status_code != 200:
                        errors.append(r.status_code)
                    else:
                        runs.add(r.json()["run_id"])

        threads = [threading.Thread(target=client, args=(int(rng.integers(1e9)),))
                   for _ in range(args.clients)]  # fmt: skip
        started = time.perf_counter()
        for t in threads:
            t.start()
        published = 0
        while any(t.is_alive() for t in threads):
            time.sleep(args.publish_every or 0.1)
            if args.publish_every and any(t.is_alive() for t in threads):
                _publish(ws, args.customers, published + 1)  # a run publishes while it serves
                published += 1
        wall = time.perf_counter() - started
        server.should_exit = True
        ms = np.array(latencies) * 1000
        print(f"{args.customers:,} customers, {len(ms):,} card requests from {args.clients} "
              f"clients in {wall:.1f} s ({len(ms) / wall:.0f}/s), {published} runs published "
              f"meanwhile, {len(runs)} seen: p50 {np.percentile(ms, 50):.1f} ms, p95 "
              f"{np.percentile(ms, 95):.1f} ms, p99 {np.percentile(ms, 99):.1f} ms; "
              f"errors {len(errors)}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
