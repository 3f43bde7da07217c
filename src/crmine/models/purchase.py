"""Purchase and value: who buys in the horizon, how much, and what a customer is worth.

:class:`PurchaseValueModel` learns from a training frame of (cutoff, customer) rows (see
:mod:`crmine.features.purchase`): features known before each cutoff, labels of the horizon
after it.

* Propensity: the candidates of :class:`~crmine.models.propensity.PurchasePropensity` train
  on the cutoffs whose labels end before the validation cutoff (a strict time split), the
  winner is calibrated on the validation window and blended in log-odds with BTYD's own
  P(purchase) (the ``btyd_p_purchase`` feature, when present) at the weight that ranks the
  validation window best; then it is refit on every cutoff.
* Horizon revenue: ML hurdle (:class:`~crmine.models.clv.HurdleRevenue`), BTYD×GG
  (``btyd_expected_revenue``) or their mean, whichever ranks the validation window's
  revenue best (Spearman, then MAE); the hurdle is refit on every cutoff.
* Reasons: the propensity model's attributions, read as pushes toward churn risk (the
  published score they explain is ``churn_risk = 1 − p_purchase``).

:func:`combine_forecasts` merges these with BTYD's forecasts into the published columns:
p_alive, expected_orders, p_purchase, expected_revenue, clv (the chosen horizon revenue
stretched to the CLV horizon by each customer's BTYD ratio, or BTYD's CLV when BTYD wins),
value_tier (top 20 % high, next 30 % medium, rest low) and churn_risk.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.models.base import Estimator, ModelRecord

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PurchaseForecast", "PurchaseValueModel", "combine_forecasts", "encode_per_cutoff"]

TIERS = "top 20 % high, next 30 % medium, rest low"


def encode_per_cutoff(frame: pd.DataFrame, not_features: tuple[str, ...], encoder=None):
    """Design matrix per cutoff (dates become days before that row's cutoff) and the encoder."""
    import pandas as pd

    from crmine.models._tabular import TabularEncoder

    feats = frame.drop(columns=[c for c in not_features if c in frame.columns])
    if encoder is None:
        encoder = TabularEncoder().fit(feats)
    blocks = [
        encoder.transform(feats.loc[idx], as_of=cut.to_pydatetime())
        for cut, idx in frame.groupby("cutoff").groups.items()
    ]
    return pd.concat(blocks).loc[frame.index], encoder


@dataclass
class PurchaseForecast:
    """The model's scores at as_of: customer_id, p_purchase, revenue_ml; reasons per row."""

    scores: pd.DataFrame
    reasons: list[list[str]] | None
    revenue_choice: str


class PurchaseValueModel(Estimator):
    """Propensity + horizon revenue chosen on a time split (see the module docstring)."""

    record_name = "purchase_propensity"

    def __init__(
        self,
        candidates: tuple[str, ...] = ("logistic", "tree", "forest", "svm", "lightgbm"),
        *,
        svm_max_rows: int = 2000,
        max_train_rows: int = 20000,
        reasons: int = 3,
        random_state: int = 0,
        not_features: tuple[str, ...] = (),
    ) -> None:
        self.candidates = candidates
        self.svm_max_rows = svm_max_rows
        self.max_train_rows = max_train_rows
        self.reasons = reasons
        self.random_state = random_state
        self.not_features = not_features

    def fit(
        self,
        frame: pd.DataFrame,
        *,
        train_cutoffs: list[datetime],
        validation_cutoff: datetime,
        refit_cutoffs: list[datetime],
        horizon_days: int,
    ) -> PurchaseValueModel:
        """Learn from ``frame``'s rows at the given cutoffs (other rows are ignored).

        Raises ValueError when the windows cannot be learned from (no buyers or no
        non-buyers in the training or validation window).
        """
        from crmine.models.propensity import PurchasePropensity

        # rows in a fixed order (cutoff, customer): the sample and the fits below must not
        # depend on the order the frame arrived in
        frame = frame.sort_values(["cutoff", "customer_id"], kind="stable", ignore_index=True)
        is_train = frame["cutoff"].isin(train_cutoffs).to_numpy()
        if is_train.sum() > self.max_train_rows:  # candidates are compared on a sample
            rng = np.random.default_rng(self.random_state)
            keep = rng.choice(np.flatnonzero(is_train), self.max_train_rows, replace=False)
            is_train = np.zeros(len(frame), bool)
            is_train[keep] = True
        is_val = (frame["cutoff"] == validation_cutoff).to_numpy()
        is_all = frame["cutoff"].isin(refit_cutoffs).to_numpy()
        y = frame["purchased"].to_numpy(bool)
        if min(y[is_train].sum(), (~y[is_train]).sum(), y[is_val].sum(), (~y[is_val]).sum()) < 5:
            raise ValueError("the training or validation window lacks buyers or non-buyers")
        X, encoder = encode_per_cutoff(frame.loc[is_train | is_val], self.not_features)
        X_train, X_val = X.loc[frame.index[is_train]], X.loc[frame.index[is_val]]
        propensity = PurchasePropensity(
            self.candidates,
            svm_max_rows=self.svm_max_rows,
            random_state=self.random_state,
            blend_with="btyd_p_purchase" if "btyd_p_purchase" in X else None,
        )
        propensity.fit(X_train, y[is_train], X_val, y[is_val], refit=False)
        X_all, _ = encode_per_cutoff(frame.loc[is_all], self.not_features, encoder)
        self.encoder_ = encoder
        self.propensity_ = propensity.refit(X_all, y[is_all])  # on every cutoff
        self.features_ = list(X_all.columns)
        self.rows_ = int(is_all.sum())
        newest_first = sorted(refit_cutoffs, reverse=True)
        step = (newest_first[0] - newest_first[1]).days if len(newest_first) > 1 else 0
        labels_end = (validation_cutoff + _days(horizon_days)).date()
        self.labels_end_ = validation_cutoff + _days(horizon_days)  # the last label it saw
        self.training_window_ = (
            f"features before cutoffs {min(refit_cutoffs).date()} … {validation_cutoff.date()} "
            f"(every {step} days), labels up to {labels_end}; "
            f"validated on the cutoff {validation_cutoff.date()}"
        )
        self.validation_metrics_: dict[str, Any] = {
            "chosen": propensity.chosen_,
            "validation_auc": propensity.validation_auc_,
            "validation_brier": propensity.validation_brier_,
            "calibration": propensity.calibration_used_,
            "blend_weight_btyd": propensity.blend_weight_,
            "validation_auc_blended": propensity.blended_validation_auc_,
            "candidates": propensity.comparison_,
        }
        self._choose_published(frame, y, is_val, propensity)
        self._against_base_rate(y, is_train, is_val, is_all, propensity)
        self.parameters_ = {**propensity.params_, "features": self.features_}
        self._fit_revenue(frame, X_train, X_val, X_all, is_train, is_val, is_all,
                          propensity.validation_proba_)  # fmt: skip
        return self

    def _choose_published(self, frame, y, is_val, propensity) -> None:
        """The model's blended propensity, or BTYD's own P(purchase), whichever ranks the
        validation window better (ties keep the model): a published score never loses on
        validation to the baseline published beside it. BTYD's is then Platt-calibrated on
        that window (where BTYD has no score, the model's is kept)."""
        from crmine.evaluation import metrics
        from crmine.models._calibration import Platt

        self.published_, self.bgnbd_calibrator_ = "model", None
        model_auc = propensity.blended_validation_auc_
        self.validation_metrics_ |= {"published": "model", "validation_auc_model": model_auc}
        if "btyd_p_purchase" not in frame:
            return
        prior = frame.loc[is_val, "btyd_p_purchase"].to_numpy(float)
        known = np.isfinite(prior)
        if known.sum() < 2 or len(np.unique(y[is_val][known])) < 2:
            return
        calibrator = Platt().fit(prior[known], y[is_val][known])
        published = propensity.validation_proba_.copy()
        published[known] = calibrator(prior[known])
        bgnbd_auc = metrics.auc(y[is_val], published)
        self.validation_metrics_ |= {
            "bgnbd_validation_auc": metrics.auc(y[is_val][known], prior[known]),
            "validation_auc_bgnbd": bgnbd_auc,
        }
        if np.nan_to_num(bgnbd_auc, nan=-1) > np.nan_to_num(model_auc, nan=-1):
            self.published_, self.bgnbd_calibrator_ = "bgnbd", calibrator
            self.validation_metrics_ |= {
                "published": "bgnbd",
                "validation_brier": metrics.brier(y[is_val], published),
            }
        self.validation_metrics_["published_rule"] = (
            "higher validation AUC of the model (blended, calibrated) and BG/NBD's P(purchase) "
            "(Platt-calibrated on the validation window); ties keep the model"
        )

    def _against_base_rate(self, y, is_train, is_val, is_all, propensity) -> None:
        """Publish the base rate when the chosen score does not beat it on validation.

        Beating the base rate means ranking buyers above non-buyers better than chance: a
        validation AUC above 0.5 by more than 1.645 standard errors (Hanley & McNeil), so a
        model on purchases that carry no signal does not pass its noise off as knowledge.
        (Brier cannot decide it: a probability calibrated on the validation window always
        matches the base rate's Brier there.) The published base rate is the share of buyers
        over every cutoff the model is refit on.
        """
        from crmine.evaluation import metrics

        y_val = np.asarray(y[is_val], bool)
        key = "validation_auc_bgnbd" if self.published_ == "bgnbd" else "validation_auc_model"
        auc = float(self.validation_metrics_.get(key, float("nan")))
        se = metrics.auc_standard_error(auc, int(y_val.sum()), int((~y_val).sum()))
        self.base_rate_ = float(np.mean(y[is_all]))
        self.validation_metrics_["validation_auc_standard_error"] = se
        if not np.isfinite(auc) or auc <= 0.5 + 1.645 * np.nan_to_num(se, nan=0.0):
            self.published_ = "base rate"
            self.validation_metrics_["published"] = "base rate"
            self.validation_metrics_["published_rule"] = (
                "the chosen score ranked no better than chance on validation (AUC within 1.645 "
                "standard errors of 0.5): the base rate is published"
            )

    def _fit_revenue(self, frame, X_train, X_val, X_all, is_train, is_val, is_all, p_val):
        """Hurdle vs BTYD×GG vs their mean on the validation window; the hurdle refit."""
        from crmine.evaluation import metrics
        from crmine.models.clv import HurdleRevenue

        revenue = frame["revenue_in_horizon"].to_numpy(float)
        hurdle = HurdleRevenue(random_state=self.random_state)
        self.revenue_choice_, self.revenue_model_ = "bgnbd_gamma_gamma", None
        self.revenue_metrics_: dict[str, Any] = {}
        try:
            hurdle.fit(X_train, revenue[is_train], X_val, revenue[is_val])
            ml_val = hurdle.predict(X_val, p_val)
            options = {"hurdle": ml_val}
            if "btyd_expected_revenue" in frame:
                bt_val = frame.loc[is_val, "btyd_expected_revenue"].to_numpy(float)
                options |= {"bgnbd_gamma_gamma": bt_val, "blend": (ml_val + bt_val) / 2}
            truth = revenue[is_val]
            scored = {
                k: {
                    "spearman": metrics.spearman(truth, v),
                    "top_decile_capture": metrics.top_decile_capture(truth, v),
                    "mae": metrics.mae(truth, v),
                }
                for k, v in options.items()
            }
            self.revenue_metrics_ = scored
            self.revenue_choice_ = max(
                scored,
                key=lambda k: (np.nan_to_num(scored[k]["spearman"], nan=-1), -scored[k]["mae"]),
            )
            final = HurdleRevenue(n_estimators=hurdle.best_iteration_,
                                  random_state=self.random_state)  # fmt: skip
            self.revenue_model_ = final.fit(X_all, revenue[is_all])
        except ValueError as exc:
            self.revenue_metrics_ = {"hurdle": f"not fitted: {exc}"}
        self.hurdle_trees_ = hurdle.__dict__.get("best_iteration_")

    @property
    def validation_auc(self) -> float:
        """The validation AUC of the score this model publishes (0.5 for the base rate)."""
        self._check_fitted()
        if self.published_ == "base rate":
            return 0.5
        key = "validation_auc_bgnbd" if self.published_ == "bgnbd" else "validation_auc_model"
        return float(self.validation_metrics_.get(key, float("nan")))

    def predict(self, rows: pd.DataFrame) -> PurchaseForecast:
        """Scores for ``rows`` (one cutoff: the customers at as_of, labels unknown)."""
        from crmine.models.explain import top_reasons

        self._check_fitted()
        X, _ = encode_per_cutoff(rows, self.not_features, self.encoder_)
        p = self.propensity_.predict_proba(X)
        at = rows[["customer_id"]].copy()
        at["p_purchase"] = self._published(rows, p)
        at["revenue_ml"] = np.nan if self.revenue_model_ is None else self.revenue_model_.predict(X, p)
        contrib = self.contributions(X)
        reasons = top_reasons(contrib.to_numpy(), list(X.columns), X.copy(), k=self.reasons)
        if self.published_ == "base rate":  # nothing the published number follows from
            reasons = None
        return PurchaseForecast(at.reset_index(drop=True), reasons, self.revenue_choice_)

    def _published(self, rows: pd.DataFrame, p: np.ndarray) -> np.ndarray:
        """The published P(purchase): the model's ``p``, calibrated BTYD's where chosen, or
        the base rate when neither beat it on validation."""
        if self.published_ == "base rate":
            return np.full(len(p), self.base_rate_)
        if self.published_ != "bgnbd" or "btyd_p_purchase" not in rows:
            return p
        prior = rows["btyd_p_purchase"].to_numpy(float)
        known = np.isfinite(prior)
        out = np.asarray(p, float).copy()
        out[known] = self.bgnbd_calibrator_(prior[known])
        return out

    def contributions(self, X: pd.DataFrame):
        """Per-feature pushes toward the published churn risk (= away from buying)."""
        import pandas as pd

        self._check_fitted()
        return pd.DataFrame(-self.propensity_.contributions(X), index=X.index, columns=X.columns)

    def describe(self) -> ModelRecord:
        self._check_fitted()
        return ModelRecord("purchase_propensity", self.parameters_, self.training_window_,
                           self.rows_, self.validation_metrics_)  # fmt: skip

    def records(self) -> list[ModelRecord]:
        """The two rows this model adds to ``models``: propensity and horizon revenue."""
        revenue = ModelRecord(
            "horizon_revenue",
            {"chosen": self.revenue_choice_, "hurdle_trees": self.hurdle_trees_,
             "rule": "best validation Spearman, then MAE"},
            self.training_window_,
            self.rows_,
            self.revenue_metrics_,
        )  # fmt: skip
        return [self.describe(), revenue]


def _days(n: int):
    from datetime import timedelta

    return timedelta(days=n)


@dataclass
class Combined:
    """The published columns, the extra model records and the notes for the step's detail."""

    scores: pd.DataFrame
    records: list[ModelRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def combine_forecasts(
    btyd_scores: pd.DataFrame,
    btyd_record: ModelRecord | None,
    supervised: tuple[PurchaseValueModel, PurchaseForecast] | None,
    *,
    clv_days: int,
    annual_discount_rate: float,
    priced: bool = True,
    btyd_ranking: tuple[str, dict[str, Any]] | None = None,
) -> Combined:
    """Published columns from BTYD's forecasts (``btyd_scores``: customer_id, p_alive,
    p_purchase, expected_orders, expected_revenue, clv; only customer_id without BTYD) and
    the supervised model's. ``priced``: orders carry amounts; without them revenue and CLV
    are unknown (not 0), so none is published and value tiers rank expected orders."""
    from crmine.models._calibration import reorder
    from crmine.models.churn import noncontractual_risk

    out = Combined(btyd_scores[["customer_id"]].copy())
    pub = out.scores
    has_btyd = btyd_record is not None
    if has_btyd:
        pub["p_alive"] = btyd_scores["p_alive"].to_numpy()
        pub["expected_orders"] = btyd_scores["expected_orders"].to_numpy()
    choice = "bgnbd_gamma_gamma"
    ml = np.full(len(pub), np.nan)
    validation: dict[str, Any] = {}
    if supervised is not None:
        model, forecast = supervised
        records = model.records()
        at = forecast.scores
        pub = pub.merge(at[["customer_id", "p_purchase"]], on="customer_id", how="left")
        choice = forecast.revenue_choice
        ml = pub[["customer_id"]].merge(at, on="customer_id", how="left")["revenue_ml"]
        ml = ml.to_numpy(float)
        out.notes.append(
            f"propensity: {records[0].parameters['candidate']}, "
            f"validation AUC {records[0].metrics['validation_auc']:.3f}"
        )
        validation = {r.name: r.metrics for r in records}
        if has_btyd:
            bgnbd_auc = validation["purchase_propensity"].get("bgnbd_validation_auc")
            btyd_record = replace(
                btyd_record, metrics={**btyd_record.metrics, "validation_auc_p_purchase": bgnbd_auc}
            )
        out.records.extend(records)
    elif has_btyd:
        pub["p_purchase"] = btyd_scores["p_purchase"].to_numpy()
        if btyd_ranking is not None:  # without a supervised model: BTYD's better-ranking score
            by, measured = btyd_ranking
            if by == "expected_orders":
                pub["p_purchase"] = reorder(pub["p_purchase"].to_numpy(),
                                            btyd_scores["expected_orders"].to_numpy())  # fmt: skip
                out.notes.append("p_purchase ranked by BG/NBD's expected purchases (they "
                                 "ranked better on validation)")  # fmt: skip
            btyd_record = replace(btyd_record, metrics={**btyd_record.metrics, **measured})
    if btyd_record is not None:
        out.records.insert(0, btyd_record)
    if priced:
        choice = _revenue_and_clv(pub, btyd_scores, has_btyd, ml, choice, out, validation,
                                  clv_days=clv_days, rate=annual_discount_rate)  # fmt: skip
        out.notes.append(f"revenue from {choice}")
    else:
        _tiers_by_orders(pub, out)
        out.notes.append("orders carry no prices: no revenue or CLV, value tiers by expected orders")
    if "p_purchase" in pub:
        pub["churn_risk"] = noncontractual_risk(pub["p_purchase"].to_numpy(float))
    if supervised is not None and supervised[1].reasons is not None:
        forecast = supervised[1]
        lookup = dict(zip(forecast.scores["customer_id"], forecast.reasons, strict=True))
        pub["top_reasons"] = [lookup.get(c) for c in pub["customer_id"]]
    out.scores = pub
    return out


def _revenue_and_clv(
    pub: pd.DataFrame,
    scores: pd.DataFrame,
    has_btyd: bool,
    ml: np.ndarray,
    choice: str,
    out: Combined,
    validation: dict[str, Any],
    *,
    clv_days: int,
    rate: float,
) -> str:
    """expected_revenue from the chosen source, CLV and value tiers into ``pub``; the source."""
    from crmine.models.clv import value_tiers

    bt_rev = scores["expected_revenue"].to_numpy(float) if has_btyd else None
    revenue = {
        "hurdle": ml,
        "bgnbd_gamma_gamma": bt_rev,
        "blend": None if bt_rev is None else (ml + bt_rev) / 2,
    }.get(choice)
    if revenue is None or not np.isfinite(revenue).any():
        revenue, choice = bt_rev, "bgnbd_gamma_gamma"
    if revenue is None:
        return choice
    pub["expected_revenue"] = revenue
    if not has_btyd:
        return choice
    bt_clv = scores["clv"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stretch = np.where(bt_rev > 0, bt_clv / bt_rev, np.nan)
    btyd_wins = choice == "bgnbd_gamma_gamma"
    clv = bt_clv if btyd_wins else np.where(np.isfinite(stretch), revenue * stretch, bt_clv)
    pub["clv"] = clv
    pub["value_tier"] = value_tiers(clv)
    method = ("BTYD discounted CLV" if btyd_wins else
              "chosen horizon revenue × BTYD (discounted CLV / horizon revenue) per customer")  # fmt: skip
    out.records.append(ModelRecord(
        "clv",
        {"horizon_days": clv_days, "annual_discount_rate": rate, "horizon_revenue_from": choice,
         "method": method, "tiers": TIERS},
        "as the purchase models",
        len(pub),
        {"horizon_revenue_validation": validation.get("horizon_revenue", {}).get(choice)},
    ))  # fmt: skip
    return choice


def _tiers_by_orders(pub: pd.DataFrame, out: Combined) -> None:
    """Without prices: value tiers rank BG/NBD's expected orders in the horizon."""
    from crmine.models.clv import value_tiers

    if "expected_orders" not in pub:
        return
    pub["value_tier"] = value_tiers(pub["expected_orders"].to_numpy(float))
    out.records.append(ModelRecord(
        "clv",
        {"method": "orders carry no prices: no CLV; value tiers by BG/NBD expected orders in "
                   "the horizon", "tiers": TIERS},
        "as the purchase models",
        len(pub),
    ))  # fmt: skip
