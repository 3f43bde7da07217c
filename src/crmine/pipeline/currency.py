"""One currency per workspace: order lines are converted, or the ingest stops and says why.

The currency of a line comes from its currency column, else from the symbol or code
written next to its amount or price (``¥1,234.50``), else it is the workspace currency.
Lines in another currency are converted with the rates in ``[currency.rates]`` and keep what
was written in ``amount_original``, ``unit_price_original`` and ``currency_original``; a
currency without a rate is an error, because summing pounds and dollars is never right.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmine.errors import ConfigError

if TYPE_CHECKING:
    from crmine.config import CurrencySettings
    from crmine.engine.base import Engine


def unify_currency(
    con: Engine, staged: str, settings: CurrencySettings, workspace: str = ""
) -> list[str]:
    """Set ``currency`` on every staged line and convert amounts; returns notes.

    ``workspace``: the currency of ``[workspace] currency`` (empty: decided from the data).
    """
    import pandas as pd

    from crmine.quality.currency import normalise_currencies

    tokens = [
        r[0]
        for r in con.execute(
            f"SELECT DISTINCT coalesce(currency, _currency_hint) FROM {staged} "
            "WHERE _reason IS NULL AND coalesce(currency, _currency_hint) IS NOT NULL"
        ).fetchall()
    ]
    codes, _ = normalise_currencies(pd.Series(tokens, dtype="string"), dollar=settings.dollar,
                                    yen=settings.yen)
    token_codes = pd.DataFrame({"token": tokens, "code": codes.astype("string")})
    with con.temp_table("_currency_codes", token_codes):
        con.execute(
            f"UPDATE {staged} s SET currency = c.code FROM _currency_codes c "
            "WHERE coalesce(s.currency, s._currency_hint) = c.token"
        )
    seen = sorted({c for c in token_codes["code"].dropna()})
    target = workspace or _workspace_currency(con) or (seen[0] if len(seen) == 1 else "")
    if not seen:
        return [f"amounts taken to be in {target}"] if target else []
    if not target:
        raise ConfigError(
            f"order lines are in several currencies ({', '.join(seen)}); choose the workspace "
            "currency in crmine.toml ([workspace] currency = \"GBP\") and give rates under "
            "[currency.rates], e.g. USD = 0.79"
        )
    con.execute(f"UPDATE {staged} SET currency = ? WHERE currency IS NULL", [target])
    foreign = [c for c in seen if c != target]
    missing = [c for c in foreign if c not in settings.rates]
    if missing:
        raise ConfigError(
            f"order lines in {', '.join(missing)} but the workspace currency is {target} and "
            f"crmine.toml gives no rate; add under [currency.rates]: "
            + ", ".join(f"{c} = <{target} per {c}>" for c in missing)
        )
    notes = []
    for code in foreign:
        rate = settings.rates[code]
        n = con.execute(
            f"UPDATE {staged} SET amount_original = amount, unit_price_original = unit_price, "
            "currency_original = currency, amount = amount * ?, unit_price = unit_price * ?, "
            "currency = ? WHERE currency = ?",
            [rate, rate, target, code],
        ).fetchone()[0]
        notes.append(f"{n:,} line{'' if n == 1 else 's'} converted from {code} to {target} at {rate}")
    return notes


def _workspace_currency(con: Engine) -> str | None:
    """The currency of the orders already loaded, when they agree on one."""
    if "orders" not in con.tables():
        return None
    rows = con.execute("SELECT DISTINCT currency FROM orders WHERE currency IS NOT NULL").fetchall()
    return rows[0][0] if len(rows) == 1 else None
