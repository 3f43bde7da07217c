"""The one estimator contract (:mod:`crmine.models.base`), held for every model family.

For each family, on small generated data:

- using it before ``fit`` raises :class:`NotFittedError` with a clear message;
- ``get_params()`` comes from the ``__init__`` signature and round-trips through the
  constructor; ``set_params`` refuses unknown names;
- ``fit`` returns the model itself and sets learned state ending in ``_``;
- fitting twice with the same seed gives the same scores;
- fitting on the same rows in another order gives the same scores (a warehouse returns rows
  in any order);
- ``describe()``, where a family publishes a row of ``models``, gives a JSON-able record.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from crmine.models.base import Estimator, ModelRecord, NotFittedError

AS_OF = pd.Timestamp("2025-01-01")


@dataclass
class Case:
    """A family: make a model, make data, fit, score (a frame keyed by row id), shuffle."""

    name: str
    make: Callable[[int], Estimator]
    data: Callable[[], Any]
    fit: Callable[[Estimator, Any], Estimator]
    score: Callable[[Estimator, Any], pd.DataFrame]
    shuffle: Callable[[Any, np.random.Generator], Any]
    records: bool = False


def _rows(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    return frame.iloc[rng.permutation(len(frame))]


# ------------------------------------------------------------------ data


def _rfm_frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 200
    return pd.DataFrame({
        "customer_id": [f"c{i}" for i in range(n)],
        "recency_days": rng.integers(1, 400, n).astype(float),
        "orders_count": rng.integers(1, 20, n).astype(float),
        "revenue_total": rng.gamma(2, 100, n),
    })  # fmt: skip


def _summary() -> pd.DataFrame:
    from crmine.demo import generate
    from crmine.models.btyd import summarise_transactions

    orders = generate(300, seed=5, dirty=False).truth.orders
    buys = orders[~orders["is_return"]]
    cut = pd.Timestamp("2024-10-01")
    buys = buys[buys["order_ts"] < cut]
    return summarise_transactions(buys["customer_id"], buys["order_ts"], buys["amount"],
                                  calibration_end=cut, unit_days=7)  # fmt: skip


def _tabular() -> dict[str, Any]:
    """A purchase-like problem: two numeric signals, one category, a binary label, revenue."""
    rng = np.random.default_rng(1)
    n = 900
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    X = pd.DataFrame({"x1": x1, "x2": x2, "vip": (rng.random(n) < 0.2).astype(float)})
    logit = 1.2 * x1 - 0.8 * x2 + 0.5 * X["vip"]
    y = rng.random(n) < 1 / (1 + np.exp(-logit))
    revenue = np.where(y, np.exp(3 + 0.5 * x1 + rng.normal(0, 0.3, n)), 0.0)
    return {"X": X, "y": y, "revenue": revenue, "id": np.arange(n)}


def _shuffle_tabular(d: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    p = rng.permutation(len(d["X"]))
    return {"X": d["X"].iloc[p], "y": d["y"][p], "revenue": d["revenue"][p], "id": d["id"][p]}


def _customers() -> dict[str, Any]:
    rng = np.random.default_rng(2)
    n = 600
    plan = rng.choice(["flex", "annual", "biennial"], n)
    months = rng.integers(0, 60, n).astype(float)
    y = rng.random(n) < 1 / (1 + np.exp(-(-1 + 1.8 * (plan == "flex") - 0.04 * months)))
    frame = pd.DataFrame({"plan": plan, "months": months, "fee": rng.uniform(10, 100, n)})
    return {"X": frame, "y": y, "id": np.arange(n)}


def _shuffle_customers(d: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    p = rng.permutation(len(d["X"]))
    return {"X": d["X"].iloc[p], "y": d["y"][p], "id": d["id"][p]}


def _purchase_frame() -> pd.DataFrame:
    """(cutoff, customer) rows at four cutoffs, 45 days apart; labels from the features."""
    rng = np.random.default_rng(3)
    cutoffs = [pd.Timestamp("2024-10-03") - pd.Timedelta(days=45 * k) for k in range(4)]
    parts = []
    for cut in [*cutoffs, AS_OF]:
        n = 300
        freq = rng.poisson(3, n).astype(float) + 1
        recency = rng.uniform(1, 300, n)
        p = 1 / (1 + np.exp(-(0.5 * freq - 0.01 * recency)))
        bought = rng.random(n) < p
        parts.append(pd.DataFrame({
            "customer_id": [f"c{i}" for i in range(n)], "cutoff": cut,
            "orders_count": freq, "recency_days": recency,
            "purchased": bought if cut != AS_OF else False,
            "revenue_in_horizon": np.where(bought, rng.gamma(2, 50, n), 0.0) if cut != AS_OF else 0.0,
        }))  # fmt: skip
    frame = pd.concat(parts, ignore_index=True)
    frame["cutoff"] = frame["cutoff"].astype("datetime64[ns]")
    return frame


def _lines() -> pd.DataFrame:
    from crmine.demo import generate

    return generate(250, seed=3, dirty=False).truth.orders


def _baskets() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    rows = []
    for b in range(400):
        items = {f"i{j}" for j in rng.choice(12, rng.integers(1, 4), replace=False)}
        if rng.random() < 0.4:
            items |= {"bread", "jam"}
        rows += [(f"b{b}", i) for i in items]
    return pd.DataFrame(rows, columns=["basket", "item"])


def _texts() -> dict[str, Any]:
    rng = np.random.default_rng(5)
    good = ["great sound", "love it", "works well", "excellent value", "very happy"]
    bad = ["broke fast", "terrible", "keeps disconnecting", "poor sound", "returning it"]
    n = 300
    y = rng.random(n) < 0.5
    texts = [f"{rng.choice(good) if t else rng.choice(bad)} #{i}" for i, t in enumerate(y)]
    base = np.where(y, 0.2, -0.2) + rng.normal(0, 0.3, n)
    return {"texts": texts, "base": base, "y": y.astype(float), "id": np.arange(n)}


def _shuffle_texts(d: dict[str, Any], rng: np.random.Generator) -> dict[str, Any]:
    p = rng.permutation(len(d["texts"]))
    return {"texts": [d["texts"][i] for i in p], "base": d["base"][p], "y": d["y"][p],
            "id": d["id"][p]}  # fmt: skip


def _keyed(ids: Any, values: Any, name: str = "score") -> pd.DataFrame:
    out = pd.DataFrame({"id": np.asarray(ids), name: np.asarray(values)})
    return out.sort_values("id", ignore_index=True)


# ------------------------------------------------------------------ the families


def _rfm() -> Case:
    from crmine.models.rfm import RFMScorer

    def score(m, frame):
        out = m.transform(frame)[["customer_id", "r_score", "f_score", "m_score", "rfm_segment"]]
        return out.sort_values("customer_id", ignore_index=True)

    return Case("rfm", lambda seed: RFMScorer(), _rfm_frame, lambda m, d: m.fit(d), score, _rows)


def _bgnbd() -> Case:
    from crmine.models.btyd import BetaGeoModel

    cols = ("x", "t_x", "T")
    return Case(
        "bgnbd", lambda seed: BetaGeoModel(), _summary,
        lambda m, d: m.fit(*(d[c] for c in cols)),
        lambda m, d: _keyed(d["customer_id"], m.p_alive(*(d[c].to_numpy() for c in cols))),
        _rows,
    )  # fmt: skip


def _gamma_gamma() -> Case:
    from crmine.models.btyd import GammaGammaModel

    def fit(m, d):
        ok = (d["x"] > 0) & (d["monetary_value"] > 0)
        return m.fit(d.loc[ok, "x"], d.loc[ok, "monetary_value"])

    def score(m, d):
        spend = m.conditional_expected_average_profit(d["x"].to_numpy(), d["monetary_value"].to_numpy())
        return _keyed(d["customer_id"], spend)

    return Case("gamma_gamma", lambda seed: GammaGammaModel(), _summary, fit, score, _rows)


def _btyd_forecaster() -> Case:
    from crmine.models.clv import BtydForecaster

    def score(m, d):
        pred = m.predict(d)
        return pred.assign(id=d["customer_id"].to_numpy()).sort_values("id", ignore_index=True)

    return Case("btyd", lambda seed: BtydForecaster(90), _summary,
                lambda m, d: m.fit(d, as_of=pd.Timestamp("2024-10-01").date()), score, _rows,
                records=True)  # fmt: skip


def _hurdle() -> Case:
    from crmine.models.clv import HurdleRevenue

    return Case(
        "hurdle_revenue", lambda seed: HurdleRevenue(n_estimators=60, random_state=seed),
        _tabular, lambda m, d: m.fit(d["X"], d["revenue"]),
        lambda m, d: _keyed(d["id"], m.predict(d["X"], np.full(len(d["X"]), 0.5))),
        _shuffle_tabular,
    )  # fmt: skip


def _propensity() -> Case:
    from crmine.models.propensity import PurchasePropensity

    def fit(m, d):
        val = d["id"] % 3 == 0
        return m.fit(d["X"][~val], d["y"][~val], d["X"][val], d["y"][val])

    def score(m, d):
        return _keyed(d["id"], m.predict_proba(d["X"]))

    return Case("purchase_propensity",
                lambda seed: PurchasePropensity(("logistic", "tree", "forest", "lightgbm"),
                                                random_state=seed),
                _tabular, fit, score, _shuffle_tabular)  # fmt: skip


def _purchase_value() -> Case:
    from tests.models._purchase import fit_on_cutoffs, purchase_value_model

    def score(m, frame):
        now = frame[frame["cutoff"] == AS_OF]
        return m.predict(now).scores.sort_values("customer_id", ignore_index=True)

    return Case(
        "purchase_value",
        purchase_value_model, _purchase_frame, fit_on_cutoffs, score, _rows, records=True,
    )  # fmt: skip


def _churn() -> Case:
    from crmine.models.churn import ContractualChurnModel

    def score(m, d):
        return _keyed(d["id"], m.predict_proba(d["X"])).merge(
            _keyed(d["id"], m.risk(d["X"], np.ones(len(d["X"]), bool)), "risk"), on="id")

    return Case("contractual_churn",
                lambda seed: ContractualChurnModel(folds=3, random_state=seed), _customers,
                lambda m, d: m.fit(d["X"], d["y"]), score, _shuffle_customers,
                records=True)  # fmt: skip


def _basket() -> Case:
    from crmine.models.basket import AssociationRuleMiner

    def score(m, d):
        rules = m.rules_.copy()
        for side in ("antecedents", "consequents"):
            rules[side] = rules[side].map(tuple)
        return rules.sort_values(["antecedents", "consequents"], ignore_index=True)

    return Case("association_rules", lambda seed: AssociationRuleMiner(min_support=0.05),
                _baskets, lambda m, d: m.fit(d["basket"], d["item"]), score, _rows)  # fmt: skip


def _recommend() -> Case:
    from crmine.models.recommend import NextProductRecommender

    def score(m, lines):
        ids = sorted(lines["customer_id"].unique())[:60]
        return m.recommend(ids).sort_values(["customer_id", "rank"], ignore_index=True)

    return Case(
        "recommendations",
        lambda seed: NextProductRecommender(k=5, factors=8, random_state=seed),
        _lines, lambda m, d: m.fit(d, as_of=AS_OF), score, _rows,
    )  # fmt: skip


def _cluster() -> Case:
    from crmine.models.cluster import CustomerClusterer
    from tests.models.test_cluster import _features

    def score(m, frame):
        labels = m.predict(frame).sort_index()
        return pd.DataFrame({"id": labels.index.to_numpy(), "cluster": labels.to_numpy()})

    return Case("clusters", lambda seed: CustomerClusterer(random_state=seed),
                lambda: _features(0, 120)[0], lambda m, d: m.fit(d), score, _rows)  # fmt: skip


def _categories() -> Case:
    from crmine.models.categories import CategoryNeeds

    def score(m, lines):
        return m.predict(lines).sort_values(["customer_id", "rank"], ignore_index=True)

    return Case("next_categories", lambda seed: CategoryNeeds(random_state=seed), _lines,
                lambda m, d: m.fit(d, as_of=AS_OF), score, _rows)  # fmt: skip


def _text_adaptation() -> Case:
    from crmine.models.text._adapt import DomainCorrection

    return Case(
        "sentiment_adaptation", lambda seed: DomainCorrection(n_features=2**12), _texts,
        lambda m, d: m.fit(d["texts"], d["base"], d["y"]),
        lambda m, d: _keyed(d["id"], m.score(d["texts"], d["base"])), _shuffle_texts,
    )  # fmt: skip


def _campaign_response() -> Case:
    from crmine.models.campaigns import ResponseModel
    from tests.models._campaign import campaign, shuffle

    return Case("campaign_response", lambda seed: ResponseModel(folds=3, random_state=seed),
                lambda: campaign(1500, seed=9, control=False),
                lambda m, d: m.fit(d["X"], d["y"]),
                lambda m, d: _keyed(d["id"], m.predict_proba(d["X"])), shuffle,
                records=True)  # fmt: skip


def _campaign_uplift() -> Case:
    from crmine.models.uplift import UpliftModel
    from tests.models._campaign import campaign, shuffle

    def score(m, d):
        pred = m.predict(d["X"]).assign(id=d["id"])
        return pred.sort_values("id", ignore_index=True)

    return Case("campaign_uplift",
                lambda seed: UpliftModel(folds=3, n_boot=10, random_state=seed),
                lambda: campaign(2000, seed=10), lambda m, d: m.fit(d["X"], d["y"], d["t"]),
                score, shuffle, records=True)  # fmt: skip


def _demand() -> Case:
    from crmine.models.demand import DemandForecaster

    def data() -> pd.DataFrame:
        rng = np.random.default_rng(6)
        starts = pd.date_range("2024-01-05", periods=40, freq="7D")
        kids = {k: np.maximum(rng.normal(m, 5, 40), 0) for k, m in (("a", 20), ("b", 35))}
        parts = [("total", "all", kids["a"] + kids["b"]), ("region", "a", kids["a"]),
                 ("region", "b", kids["b"])]
        return pd.concat([pd.DataFrame({"level": lv, "key": k, "period_start": starts, "y": y})
                          for lv, k, y in parts], ignore_index=True)

    def score(m, frame):
        return m.predict().sort_values(["level", "key", "period_start"], ignore_index=True)

    return Case("demand_forecast",
                lambda seed: DemandForecaster(horizon=4, candidates=("Naive", "WindowAverage",
                                                                     "AutoTheta")),
                data, lambda m, d: m.fit(d), score, _rows, records=True)  # fmt: skip


CASES = [_rfm(), _bgnbd(), _gamma_gamma(), _btyd_forecaster(), _hurdle(), _propensity(),
         _purchase_value(), _churn(), _basket(), _recommend(), _cluster(), _categories(),
         _text_adaptation(), _campaign_response(), _campaign_uplift(), _demand()]  # fmt: skip
_DATA: dict[str, Any] = {}


def _data(case: Case) -> Any:
    if case.name not in _DATA:
        _DATA[case.name] = case.data()
    return _DATA[case.name]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True),
                                  check_exact=False, rtol=1e-7, atol=1e-9)  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_unfitted_use_is_a_clear_error(case: Case):
    model = case.make(0)
    assert isinstance(model, Estimator) and not model.is_fitted
    with pytest.raises(NotFittedError, match="not fitted yet"):
        case.score(model, _data(case))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_parameters_come_from_the_signature_and_round_trip(case: Case):
    model = case.make(0)
    params = model.get_params()
    signature = [p for p in inspect.signature(type(model).__init__).parameters if p != "self"]
    assert list(params) == signature
    clone = type(model)(**params)
    assert clone.get_params() == params
    with pytest.raises(ValueError, match="no parameter"):
        model.set_params(no_such_parameter=1)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fit_returns_the_model_and_the_same_seed_gives_the_same_scores(case: Case):
    data = _data(case)
    model = case.make(7)
    assert case.fit(model, data) is model and model.is_fitted
    first = case.score(model, data)
    again = case.score(case.fit(case.make(7), data), data)
    _same(first, again)
    if case.records:
        record = model.describe()
        assert isinstance(record, ModelRecord) and record.name and record.training_window
        json.dumps(record.parameters, default=str)
        json.dumps(record.metrics, default=str)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_same_rows_in_another_order_give_the_same_scores(case: Case):
    data = _data(case)
    shuffled = case.shuffle(data, np.random.default_rng(11))
    in_order = case.score(case.fit(case.make(0), data), data)
    other_order = case.score(case.fit(case.make(0), shuffled), shuffled)  # scores are keyed
    _same(in_order, other_order)
