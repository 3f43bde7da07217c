"""Sending one notification: a signed JSON webhook or an e-mail, with retries and back-off.

Each function makes up to ``1 + channel.retries`` attempts, waiting 0.5 s, 1 s, 2 s, … in
between, and returns an :class:`Attempt` (never raises for a delivery problem): the caller
records every outcome, and what still failed stays pending for the next run.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from dataclasses import dataclass
from typing import Any

from crmine.config import AlertChannel

SIGNATURE_HEADER = "X-Crmine-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
BACKOFF_S = 0.5


@dataclass(frozen=True)
class Attempt:
    ok: bool
    attempts: int
    error: str = ""


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header: ``sha256=`` + hex HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def secret_for(channel: AlertChannel) -> str | None:
    """The webhook's signing secret from its environment variable (None: unsigned)."""
    return os.environ.get(channel.secret_env) if channel.secret_env else None


def _retrying(channel: AlertChannel, once) -> Attempt:
    error = ""
    for i in range(1 + channel.retries):
        if i:
            time.sleep(BACKOFF_S * 2 ** (i - 1))
        try:
            once()
            return Attempt(True, i + 1)
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    return Attempt(False, 1 + channel.retries, error)


def post_webhook(channel: AlertChannel, payload: dict[str, Any], key: str) -> Attempt:
    """POST ``payload`` as JSON; 2xx is delivered, anything else is retried."""
    import urllib.request

    body = json.dumps(payload, ensure_ascii=False, default=str).encode("utf-8")
    headers = {"Content-Type": "application/json; charset=utf-8", IDEMPOTENCY_HEADER: key,
               "User-Agent": "crmine-alerts"}  # fmt: skip
    secret = secret_for(channel)
    if secret is not None:
        headers[SIGNATURE_HEADER] = signature(secret, body)

    def once() -> None:
        request = urllib.request.Request(channel.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(request, timeout=channel.timeout_s) as response:
            if not 200 <= response.status < 300:
                raise RuntimeError(f"HTTP {response.status}")

    return _retrying(channel, once)


def send_email(channel: AlertChannel, subject: str, text: str, key: str) -> Attempt:
    """Send a plain-text e-mail through ``channel.smtp`` (host:port)."""
    import smtplib
    from email.message import EmailMessage

    host, _, port = channel.smtp.rpartition(":")
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = channel.sender
    message["To"] = ", ".join(channel.to)
    message["Message-ID"] = f"<{key}@crmine>"  # the same alert keeps the same id on a retry
    message.set_content(text)

    def once() -> None:
        with smtplib.SMTP(host or "127.0.0.1", int(port or 25), timeout=channel.timeout_s) as smtp:
            smtp.send_message(message)

    return _retrying(channel, once)
