"""The REST API in-process: tokens and roles, masking, filters, the card, snapshot switching."""

from __future__ import annotations

import threading
import time

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from crmine.engine import Workspace
from crmine.pipeline.snapshots import SnapshotStore
from crmine.privacy.access import AccessStore
from crmine.server.app import create_app

N = 60


def _publish(ws: Workspace, churn_shift: float = 0.0) -> str:
    rng = np.random.default_rng(1)
    ids = [f"C{i:03d}" for i in range(N)]
    scores = pd.DataFrame({
        "customer_id": ids,
        "rfm_segment": rng.choice(["Champions", "At risk", "Lost"], N),
        "value_tier": ["top" if i < 10 else "low" for i in range(N)],
        "churn_risk": np.clip(rng.random(N) + churn_shift, 0, 1),
        "clv": rng.gamma(2, 50, N),
        "top_reasons": [["bought recently"]] * N,
    })
    profiles = pd.DataFrame({"customer_id": ids, "name": [f"Name {i}" for i in range(N)],
                             "email": [f"person{i}@example.com" for i in range(N)],
                             "phone": [f"+4479460{i:05d}" for i in range(N)],
                             "city": "London"})  # fmt: skip
    recs = pd.DataFrame({"customer_id": ids * 2, "rank": [1] * N + [2] * N,
                         "product_id": ["P1"] * N + ["P2"] * N, "score": 0.5,
                         "source": "als"})  # fmt: skip
    with SnapshotStore(ws.snapshots_dir).writer() as w:
        w.add("customer_scores", scores)
        w.add("customer_profiles", profiles)
        w.add("recommendations", recs)
        w.meta.update(as_of="2024-05-01", horizon_days=90)
    return SnapshotStore(ws.snapshots_dir).current().run_id


@pytest.fixture
def served(tmp_path):
    ws = Workspace.init(tmp_path / "w")
    run_id = _publish(ws)
    access = AccessStore(ws.root)
    tokens = {role: access.create_token(role) for role in ("viewer", "analyst", "admin")}
    client = TestClient(create_app(ws.root))
    return ws, client, tokens, run_id, access


def _get(client, path, token=None, **params):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(path, headers=headers, params=params)


ROUTES = ["/api/runs", "/api/tables/customer_profiles", "/api/tables/customer_scores",
          "/api/customers", "/api/customers/C001"]  # fmt: skip


def test_only_health_is_open(served):
    _, client, tokens, run_id, _ = served
    assert _get(client, "/api/health").json() == {"status": "ok", "run_id": run_id}
    for path in ROUTES:
        assert _get(client, path).status_code == 401
        assert _get(client, path, "crm_bad_token").status_code == 401
        assert _get(client, path, tokens["viewer"]).status_code == 200, path
    assert _get(client, "/api/tokens", tokens["analyst"]).status_code == 403
    assert len(_get(client, "/api/tokens", tokens["admin"]).json()) == 3


def test_a_viewer_never_sees_a_name_email_or_phone(served):
    _, client, tokens, _, access = served
    texts = [_get(client, p, tokens["viewer"]).text for p in ROUTES]
    texts.append(_get(client, "/api/customers", tokens["viewer"], q="person1@example").text)
    for text in texts:
        assert "@example.com" not in text and "+4479460" not in text and "Name 1" not in text
    card = _get(client, "/api/customers/C001", tokens["viewer"]).json()
    assert card["profile"]["email"] == "***" and card["profile"]["city"] == "London"
    assert not access.audit_rows()  # nothing personal went out


def test_an_analyst_sees_them_and_each_answer_is_audited(served):
    _, client, tokens, _, access = served
    card = _get(client, "/api/customers/C001", tokens["analyst"]).json()
    assert card["profile"]["email"] == "person1@example.com"
    assert [r["product_id"] for r in card["recommendations"]] == ["P1", "P2"]
    found = _get(client, "/api/customers", tokens["analyst"], q="person7@").json()
    assert [r["customer_id"] for r in found["rows"]] == ["C007"]
    audit = access.audit_rows()
    assert [(a[2], a[3]) for a in audit] == [("customer card", "C001"),
                                             ("customers list", "person7@")]


def test_filters_sort_and_pages_are_checked(served):
    _, client, tokens, _, _ = served
    v = tokens["viewer"]
    page = _get(client, "/api/customers", v, tier="top", order_by="-churn_risk", limit=4).json()
    assert page["total"] == 10 and len(page["rows"]) == 4
    risks = [r["churn_risk"] for r in page["rows"]]
    assert risks == sorted(risks, reverse=True) and {r["value_tier"] for r in page["rows"]} == {"top"}
    rest = _get(client, "/api/customers", v, tier="top", order_by="-churn_risk", offset=4,
                limit=50).json()  # fmt: skip
    assert len(rest["rows"]) == 6
    bad = _get(client, "/api/customers", v, order_by="clv; DROP TABLE x")
    assert bad.status_code == 422 and "order_by" in bad.json()["detail"]
    assert _get(client, "/api/customers", v, limit=5000).status_code == 422
    assert _get(client, "/api/customers/NOPE", v).status_code == 404
    assert _get(client, "/api/tables/orders", v).status_code == 404


def test_a_new_run_is_picked_up_between_requests_without_errors(served):
    ws, client, tokens, first, _ = served
    errors, seen = [], set()

    def hammer():
        for _ in range(40):
            r = _get(client, "/api/customers/C002", tokens["viewer"])
            if r.status_code != 200:
                errors.append(r.status_code)
            else:
                seen.add(r.json()["run_id"])

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    second = _publish(ws, churn_shift=0.5)
    for t in threads:
        t.join()
    assert errors == []
    assert _get(client, "/api/health").json()["run_id"] == second
    deadline = time.monotonic() + 10  # the new run loads in the background, then serves
    while _get(client, "/api/customers/C002", tokens["viewer"]).json()["run_id"] != second:
        assert time.monotonic() < deadline, "the new run was never served"
        time.sleep(0.05)
    assert seen <= {first, second}
    runs = _get(client, "/api/runs", tokens["viewer"]).json()
    assert [r["run_id"] for r in runs] == [second, first]


def test_revoked_tokens_stop_working(served):
    _, client, tokens, _, access = served
    name = access.tokens()[0]["name"]
    headers = {"Authorization": f"Bearer {tokens['admin']}"}
    assert client.delete(f"/api/tokens/{name}", headers=headers).status_code == 200
    assert _get(client, "/api/runs", tokens["viewer"]).status_code == 401


def test_the_token_command_prints_the_token_alone_on_the_last_line(tmp_path):
    from tests.test_cli import crmine

    ws = Workspace.init(tmp_path / "w")
    out = crmine("token", str(ws.root), "--role", "analyst", "--name", "ana")
    assert out.returncode == 0
    token = out.stdout.strip().splitlines()[-1]
    assert AccessStore(ws.root).verify(token).role == "analyst"
    again = crmine("token", str(ws.root), "--role", "analyst", "--name", "ana")
    assert again.returncode == 2 and "exists already" in again.stderr
    assert crmine("token", str(ws.root), "--role", "root").returncode == 2


def test_only_an_admin_may_erase_a_customer(served):
    ws, client, tokens, _, _ = served
    with ws.connect() as con:  # forget needs the customer on file somewhere
        con.execute("CREATE TABLE customers AS SELECT 'C005' AS customer_id, 'x' AS name")
    for role in ("viewer", "analyst"):
        r = client.delete("/api/customers/C005", headers={"Authorization": f"Bearer {tokens[role]}"})
        assert r.status_code == 403
    r = client.delete("/api/customers/C005", headers={"Authorization": f"Bearer {tokens['admin']}"})
    assert r.status_code == 200 and r.json()["erased"] == ["C005"]
    assert _get(client, "/api/customers/C005", tokens["viewer"]).status_code == 404
    assert client.delete("/api/customers/C005",
                         headers={"Authorization": f"Bearer {tokens['admin']}"}).status_code == 404
