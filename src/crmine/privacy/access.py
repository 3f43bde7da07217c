"""API tokens and the audit log, in ``DIR/.crmine/access.db`` (SQLite).

They live beside the warehouse rather than in it on purpose: DuckDB lets one process write
a database file while no other process opens it, so a server writing the audit log into the
warehouse would block every ``crmine run``; SQLite in WAL mode lets the server, ``crmine
token`` and the runs work at the same time.

A token is ``crm_<id>_<secret>``; only a salted SHA-256 of the secret is stored, and it is
compared in constant time. Roles: ``viewer`` (scores and segments; names, e-mails and phones
masked), ``analyst`` (everything published, personal data included, every such response
audited), ``admin`` (what an analyst may, plus managing tokens).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from crmine.errors import CrmineError

Role = Literal["viewer", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "analyst", "admin")
RANK = {r: i for i, r in enumerate(ROLES)}

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_tokens (
    token_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,
    salt TEXT NOT NULL, token_hash TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    ts TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT
);
"""


@dataclass(frozen=True)
class Caller:
    name: str
    role: Role

    def may(self, role: Role) -> bool:
        return RANK[self.role] >= RANK[role]

    @property
    def sees_personal_data(self) -> bool:
        return self.may("analyst")


class AccessStore:
    def __init__(self, workspace_root: Path) -> None:
        self.path = workspace_root / ".crmine" / "access.db"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        con.execute("PRAGMA journal_mode=WAL")
        con.executescript(SCHEMA)
        return con

    def create_token(self, role: str, name: str | None = None) -> str:
        """A new token for ``role``; the token itself is returned once and never stored."""
        if role not in ROLES:
            raise CrmineError(f"unknown role {role!r}; expected one of: {', '.join(ROLES)}")
        token_id, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
        salt = secrets.token_hex(16)
        name = name or f"{role}-{token_id}"
        with closing(self._connect()) as con:
            try:
                con.execute("INSERT INTO api_tokens VALUES (?, ?, ?, ?, ?, ?)",
                            [token_id, name, role, salt, _digest(salt, secret),
                             datetime.now(UTC).isoformat(timespec="seconds")])  # fmt: skip
            except sqlite3.IntegrityError:
                raise CrmineError(f"a token called {name!r} exists already; pick another --name") from None
        return f"crm_{token_id}_{secret}"

    def verify(self, token: str) -> Caller | None:
        """The caller a token belongs to, or None (unknown, malformed or revoked)."""
        prefix, _, rest = token.partition("_")
        token_id, _, secret = rest.partition("_")
        if prefix != "crm" or not token_id or not secret:
            return None
        with closing(self._connect()) as con:
            row = con.execute("SELECT name, role, salt, token_hash FROM api_tokens "
                              "WHERE token_id = ?", [token_id]).fetchone()  # fmt: skip
        if row is None:
            _digest("0" * 32, secret)  # the same work either way: no timing hint
            return None
        name, role, salt, stored = row
        if not hmac.compare_digest(_digest(salt, secret), stored):
            return None
        return Caller(name, role)

    def tokens(self) -> list[dict[str, str]]:
        with closing(self._connect()) as con:
            rows = con.execute("SELECT name, role, created_at FROM api_tokens ORDER BY created_at"
                               ).fetchall()  # fmt: skip
        return [{"name": n, "role": r, "created_at": c} for n, r, c in rows]

    def revoke(self, name: str) -> bool:
        with closing(self._connect()) as con:
            return con.execute("DELETE FROM api_tokens WHERE name = ?", [name]).rowcount > 0

    def audit(self, actor: str, action: str, subject: str | None = None) -> None:
        with closing(self._connect()) as con:
            con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?)",
                        [datetime.now(UTC).isoformat(timespec="milliseconds"), actor, action,
                         subject])  # fmt: skip

    def audit_rows(self) -> list[tuple[str, str, str, str | None]]:
        with closing(self._connect()) as con:
            return con.execute("SELECT ts, actor, action, subject FROM audit_log ORDER BY ts"
                               ).fetchall()  # fmt: skip


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()
