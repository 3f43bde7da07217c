"""Writing the raw exports to CSV files, each in the encoding its source system would use."""

from __future__ import annotations

from pathlib import Path

from crmine.demo._types import DemoData

# The customers file comes from Chinese Excel (GBK); the orders export carries a BOM.
ENCODINGS = {
    "customers": "gbk",
    "orders": "utf-8-sig",
    "products": "utf-8",
    "feedback": "utf-8",
    "interactions": "utf-8",
    "campaigns": "utf-8",
}


def write_files(data: DemoData, directory: Path) -> dict[str, Path]:
    """Write ``<entity>.csv`` for every raw export into ``directory``; returns entity → path."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for entity, frame in data.frames().items():
        path = directory / f"{entity}.csv"
        frame.to_csv(path, index=False, encoding=ENCODINGS[entity], lineterminator="\n")
        paths[entity] = path
    return paths
