"""Quoting of names and text for the SQL crmine hands to the engine.

Column names come straight from users' files (spaces, quotes, ``客户编号``), so every
identifier crmine writes into SQL goes through :func:`quote_identifier`, and every text
value spliced into SQL rather than bound as a parameter (paths in a view or an expression
returned to a caller, regex patterns and messages inside generated expressions) goes
through :func:`quote_literal`. One place means one set of rules to get right; an engine
whose rules differ quotes through :meth:`crmine.engine.Engine.quote`.
"""

from __future__ import annotations

__all__ = ["quote_identifier", "quote_literal"]


def quote_identifier(name: str) -> str:
    """``name`` as a DuckDB delimited identifier: in double quotes, embedded ones doubled.

    Quoting always (not only when needed) keeps case and any character exactly as given.
    DuckDB cannot represent NUL or an empty delimited identifier (its parser stops at a
    NUL and rejects ``""``), so both raise here, naming the problem, instead of failing
    later as an SQL syntax error.
    """
    if "\x00" in name:
        raise ValueError(
            f"SQL identifier {name!r} contains a NUL character, which DuckDB's "
            "parser cannot read in a quoted name"
        )
    if not name:
        raise ValueError("SQL identifier is empty; DuckDB does not accept a zero-length name")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """``value`` as a DuckDB string literal: in single quotes, embedded ones doubled.

    Prefer a bound parameter; this is for SQL that cannot carry one (a view's definition,
    a fragment handed to another statement, ``COPY ... TO``) or text crmine generates
    itself. Backslashes need no escaping: a plain ``'...'`` literal takes them as they are.
    NUL raises, as in :func:`quote_identifier`: DuckDB's parser would end the literal there.
    """
    if "\x00" in value:
        raise ValueError(
            f"SQL string literal {value!r} contains a NUL character, which "
            "DuckDB cannot parse in a literal; pass it as a bound parameter"
        )
    return "'" + value.replace("'", "''") + "'"
