"""The REST API (DESIGN §4): health, runs, any published table, customers and the card.

Every route but ``/api/health`` needs ``Authorization: Bearer TOKEN`` (401 without a valid
one, 403 for a role that may not). Viewers never receive a name, e-mail or phone: those
columns are masked in every answer. Each answer that carries personal data to an analyst is
written to the audit log. Filters are bound parameters and sort keys are checked against the
table's columns (422 naming the parameter), so nothing a client sends is pasted into SQL.
"""

# No ``from __future__ import annotations``: FastAPI reads the route signatures at runtime,
# and the aliases below are local to create_app.
import json
from pathlib import Path
from typing import Annotated, Any

from crmine.privacy.access import AccessStore, Caller
from crmine.server.snapshot import SnapshotReader, View

PERSONAL = ("name", "email", "phone")
MASK = "***"
MAX_LIMIT = 1000


def create_app(root: Path) -> Any:
    """The FastAPI application serving the workspace at ``root``."""
    from fastapi import Depends, FastAPI, HTTPException, Query
    from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

    from crmine import __version__

    reader = SnapshotReader(root / "snapshots")
    access = AccessStore(root)
    app = FastAPI(title="crmine", version=__version__,
                  description="Predictions from your CRM data: scores, segments, next products.")
    bearer = HTTPBearer(auto_error=False)

    def caller(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
               ) -> Caller:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise HTTPException(401, "a bearer token is needed (crmine token DIR --role viewer)",
                                headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
        who = access.verify(credentials.credentials)
        if who is None:
            raise HTTPException(401, "unknown or revoked token",
                                headers={"WWW-Authenticate": "Bearer"})
        return who

    def admin(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if not who.may("admin"):
            raise HTTPException(403, f"role {who.role} may not do this (admins only)")
        return who

    def view() -> View:
        current = reader.current()
        if current is None:
            raise HTTPException(503, "no published results yet: run crmine run first")
        return current

    Who = Annotated[Caller, Depends(caller)]
    Snap = Annotated[View, Depends(view)]
    Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
    Offset = Annotated[int, Query(ge=0)]

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        snap = reader.store.current()
        return {"status": "ok", "run_id": snap.run_id if snap else None}

    @app.get("/api/runs")
    def runs(who: Who) -> list[dict[str, Any]]:
        out = []
        for snap in reversed(reader.store.all()):
            meta = snap.meta
            out.append({"run_id": snap.run_id, "as_of": meta.get("as_of"),
                        "horizon_days": meta.get("horizon_days"),
                        "created_at": meta.get("created_at"), "tables": snap.tables(),
                        "steps": meta.get("steps", []), "models": _models(snap)})  # fmt: skip
        return out

    @app.get("/api/tables/{name}")
    def table(name: str, who: Who, snap: Snap, limit: Limit = 100, offset: Offset = 0
              ) -> dict[str, Any]:
        if name not in snap.tables:
            raise HTTPException(404, f"no published table {name!r}; this run has: "
                                     f"{', '.join(sorted(snap.tables))}")  # fmt: skip
        q = snap.engine.quote(name)
        total = snap.engine.scalar(f"SELECT count(*) FROM {q}")
        frame = snap.engine.execute(f"SELECT * FROM {q} LIMIT ? OFFSET ?", [limit, offset]).df()
        rows = _records(frame, who)
        _audit_if_personal(access, who, frame, f"table {name}", f"offset {offset}")
        return {"run_id": snap.run_id, "table": name, "total": total, "limit": limit,
                "offset": offset, "rows": rows}

    @app.get("/api/customers")
    def customers(
        who: Who, snap: Snap,
        segment: str | None = None, tier: str | None = None, cluster: str | None = None,
        q: Annotated[str | None, Query(max_length=200)] = None,
        order_by: str = "-clv", limit: Limit = 50, offset: Offset = 0,
    ) -> dict[str, Any]:
        if "customer_scores" not in snap.tables:
            raise HTTPException(404, "this run published no customer_scores")
        columns = snap.engine.columns("customer_scores")
        key = order_by.removeprefix("-")
        if key not in columns:
            raise HTTPException(422, f"order_by={order_by!r}: not a column of customer_scores "
                                     f"(use one of {', '.join(columns)}, '-' for descending)")
        has_profiles = "customer_profiles" in snap.tables
        where, params = ["TRUE"], []
        for column, value in (("rfm_segment", segment), ("value_tier", tier),
                              ("cluster_label", cluster)):  # fmt: skip
            if value is not None:
                if column not in columns:
                    raise HTTPException(422, f"{column} is not published in this run")
                where.append(f"s.{column} = ?")
                params.append(value)
        searchable = ["s.customer_id"]
        if has_profiles and who.sees_personal_data:
            present = snap.engine.columns("customer_profiles")
            searchable += [f"p.{c}" for c in PERSONAL if c in present]
        if q:
            where.append("(" + " OR ".join(f"CAST({c} AS VARCHAR) ILIKE ?" for c in searchable)
                         + ")")  # fmt: skip
            params += [f"%{q}%"] * len(searchable)
        join = "LEFT JOIN customer_profiles p USING (customer_id)" if has_profiles else ""
        person = ""
        if has_profiles:
            present = snap.engine.columns("customer_profiles")
            person = "".join(f", p.{c}" for c in PERSONAL if c in present)
        order = f"s.{snap.engine.quote(key)} {'DESC' if order_by.startswith('-') else 'ASC'}"
        base = f"FROM customer_scores s {join} WHERE {' AND '.join(where)}"
        total = snap.engine.scalar(f"SELECT count(*) {base}", params)
        frame = snap.engine.execute(
            f"SELECT s.*{person} {base} ORDER BY {order} NULLS LAST, s.customer_id "
            "LIMIT ? OFFSET ?", [*params, limit, offset]).df()
        _audit_if_personal(access, who, frame, "customers list", q or "")
        return {"run_id": snap.run_id, "total": total, "limit": limit, "offset": offset,
                "rows": _records(frame, who)}

    @app.get("/api/customers/{customer_id}")
    def card(customer_id: str, who: Who, snap: Snap) -> dict[str, Any]:
        out: dict[str, Any] = {"run_id": snap.run_id, "customer_id": customer_id}
        found = False
        for key, table, order, limit in (
            ("profile", "customer_profiles", None, 1),
            ("scores", "customer_scores", None, 1),
            ("recommendations", "recommendations", "rank", 10),
            ("next_categories", "next_categories", "rank", 10),
            ("feedback", "feedback_scores", "ts DESC NULLS LAST", 10),
            ("campaigns", "campaign_scores", "rank", 20),
            ("segment_moves", "segment_migrations", "kind", 10),
        ):
            if table not in snap.tables:
                continue
            sql = f"SELECT * FROM {table} WHERE CAST(customer_id AS VARCHAR) = ?"
            frame = snap.engine.execute(sql + (f" ORDER BY {order}" if order else "")
                                        + f" LIMIT {limit}", [customer_id]).df()  # fmt: skip
            rows = _records(frame, who)
            if limit == 1:
                out[key] = rows[0] if rows else None
                found |= bool(rows)
            else:
                out[key] = rows
        if not found:
            raise HTTPException(404, f"no customer {customer_id!r} in run {snap.run_id}")
        if out.get("profile") and who.sees_personal_data:
            access.audit(who.name, "customer card", customer_id)
        return out

    @app.delete("/api/customers/{customer_id}")
    def erase(customer_id: str, who: Annotated[Caller, Depends(admin)]) -> dict[str, Any]:
        """Erase one customer everywhere (as ``crmine forget``); admins only."""
        from crmine.engine import Workspace
        from crmine.errors import CrmineError
        from crmine.privacy.forget import forget

        try:
            done = forget(Workspace.open(root), customer_id, actor=who.name)
        except CrmineError as exc:
            raise HTTPException(404, str(exc)) from None
        return {"erased": done.ids, "warehouse": done.warehouse, "snapshots": done.snapshots,
                "reports": done.reports}

    @app.get("/api/tokens")
    def tokens(who: Annotated[Caller, Depends(admin)]) -> list[dict[str, str]]:
        return access.tokens()

    @app.delete("/api/tokens/{name}")
    def revoke(name: str, who: Annotated[Caller, Depends(admin)]) -> dict[str, Any]:
        if not access.revoke(name):
            raise HTTPException(404, f"no token called {name!r}")
        access.audit(who.name, "revoke token", name)
        return {"revoked": name}

    return app


def _models(snap) -> list[dict[str, Any]]:
    if "models" not in snap.tables():
        return []
    frame = snap.read("models")
    return [{"name": r["name"], "training_window": r["training_window"],
             "metrics": json.loads(r["metrics"])} for r in frame.to_dict("records")]  # fmt: skip


def _records(frame, who: Caller) -> list[dict[str, Any]]:
    """JSON-ready rows (NaN → null, dates ISO); personal columns masked for viewers."""
    if not who.sees_personal_data:
        frame = frame.copy()
        for column in PERSONAL:
            if column in frame:
                frame[column] = frame[column].where(frame[column].isna(), MASK)
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))


def _audit_if_personal(access: AccessStore, who: Caller, frame, action: str, subject: str) -> None:
    if who.sees_personal_data and any(c in frame and frame[c].notna().any() for c in PERSONAL):
        access.audit(who.name, action, subject)
