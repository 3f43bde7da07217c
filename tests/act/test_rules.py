"""Alert conditions: only the table's columns, literals and plain logic get through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crmine.act.rules import compile_condition
from crmine.engine.duck import DuckDBEngine
from crmine.errors import ConfigError

COLUMNS = ["customer_id", "value_tier", "churn_risk", "clv", "p_purchase", "rfm_segment", "客户等级"]


@pytest.mark.parametrize(
    "when",
    [
        "value_tier = 'top' AND churn_risk >= 0.7",
        "NOT (clv BETWEEN 10 AND 20) OR rfm_segment IN ('At Risk', 'Hibernating')",
        "churn_risk * clv > 100 AND p_purchase IS NOT NULL",
        "\"客户等级\" = '金卡'",
        "-clv < -5",
    ],
)
def test_plain_conditions_are_accepted_and_quoted(when):
    cond = compile_condition("r", when, COLUMNS, "duckdb")
    for c in cond.columns:
        assert f'"{c}"' in cond.sql


@pytest.mark.parametrize(
    ("when", "offending"),
    [
        ("customer_id IN (SELECT customer_id FROM customers)", "SELECT"),
        ("length(customer_id) > 3", "LENGTH"),
        ("read_csv('/etc/passwd') IS NULL", "READ_CSV"),
        ("clv > 1; DROP TABLE orders", "cannot read"),
        ("o.clv > 1", "another table"),
        ("margin > 1", "no column 'margin'"),
        ("clv + 1", "not a condition"),
        ("CAST(clv AS INT) > 1", "CAST"),
    ],
)
def test_anything_else_is_a_one_line_error_naming_the_rule_and_the_part(when, offending):
    with pytest.raises(ConfigError) as err:
        compile_condition("vip_at_risk", when, COLUMNS, "duckdb")
    message = str(err.value)
    assert "'vip_at_risk'" in message and offending.lower() in message.lower()
    assert len(message.splitlines()) == 1


def test_an_accepted_condition_filters_the_rows_it_says():
    import pandas as pd

    frame = pd.DataFrame({"customer_id": list("abcd"), "value_tier": ["top", "top", "low", None],
                          "churn_risk": [0.9, 0.2, 0.95, 0.99]})  # fmt: skip
    cond = compile_condition("r", "value_tier = 'top' AND churn_risk >= 0.7", frame.columns, "duckdb")
    with DuckDBEngine.memory() as engine, engine.temp_table("t", frame):
        got = engine.execute(f"SELECT customer_id FROM t WHERE {cond.sql}").fetchall()
    assert got == [("a",)]


@given(st.text(max_size=40))
def test_no_text_makes_the_checker_crash_or_pass_something_unchecked(text):
    try:
        cond = compile_condition("r", text, COLUMNS, "duckdb")
    except ConfigError:
        return
    assert set(cond.columns) <= set(COLUMNS)
