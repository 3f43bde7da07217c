"""``crmine alerts``: evaluate the alert rules on the current snapshot and deliver what fired.

Semantics (the state lives in the warehouse, so a restart or a second call never sends twice):

* A rule fires once per (rule, row key) when its condition becomes true, and again only after
  it was false in between. ``alerts_state`` holds the keys each rule matched last time; a key
  matching now but not then has just become true.
* Every firing is written to ``alerts_sent`` as one row per channel, ``pending``, with the row
  as it was (JSON), *before* anything is sent. Delivery then sends one message per (rule, run,
  channel) holding its pending rows and marks them ``sent``; a delivery that still fails after
  its retries stays ``pending`` and goes out with the next run, with the same idempotency key.
* ``dry_run`` reports what would fire and what is pending, and changes nothing.
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from crmine.act.deliver import Attempt, post_webhook, secret_for, send_email
from crmine.act.rules import compile_condition
from crmine.config import AlertChannel, AlertRule, AlertSettings
from crmine.errors import ConfigError, WorkspaceError

if TYPE_CHECKING:
    import pandas as pd

    from crmine.engine import Engine, Workspace
    from crmine.pipeline.snapshots import Snapshot

STATE_DDL = """
CREATE TABLE IF NOT EXISTS alerts_state (rule VARCHAR, customer_id VARCHAR, run_id VARCHAR);
CREATE TABLE IF NOT EXISTS alerts_sent (
    rule VARCHAR, customer_id VARCHAR, run_id VARCHAR, channel VARCHAR, sent_at TIMESTAMP,
    status VARCHAR, attempts INTEGER, as_of DATE, fired_at TIMESTAMP, row_json VARCHAR,
    error VARCHAR
);
"""
#: the columns that name a row of a published table when a rule gives no ``key``
DEFAULT_KEYS = {
    "demand_forecast": ("level", "key", "period_start"),
    "campaign_scores": ("campaign_id", "customer_id"),
    "monitoring": ("model", "metric", "subject"),
    "segment_migrations": ("customer_id", "kind"),
    "recommendations": ("customer_id", "rank"),
    "next_categories": ("customer_id", "rank"),
}


@dataclass(frozen=True)
class RuleOutcome:
    rule: str
    table: str
    matched: int
    fired: int  # keys that have just become true
    #: why the rule was not evaluated (its table is not in this snapshot); its state is kept
    skipped: str = ""


@dataclass(frozen=True)
class Delivery:
    rule: str
    run_id: str
    channel: str
    rows: int
    ok: bool
    attempts: int
    error: str = ""


@dataclass
class AlertReport:
    run_id: str
    dry_run: bool
    rules: list[RuleOutcome] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)
    pending: int = 0  # rows still pending after this call (or, dry: before it)


def deliver_alerts(ws: Workspace, *, dry_run: bool = False) -> AlertReport:
    """Evaluate every rule on the current snapshot, record what fired, deliver the pending."""
    if dry_run:
        return _deliver(ws, dry_run)
    with ws.lock("crmine alerts"):
        return _deliver(ws, dry_run)


def _deliver(ws: Workspace, dry_run: bool) -> AlertReport:
    from crmine.pipeline.snapshots import SnapshotStore

    settings = ws.config.alerts
    snap = SnapshotStore(ws.snapshots_dir).current()
    if snap is None:
        raise WorkspaceError(f"{ws.root} has no published results yet; run: crmine run {ws.root}")
    _check_secrets(settings)
    report = AlertReport(snap.run_id, dry_run)
    with ws.connect(read_only=dry_run and ws.warehouse_path.exists()) as con:
        if not dry_run:
            for statement in STATE_DDL.split(";"):
                if statement.strip():
                    con.execute(statement)
        have_state = "alerts_state" in con.tables()
        matches = {rule.name: _matches(con, snap, rule) for rule in settings.rules}
        with con.transaction() if not dry_run else nullcontext():
            for rule in settings.rules:
                found = matches[rule.name]
                if found is None:
                    report.rules.append(RuleOutcome(rule.name, rule.table, 0, 0,
                                                    f"no {rule.table} in this snapshot"))
                    continue
                report.rules.append(_fire(con, snap, rule, found, dry_run, have_state))
        if dry_run:
            report.pending = _pending_count(con) if have_state else 0
            report.pending += sum(o.fired * len(r.notify)
                                  for o, r in zip(report.rules, settings.rules, strict=True))
            return report
        report.deliveries = _deliver_pending(con, settings)
        report.pending = _pending_count(con)
    return report


def _check_secrets(settings: AlertSettings) -> None:
    for name, channel in settings.channels.items():
        if channel.kind == "webhook" and channel.secret_env and secret_for(channel) is None:
            raise ConfigError(
                f"[alerts.channels.{name}] signs with the secret in ${channel.secret_env}, "
                "which is not set in the environment"
            )


def _key_columns(rule: AlertRule, columns: list[str]) -> tuple[str, ...]:
    key = rule.key or DEFAULT_KEYS.get(rule.table) or (
        ("customer_id",) if "customer_id" in columns else ()
    )
    if not key:
        raise ConfigError(
            f"alert rule {rule.name!r}: {rule.table} has no customer_id; say which columns "
            "name a row with key = [\"…\"]"
        )
    missing = [c for c in key if c not in columns]
    if missing:
        raise ConfigError(f"alert rule {rule.name!r}: no column {missing[0]!r} in {rule.table}")
    return tuple(key)


def _matches(con: Engine, snap: Snapshot, rule: AlertRule) -> pd.DataFrame | None:
    """The rows of the rule's table where its condition holds: ``_key`` and the row as JSON.

    None when the snapshot lacks the table (a step skipped it, or it compares runs and this is
    the first); a name that is no published table at all is a settings error.
    """
    from crmine.schema.published import published_table

    try:
        published_table(rule.table)
    except KeyError as exc:
        raise ConfigError(f"alert rule {rule.name!r}: {exc.args[0]}") from None
    if rule.table not in snap.tables():
        return None
    source = con.parquet(snap.table_path(rule.table))
    columns = con.execute(f"SELECT * FROM {source} LIMIT 0").columns or []
    condition = compile_condition(rule.name, rule.when, columns, con.name)
    key = _key_columns(rule, columns)
    key_sql = " || '/' || ".join(f"CAST({con.quote(c)} AS VARCHAR)" for c in key)
    frame = con.execute(
        f"SELECT {key_sql} AS _key, * FROM {source} WHERE coalesce(({condition.sql}), false)"
    ).df()
    frame = frame.drop_duplicates("_key")
    body = frame.drop(columns="_key")
    frame = frame[["_key"]].assign(
        row_json=body.to_json(orient="records", lines=True, date_format="iso",
                              force_ascii=False).splitlines() if len(body) else []
    )  # fmt: skip
    return frame



def _fire(con: Engine, snap: Snapshot, rule: AlertRule, matches: pd.DataFrame, dry_run: bool,
          have_state: bool) -> RuleOutcome:
    """Record the keys that have just become true (pending, one row per channel)."""
    import pandas as pd

    with con.temp_table("_alert_matches", matches):
        was = ("SELECT customer_id FROM alerts_state WHERE rule = $rule" if have_state
               else "SELECT NULL::VARCHAR AS customer_id WHERE $rule IS NULL")  # fmt: skip
        new = f"SELECT * FROM _alert_matches WHERE _key NOT IN ({was})"
        fired = con.scalar(f"SELECT count(*) FROM ({new})", {"rule": rule.name})
        if not dry_run:
            channels = pd.DataFrame({"channel": list(rule.notify)})
            with con.temp_table("_alert_channels", channels):
                con.execute(
                    f"INSERT INTO alerts_sent SELECT $rule, n._key, $run, c.channel, NULL, "
                    f"'pending', 0, $as_of, now(), n.row_json, NULL "
                    f"FROM ({new}) n CROSS JOIN _alert_channels c",
                    {"rule": rule.name, "run": snap.run_id, "as_of": _as_of(snap)},
                )
            con.execute("DELETE FROM alerts_state WHERE rule = ?", [rule.name])
            con.execute(
                "INSERT INTO alerts_state SELECT ?, _key, ? FROM _alert_matches",
                [rule.name, snap.run_id],
            )
    return RuleOutcome(rule.name, rule.table, len(matches), int(fired))


def _as_of(snap: Snapshot) -> date | None:
    value = snap.meta.get("as_of")
    return date.fromisoformat(value) if value else None


def _pending_count(con: Engine) -> int:
    return int(con.scalar("SELECT count(*) FROM alerts_sent WHERE status = 'pending'"))


def idempotency_key(rule: str, run_id: str, channel: str) -> str:
    """The same (rule, run, channel) message carries the same key on every retry."""
    return hashlib.sha256(f"{rule}\x1f{run_id}\x1f{channel}".encode()).hexdigest()[:32]


def _deliver_pending(con: Engine, settings: AlertSettings) -> list[Delivery]:
    import json

    groups = con.execute(
        "SELECT rule, run_id, channel, any_value(as_of), count(*), "
        f"list(row_json ORDER BY customer_id)[1:{settings.max_rows}] "
        "FROM alerts_sent WHERE status = 'pending' GROUP BY ALL ORDER BY run_id, rule, channel"
    ).fetchall()
    out: list[Delivery] = []
    for rule, run_id, channel_name, as_of, count, rows in groups:
        channel = settings.channels.get(channel_name)
        if channel is None:  # the channel was removed from crmine.toml: keep the rows pending
            out.append(Delivery(rule, run_id, channel_name, count, False, 0,
                                "channel no longer configured"))  # fmt: skip
            continue
        listed = [json.loads(r) for r in rows]
        attempt = _send(channel, rule, run_id, channel_name, as_of, int(count), listed)
        con.execute(
            "UPDATE alerts_sent SET attempts = attempts + ?, status = ?, error = ?, "
            "sent_at = CASE WHEN ? THEN now() END "
            "WHERE rule = ? AND run_id = ? AND channel = ? AND status = 'pending'",
            [attempt.attempts, "sent" if attempt.ok else "pending", attempt.error or None,
             attempt.ok, rule, run_id, channel_name],
        )  # fmt: skip
        out.append(Delivery(rule, run_id, channel_name, int(count), attempt.ok, attempt.attempts,
                            attempt.error))  # fmt: skip
    return out


def _send(channel: AlertChannel, rule: str, run_id: str, channel_name: str, as_of: Any,
          count: int, rows: list[dict]) -> Attempt:
    key = idempotency_key(rule, run_id, channel_name)
    if channel.kind == "webhook":
        payload = {"rule": rule, "run_id": run_id, "as_of": as_of, "count": count, "rows": rows}
        return post_webhook(channel, payload, key)
    return send_email(channel, f"[crmine] {rule}: {count:,} new", _email_text(rule, run_id,
                      as_of, count, rows), key)  # fmt: skip


def _email_text(rule: str, run_id: str, as_of: Any, count: int, rows: list[dict]) -> str:
    lines = [f"Alert rule {rule!r} fired for {count:,} rows (run {run_id}, as of {as_of}).", ""]
    lines += [", ".join(f"{k}: {v}" for k, v in row.items() if v is not None) for row in rows]
    if count > len(rows):
        lines.append(f"… and {count - len(rows):,} more (see alerts_sent in the warehouse).")
    return "\n".join(lines) + "\n"


