"""CustomerClusterer on generated feature frames with known groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from crmine.models.cluster import CustomerClusterer


def _features(seed: int = 0, n: int = 300) -> tuple[pd.DataFrame, np.ndarray]:
    """Three behaviour groups: loyal big spenders, lapsed one-timers, returners."""
    rng = np.random.default_rng(seed)
    group = np.repeat([0, 1, 2], n)
    orders = np.choose(group, [40, 1, 6]) * rng.lognormal(0, 0.1, group.size)
    revenue = np.choose(group, [5000, 40, 600]) * rng.lognormal(0, 0.1, group.size)
    recency = np.choose(group, [5, 300, 40]) * rng.lognormal(0, 0.1, group.size)
    returns = np.choose(group, [0.01, 0.0, 0.45]) + rng.normal(0, 0.01, group.size).clip(0)
    frame = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(group.size)],
            "orders_count": np.ceil(orders),
            "revenue_total": revenue,
            "recency_days": recency,
            "tenure_days": 400 + rng.normal(0, 5, group.size),
            "gap_mean_days": 30 + rng.normal(0, 1, group.size),
            "gap_std_days": 10 + rng.normal(0, 1, group.size),
            "units_per_order": 5 + rng.normal(0, 0.2, group.size),
            "distinct_products": 20 + rng.normal(0, 1, group.size),
            "return_ratio": returns,
            "gender": rng.choice(["F", "M"], group.size),
        }
    )
    return frame, group


def test_recovers_known_groups_with_readable_labels() -> None:
    frame, group = _features()
    model = CustomerClusterer(k_min=2, k_max=6).fit(frame)
    assert model.k_ == 3
    assert adjusted_rand_score(group, model.labels_.to_numpy()) > 0.95
    labels = model.cluster_labels_
    assert len(set(labels.values())) == model.k_
    loyal = model.labels_.iloc[0]
    lapsed = model.labels_.iloc[300]
    returner = model.labels_.iloc[600]
    assert "frequent buyers" in labels[loyal]
    assert "lapsed" in labels[lapsed] or "occasional buyers" in labels[lapsed]
    assert "many returns" in labels[returner]
    assert sum(name.startswith("gender=") for name in model.feature_names_) == 1


def test_stable_across_reruns_and_predict_matches() -> None:
    frame, _ = _features(seed=1)
    a = CustomerClusterer(random_state=3).fit(frame)
    b = CustomerClusterer(random_state=3).fit(frame.sample(frac=1.0, random_state=0))
    pd.testing.assert_series_equal(a.labels_, b.labels_.reindex(a.labels_.index))
    pd.testing.assert_series_equal(a.predict(frame), a.labels_)
    assert a.cluster_labels_ == b.cluster_labels_


def test_profiles_projection_and_non_buyers() -> None:
    frame, _ = _features(seed=2, n=100)
    extra = pd.DataFrame({"customer_id": ["new"], "orders_count": [0]})
    model = CustomerClusterer(k_min=3, k_max=4).fit(pd.concat([frame, extra]))
    assert "new" not in model.labels_.index
    prof = model.profiles_
    assert prof["size"].sum() == len(frame)
    assert list(prof["cluster"]) == list(range(model.k_))
    assert prof["size"].is_monotonic_decreasing
    assert {"label", "frequency", "returns"} <= set(prof.columns)
    assert list(model.projection_.columns) == ["customer_id", "cluster", "pc1", "pc2"]
    assert model.selection_["k"].tolist() == [3, 4]


def test_bad_input() -> None:
    frame, _ = _features(n=1)
    with pytest.raises(ValueError, match="more than k_min"):
        CustomerClusterer(k_min=3).fit(frame)
    with pytest.raises(ValueError, match="k_min"):
        CustomerClusterer(k_min=5, k_max=3).fit(frame)


def test_an_extreme_customer_gets_no_cluster_of_their_own() -> None:
    frame, _ = _features(seed=4, n=200)
    frame.loc[len(frame)] = {**frame.iloc[0].to_dict(), "customer_id": "odd",
                             "return_ratio": 57.0, "revenue_total": -800.0}
    model = CustomerClusterer(k_min=3, k_max=5).fit(frame)
    assert model.profiles_["size"].min() > 1


def test_customers_on_file_without_orders_cluster_on_their_attributes() -> None:
    """A subscription export: plan, tenure and fee tell three groups apart; the label is ignored."""
    rng = np.random.default_rng(4)
    n = 300
    truth = np.repeat([0, 1, 2], n // 3)
    frame = pd.DataFrame({
        "customer_id": [f"s{i}" for i in range(n)],
        "plan": pd.array(np.where(truth == 0, "monthly", "yearly"), dtype="string"),
        "tenure_months": np.where(truth == 2, 50.0, 5.0) + rng.normal(0, 2, n),
        "monthly_fee": np.where(truth == 1, 90.0, 30.0) + rng.normal(0, 3, n),
        "churned": rng.random(n) < 0.3,
    })  # fmt: skip
    model = CustomerClusterer(k_min=2, k_max=5).fit(frame)
    got = model.labels_.reindex(frame["customer_id"]).to_numpy()
    assert model.k_ == 3 and adjusted_rand_score(truth, got) > 0.95
    assert "churned=True" not in model.feature_names_ and "churned" not in model.feature_names_
    labels = set(model.cluster_labels_.values())
    assert any("high tenure_months" in label for label in labels)
    assert any("high monthly_fee" in label for label in labels)


def test_a_fact_repeated_across_columns_counts_once() -> None:
    """Add-on columns that all say "No internet service" for the same customers."""
    frame, group = _features(seed=3, n=100)
    rng = np.random.default_rng(3)
    internet = rng.choice(["DSL", "Fiber", "No"], len(frame))
    frame["internet"] = pd.array(internet, dtype="string")
    for addon in ("backup", "security", "support"):
        answer = np.where(rng.random(len(frame)) < 0.5, "Yes", "No")
        frame[addon] = pd.array(np.where(internet == "No", "No internet", answer), dtype="string")
    model = CustomerClusterer(k_min=2, k_max=5).fit(frame)
    names = model.feature_names_
    assert "internet=No" in names
    assert not [c for c in names if c.endswith("=No internet")]
    assert {"backup=Yes", "security=No", "support=Yes"} <= set(names)
    assert model.predict(frame).index.size == len(frame)
    got = model.labels_.reindex(frame["customer_id"]).to_numpy()
    assert adjusted_rand_score(group, got) > 0.9
    # "No phone service" is the opposite of having a phone: one column says it.
    frame["phone_service"] = rng.random(len(frame)) < 0.8
    lines = np.where(rng.random(len(frame)) < 0.5, "One", "Several")
    frame["lines"] = pd.array(np.where(frame["phone_service"], lines, "No phone"), dtype="string")
    names = CustomerClusterer(k_min=2, k_max=5).fit(frame).feature_names_
    assert "phone_service=True" in names and "lines=No phone" not in names
    assert {"lines=One", "lines=Several"} <= set(names)
