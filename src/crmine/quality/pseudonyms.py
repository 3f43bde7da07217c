"""Pseudonyms: personal values stored as HMAC-SHA256 under the workspace's secret key.

Keyed because a plain hash of an e-mail address is undone by hashing a list of addresses;
with the key (``DIR/.crmine/key``, mode 0600, never in snapshots, exports or reports) the
stored hashes say nothing, yet equal values still give equal hashes, so customers still
merge by e-mail or phone and tombstones still recognise an erased customer's rows. The
value is hashed after normalisation (by the caller), so ``Ann@Example.com`` and
``ann@example.com`` give one pseudonym. The column's name is part of the message: one
person's e-mail and phone hashes cannot be matched with each other across columns.

The hash is computed in SQL (DuckDB's ``sha256`` over the HMAC pads), one vectorised pass
over a column; :func:`pseudonym` computes the same value in Python, for single look-ups.
"""

from __future__ import annotations

import hashlib
import hmac

from crmine.engine.quoting import quote_literal

_BLOCK = 64  # SHA-256's block size in bytes: HMAC pads the key to it
SEPARATOR = "\x1f"  # between the column's name and the value


def _key_bytes(key: str) -> bytes:
    """The workspace key (hex text, as ``Workspace.secret_key`` returns it) as bytes."""
    try:
        return bytes.fromhex(key)
    except ValueError:
        return key.encode("utf-8")


def pseudonym(key: str, column: str, value: str) -> str:
    """HMAC-SHA256 of ``column`` + separator + ``value`` (already normalised), hex."""
    message = f"{column}{SEPARATOR}{value}".encode()
    return hmac.new(_key_bytes(key), message, hashlib.sha256).hexdigest()


def pseudonym_sql(key: str, column: str, expr: str) -> str:
    """SQL computing :func:`pseudonym` of the text ``expr`` row by row (NULL stays NULL).

    HMAC(K, m) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), with the two padded keys written as
    BLOB literals; DuckDB's ``sha256`` returns hex, so the inner digest is ``unhex``-ed.
    """
    k = _key_bytes(key)
    if len(k) > _BLOCK:
        k = hashlib.sha256(k).digest()
    k = k.ljust(_BLOCK, b"\0")
    ipad = bytes(b ^ 0x36 for b in k).hex()
    opad = bytes(b ^ 0x5C for b in k).hex()
    prefix = quote_literal(f"{column}{SEPARATOR}")
    inner = f"sha256(unhex('{ipad}') || encode({prefix} || CAST(({expr}) AS VARCHAR)))"
    return f"sha256(unhex('{opad}') || unhex({inner}))"
