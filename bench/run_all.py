"""Run every benchmark in turn and print their figures (``make bench``).

Each script prints its own table, side by side with the peer library it is compared with;
``--only NAME ...`` runs a subset. A failing script is reported and the others still run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# cheapest first, so a quick look gives figures early
ORDER = ["rfm", "io_read", "ingest_run", "btyd", "basket", "predict", "campaigns", "sentiment",
         "recommend", "voice", "demand"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", choices=ORDER, default=ORDER)
    args = parser.parse_args()
    failed = []
    for name in [n for n in ORDER if n in args.only]:
        print(f"\n=== bench/{name}.py", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(HERE / f"{name}.py")], cwd=HERE.parent)
        print(f"=== {name}: exit {code}, {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
