"""Alert rules end to end: real HTTP receiver and real SMTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from crmine.act import deliver
from crmine.act.alerts import deliver_alerts
from crmine.engine import Workspace
from crmine.errors import ConfigError
from crmine.pipeline.snapshots import SnapshotStore

SECRET = "s3cret-for-tests"


class Receiver:
    """A webhook endpoint that records requests and fails the first ``fail`` of them."""

    def __init__(self, fail: int = 0):
        self.requests: list[tuple[dict, bytes]] = []
        self.fail = fail
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                failing = outer.fail > 0
                outer.fail -= 1
                self.send_response(500 if failing else 200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _workspace(tmp_path: Path, url: str, extra: str = "") -> Workspace:
    ws = Workspace.init(tmp_path / "w")
    with ws.config_path.open("a", encoding="utf-8") as f:
        f.write(f"""
[[alerts.rules]]
name = "vip_at_risk"
when = "value_tier = 'top' AND churn_risk >= 0.7"
notify = ["hook"]

[alerts.channels.hook]
kind = "webhook"
url = "{url}"
secret_env = "CRMINE_TEST_SECRET"
retries = 1
timeout_s = 2.0
{extra}""")
    return Workspace.open(ws.root)


def _publish(ws: Workspace, risk: dict[str, float], tier: dict[str, str] | None = None) -> str:
    ids = sorted(risk)
    frame = pd.DataFrame({
        "customer_id": ids,
        "value_tier": [(tier or {}).get(i, "top") for i in ids],
        "churn_risk": [risk[i] for i in ids],
    })
    with SnapshotStore(ws.snapshots_dir).writer() as w:
        w.add("customer_scores", frame)
        w.meta.update(as_of="2024-05-01", horizon_days=90)
    return SnapshotStore(ws.snapshots_dir).current().run_id


@pytest.fixture(autouse=True)
def _fast(monkeypatch):
    monkeypatch.setenv("CRMINE_TEST_SECRET", SECRET)
    monkeypatch.setattr(deliver, "BACKOFF_S", 0.01)


def _sent_keys(receiver: Receiver) -> list[list[str]]:
    return [[r["customer_id"] for r in json.loads(body)["rows"]] for _, body in receiver.requests]


def test_fires_once_when_true_and_again_only_after_false(tmp_path):
    with Receiver() as rx:
        ws = _workspace(tmp_path, rx.url)
        _publish(ws, {"a": 0.9, "b": 0.8, "c": 0.1})
        first = deliver_alerts(ws)
        assert [(r.matched, r.fired) for r in first.rules] == [(2, 2)]
        assert deliver_alerts(ws).rules[0].fired == 0  # a second call sends nothing
        _publish(ws, {"a": 0.95, "b": 0.1, "c": 0.75})  # a stays true, b clears, c becomes true
        assert deliver_alerts(ws).rules[0].fired == 1
        _publish(ws, {"a": 0.9, "b": 0.9, "c": 0.9})  # b is true again after being false
        assert deliver_alerts(ws).rules[0].fired == 1
    assert _sent_keys(rx) == [["a", "b"], ["c"], ["b"]]
    with ws.connect(read_only=True) as con:
        rows = con.execute("SELECT status, count(*) FROM alerts_sent GROUP BY 1").fetchall()
    assert rows == [("sent", 4)]


def test_the_body_is_signed_and_carries_an_idempotency_key(tmp_path):
    with Receiver() as rx:
        ws = _workspace(tmp_path, rx.url)
        run_id = _publish(ws, {"a": 0.9})
        deliver_alerts(ws)
    headers, body = rx.requests[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Crmine-Signature"] == expected
    payload = json.loads(body)
    assert payload["rule"] == "vip_at_risk" and payload["run_id"] == run_id
    assert payload["as_of"].startswith("2024-05-01") and payload["count"] == 1
    assert payload["rows"][0] == {"customer_id": "a", "value_tier": "top", "churn_risk": 0.9}
    assert len(headers["Idempotency-Key"]) == 32


def test_a_failed_delivery_stays_pending_and_goes_out_next_time_once(tmp_path):
    with Receiver(fail=10) as rx:
        ws = _workspace(tmp_path, rx.url)
        _publish(ws, {"a": 0.9})
        report = deliver_alerts(ws)
        assert not report.deliveries[0].ok and report.deliveries[0].attempts == 2
        assert report.pending == 1
        rx.fail = 0
        again = deliver_alerts(ws)  # nothing new fires, the pending row is delivered
        assert again.rules[0].fired == 0 and again.deliveries[0].ok and again.pending == 0
        assert deliver_alerts(ws).deliveries == []
    keys = {h["Idempotency-Key"] for h, _ in rx.requests}
    assert len(rx.requests) == 3 and len(keys) == 1  # two failed attempts, one success
    with ws.connect(read_only=True) as con:
        assert con.execute("SELECT status, attempts FROM alerts_sent").fetchall() == [("sent", 3)]


def test_dry_run_changes_nothing_and_sends_nothing(tmp_path):
    with Receiver() as rx:
        ws = _workspace(tmp_path, rx.url)
        _publish(ws, {"a": 0.9, "b": 0.9})
        dry = deliver_alerts(ws, dry_run=True)
        assert dry.rules[0].fired == 2 and dry.pending == 2 and not rx.requests
        assert deliver_alerts(ws).rules[0].fired == 2  # the real call still fires both
    assert len(rx.requests) == 1


def test_email_reaches_a_real_smtp_server(tmp_path):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    import socket

    with socket.socket() as probe:  # a free loopback port for the server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        ws = _workspace(tmp_path, "http://127.0.0.1:9/unused", f"""
[alerts.channels.mail]
kind = "email"
smtp = "127.0.0.1:{port}"
from = "crmine@example.com"
to = ["sales@example.com"]
""")
        text = ws.config_path.read_text("utf-8").replace('notify = ["hook"]', 'notify = ["mail"]')
        ws.config_path.write_text(text, "utf-8")
        ws = Workspace.open(ws.root)
        _publish(ws, {"a": 0.9, "b": 0.2})
        report = deliver_alerts(ws)
    finally:
        controller.stop()
    assert report.deliveries[0].ok
    assert len(received) == 1
    mail = received[0]
    assert mail["To"] == "sales@example.com" and "vip_at_risk" in mail["Subject"]
    assert "customer_id: a" in mail.get_payload() and "customer_id: b" not in mail.get_payload()


def test_settings_problems_are_one_line_errors(tmp_path, monkeypatch):
    with Receiver() as rx:
        ws = _workspace(tmp_path, rx.url)
        _publish(ws, {"a": 0.9})
        monkeypatch.delenv("CRMINE_TEST_SECRET")
        with pytest.raises(ConfigError, match=r"CRMINE_TEST_SECRET.*not set"):
            deliver_alerts(ws)
    text = ws.config_path.read_text("utf-8").replace("churn_risk >= 0.7", "churn >= 0.7")
    ws.config_path.write_text(text, "utf-8")
    monkeypatch.setenv("CRMINE_TEST_SECRET", SECRET)
    with pytest.raises(ConfigError, match="no column 'churn'"):
        deliver_alerts(Workspace.open(ws.root))
    text = text.replace('notify = ["hook"]', 'notify = ["nowhere"]')
    ws.config_path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match="'nowhere', which is not a channel"):
        Workspace.open(ws.root)
    assert not rx.requests


def test_the_command_dry_runs_and_a_bad_rule_exits_2(tmp_path):
    from tests.test_cli import crmine

    with Receiver() as rx:
        ws = _workspace(tmp_path, rx.url)
        _publish(ws, {"a": 0.9, "b": 0.1})
        dry = crmine("alerts", str(ws.root), "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "vip_at_risk: 1 row of customer_scores matches, 1 would fire" in dry.stdout
        assert not rx.requests
        sent = crmine("alerts", str(ws.root))
        assert sent.returncode == 0 and "→ hook: 1 row of vip_at_risk" in sent.stdout
        assert len(rx.requests) == 1
    text = ws.config_path.read_text("utf-8").replace(
        "churn_risk >= 0.7", "churn_risk >= (SELECT max(clv) FROM customer_scores)")
    ws.config_path.write_text(text, "utf-8")
    bad = crmine("alerts", str(ws.root))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "vip_at_risk" in bad.stderr and "not allowed" in bad.stderr
