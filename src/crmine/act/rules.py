"""Alert conditions: a boolean over one published table's columns, checked before anything runs.

A rule's ``when`` is parsed with sqlglot and accepted only if every node is a column of the
table, a literal, a comparison, AND / OR / NOT, IN (a list), BETWEEN, IS [NOT] NULL or simple
arithmetic. Subqueries, functions, qualified names and anything else are refused with a
one-line error naming the rule and the offending part, so a rule can never read another table
or call into the engine. The accepted condition is rendered in the engine's own dialect, with
every identifier quoted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crmine.errors import ConfigError

#: the node kinds a condition may contain (sqlglot expression class names)
ALLOWED = frozenset({
    "Column", "Identifier", "Literal", "Boolean", "Null", "Paren", "And", "Or", "Not",
    "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "In", "Between", "Is",
    "Add", "Sub", "Mul", "Div", "Mod", "Neg",
})  # fmt: skip
#: the kinds a whole condition may be (a bare column is allowed: a boolean column)
PREDICATES = frozenset({
    "And", "Or", "Not", "Paren", "EQ", "NEQ", "GT", "GTE", "LT", "LTE", "In", "Between",
    "Is", "Boolean", "Column",
})  # fmt: skip


@dataclass(frozen=True)
class Condition:
    rule: str
    sql: str  # in the engine's dialect, identifiers quoted
    columns: tuple[str, ...]  # the table columns it reads


def compile_condition(rule: str, when: str, columns: Iterable[str], dialect: str) -> Condition:
    """``when`` checked against ``columns`` and rendered for ``dialect``, or a ConfigError."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    known = list(columns)
    try:
        trees = [t for t in sqlglot.parse(when, read=dialect) if t is not None]
    except SqlglotError as exc:
        first = (str(exc).splitlines() or ["not SQL"])[0]
        raise ConfigError(f"alert rule {rule!r}: cannot read when = {when!r} ({first})") from None
    if len(trees) > 1:  # parse_one would quietly keep the first statement
        raise ConfigError(f"alert rule {rule!r}: cannot read when = {when!r} (one condition, no ';')")
    tree = trees[0] if trees else None
    if tree is None or type(tree).__name__ not in PREDICATES:
        raise ConfigError(f"alert rule {rule!r}: when = {when!r} is not a condition (true/false)")
    used: list[str] = []
    for node in tree.walk():
        kind = type(node).__name__
        if kind not in ALLOWED:
            raise ConfigError(
                f"alert rule {rule!r}: {node.sql(dialect=dialect)!r} is not allowed in when "
                "(only the table's columns, literals, comparisons, AND/OR/NOT, IN, BETWEEN, "
                "IS NULL and arithmetic)"
            )
        if isinstance(node, exp.Column):
            if node.table:
                raise ConfigError(
                    f"alert rule {rule!r}: {node.sql()!r} names another table; use the column alone"
                )
            if node.name not in known:
                raise ConfigError(
                    f"alert rule {rule!r}: no column {node.name!r} in its table "
                    f"(columns: {', '.join(known)})"
                )
            used.append(node.name)
    return Condition(rule, tree.sql(dialect=dialect, identify=True), tuple(dict.fromkeys(used)))
