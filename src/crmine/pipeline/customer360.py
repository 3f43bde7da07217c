"""The customer 360 view: one customer's profile, scores, orders, products and voice.

Ids merged into another customer are followed, so a caller can look a customer up by any
id the sources ever used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crmine.engine.workspace import Workspace
from crmine.errors import CrmineError
from crmine.pipeline.snapshots import SnapshotStore

if TYPE_CHECKING:
    from crmine.engine.base import Engine

RECENT = 10
HIDDEN = {"_source", "_source_row"}


def customer_view(ws: Workspace, customer_id: str) -> dict[str, Any]:
    customer_id = customer_id.strip()
    with ws.connect(read_only=True) as con:
        tables = con.tables()
        cid, merged = _resolve(con, tables, customer_id)
        view: dict[str, Any] = {"customer_id": cid, "merged_ids": merged, "notes": []}
        if cid != customer_id:
            view["notes"].append(f"{customer_id} was merged into {cid} (same person)")
        view["profile"] = _row(con, "customers", cid) if "customers" in tables else None
        if "orders" in tables:
            view["orders"] = con.execute(
                """
                SELECT order_id, min(order_ts)::DATE AS date, count(*) AS lines,
                       round(sum(amount), 2) AS amount, bool_or(is_return) AS is_return
                FROM orders WHERE customer_id = ? GROUP BY order_id
                ORDER BY max(order_ts) DESC LIMIT ?
                """,
                [cid, RECENT],
            ).df()
            view["products"] = con.execute(
                """
                SELECT product_id, any_value(product_name) AS product_name,
                       count(DISTINCT order_id) AS orders, round(sum(amount), 2) AS revenue
                FROM orders WHERE customer_id = ? AND NOT is_return
                GROUP BY product_id ORDER BY revenue DESC NULLS LAST LIMIT 5
                """,
                [cid],
            ).df()
        for table, cols in (("feedback", "ts, kind, score, text"),
                            ("interactions", "ts, channel, topic, resolved")):
            if table in tables:
                present = [c.strip() for c in cols.split(",") if c.strip() in con.columns(table)]
                view[table] = con.execute(
                    f"SELECT {', '.join(present)} FROM {table} WHERE customer_id = ? "
                    f"ORDER BY ts DESC LIMIT 5",
                    [cid],
                ).df()
        snap = SnapshotStore(ws.snapshots_dir).current()
        if snap is not None:
            if "customer_scores" in snap.tables():
                view["scores"] = _snapshot_row(con, snap.table_path("customer_scores"), cid)
            if "recommendations" in snap.tables():
                view["recommendations"] = con.execute(
                    "SELECT rank, product_id, round(score, 3) AS score, source "
                    f"FROM {con.parquet(snap.table_path('recommendations'))} "
                    "WHERE customer_id = ? ORDER BY rank LIMIT 10",
                    [cid],
                ).df()
        else:
            view["notes"].append(f"no scores yet: run crmine run {ws.root}")
    found = view["profile"] or view.get("scores") or len(view.get("orders", ())) or any(
        len(view.get(t, ())) for t in ("feedback", "interactions")
    )
    if not found:
        raise CrmineError(f"no customer {customer_id!r} in {ws.root}")
    if view.get("scores"):
        view["scores"] = {k: v for k, v in view["scores"].items() if k != "customer_id"}
    return view


def _resolve(con: Engine, tables: set[str], cid: str) -> tuple[str, list[str]]:
    if "customer_merges" not in tables:
        return cid, []
    row = con.execute("SELECT new_id FROM customer_merges WHERE old_id = ?", [cid]).fetchone()
    survivor = row[0] if row else cid
    merged = [r[0] for r in con.execute(
        "SELECT old_id FROM customer_merges WHERE new_id = ? ORDER BY old_id", [survivor]
    ).fetchall()]
    return survivor, merged


def _row(con: Engine, table: str, cid: str) -> dict[str, Any] | None:
    cur = con.execute(f"SELECT * FROM {table} WHERE customer_id = ? LIMIT 1", [cid])
    names = cur.columns
    row = cur.fetchone()
    if row is None:
        return None
    return {k: v for k, v in zip(names, row, strict=True) if k not in HIDDEN}


def _snapshot_row(con: Engine, path, cid: str) -> dict[str, Any] | None:
    cur = con.execute(f"SELECT * FROM {con.parquet(path)} WHERE customer_id = ?", [cid])
    names = cur.columns
    row = cur.fetchone()
    return dict(zip(names, row, strict=True)) if row else None
