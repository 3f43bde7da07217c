"""Bench: crmine BG/NBD + Gamma-Gamma against lifetimes and pymc-marketing, side by side.

    .venv/bin/python bench/btyd.py [--datasets DIR] [--repeats N]

Every library gets the same per-customer summary (crmine's ``summarise_transactions``) and
is scored the same way: log-likelihood of its parameters under the exact BG/NBD likelihood,
and its own predictions of each customer's holdout purchase occasions (MAE, Pearson
correlation, total predicted vs actual). A library that fails to import or fit is reported
and skipped. pymc-marketing is fitted by MAP with flat priors, i.e. maximum likelihood.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import time
import traceback
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from crmine.models import _btyd_math
from crmine.models.btyd import BetaGeoModel, GammaGammaModel, summarise_transactions

DEFAULT_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


# --------------------------------------------------------------------------- data


def cdnow_master(root: Path) -> pd.DataFrame:
    """23,570 customers, weeks, calibration 39 weeks to 1997-09-30, holdout 39 weeks."""
    c = pd.read_parquet(root / "cdnow" / "cdnow_master.parquet")
    return summarise_transactions(c["customer_id"], pd.to_datetime(c["date"], format="%Y%m%d"),
                                  c["dollar_value"], calibration_end="1997-09-30",
                                  observation_end="1998-06-30", unit_days=7)


def online_retail(root: Path) -> pd.DataFrame:
    """UCI Online Retail, days, calibration to 2011-09-09, 91-day holdout to 2011-12-09."""
    df = pd.read_parquet(root / "online_retail" / "online_retail.parquet",
                         columns=["InvoiceNo", "Quantity", "UnitPrice", "InvoiceDate", "CustomerID"])
    df = df[df["CustomerID"].notna() & ~df["InvoiceNo"].str.startswith("C") & (df["Quantity"] > 0)]
    return summarise_transactions(df["CustomerID"].astype("int64").astype(str), df["InvoiceDate"],
                                  df["Quantity"] * df["UnitPrice"], calibration_end="2011-09-09",
                                  observation_end="2011-12-09", unit_days=1)


def simulated(n: int, seed: int = 0) -> pd.DataFrame:
    """BG/NBD customers in days with known parameters (no holdout): a scale test."""
    truth = {"r": 0.5, "alpha": 40.0, "a": 0.7, "b": 3.0}
    rng = np.random.default_rng(seed)
    T = rng.integers(1, 731, n).astype(float)  # acquired over two years, whole days
    lam = rng.gamma(truth["r"], 1.0 / truth["alpha"], n)
    k = rng.poisson(lam * T)
    x = np.minimum(k, rng.geometric(rng.beta(truth["a"], truth["b"], n)))
    t_x = np.where(x > 0, np.ceil(T * rng.beta(np.maximum(x, 1), k - x + 1)), 0.0)
    t_x = np.minimum(t_x, T)  # purchase days are whole days, like real data
    return pd.DataFrame({"x": x.astype(float), "t_x": t_x, "T": T,
                         "monetary_value": np.where(x > 0, rng.gamma(6.0, 5.0, n), 0.0),
                         "x_star": np.nan, "duration_holdout": 90.0})


# --------------------------------------------------------------------------- contenders
# Each returns (params dict, predicted holdout purchases, GG params or None, fit seconds,
# GG fit seconds).


def _timed(fn: Callable[[], Any], repeats: int) -> tuple[Any, float]:
    best, out = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def run_crmine(s: pd.DataFrame, penalizer: float, repeats: int) -> dict[str, Any]:
    bg, fit_s = _timed(lambda: BetaGeoModel(penalizer).fit(s["x"], s["t_x"], s["T"]), repeats)
    gg, gg_s = _timed(lambda: GammaGammaModel(penalizer).fit(s["x"], s["monetary_value"]),
                      repeats)
    pred = bg.expected_purchases(s["duration_holdout"], s["x"], s["t_x"], s["T"])
    return {"params": bg.params_, "pred": pred, "gg": gg.params_, "fit_s": fit_s, "gg_s": gg_s}


def _import_lifetimes():
    """lifetimes 0.11 predates pandas 3; only warnings differ at import, so just import it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
    return lifetimes


def run_lifetimes(s: pd.DataFrame, penalizer: float, repeats: int) -> dict[str, Any]:
    lifetimes = _import_lifetimes()
    freq, rec, T = s["x"], s["t_x"], s["T"]
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # lifetimes prints the optimiser's state on failure
        bg, fit_s = _timed(
            lambda: lifetimes.BetaGeoFitter(penalizer_coef=penalizer).fit(freq, rec, T), repeats)
        pred = np.asarray(bg.conditional_expected_number_of_purchases_up_to_time(
            s["duration_holdout"].to_numpy(), freq.to_numpy(), rec.to_numpy(), T.to_numpy()))
        pos = (s["x"] > 0) & (s["monetary_value"] > 0)
        gg_params, gg_s = None, np.nan
        try:
            gg, gg_s = _timed(lambda: lifetimes.GammaGammaFitter(penalizer_coef=penalizer).fit(
                s.loc[pos, "x"], s.loc[pos, "monetary_value"]), repeats)
            gg_params = dict(gg.params_)
        except Exception as exc:  # report and carry on: the bench compares failures too
            print(f"    lifetimes GammaGammaFitter failed: {type(exc).__name__}: {exc}")
    return {"params": dict(bg.params_), "pred": pred, "gg": gg_params, "fit_s": fit_s,
            "gg_s": gg_s}


def run_pymc(s: pd.DataFrame, penalizer: float, repeats: int) -> dict[str, Any]:
    del repeats
    if penalizer:
        raise RuntimeError("pymc-marketing has no penalizer (its priors play that role)")
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel as PymcBetaGeo

    data = pd.DataFrame({"customer_id": np.arange(len(s)), "frequency": s["x"].to_numpy(),
                         "recency": s["t_x"].to_numpy(), "T": s["T"].to_numpy()})
    config = {name: Prior("HalfFlat") for name in ("r", "alpha", "a", "b")}

    def fit():
        model = PymcBetaGeo(model_config=config)
        model.fit(data=data, method="map", progressbar=False)
        return model

    logging.getLogger("pymc").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, fit_s = _timed(fit, 1)  # one fit: compiling the graph dominates anyway
        post = model.idata.posterior
        params = {k: float(post[k].values.ravel()[0]) for k in ("r", "alpha", "a", "b")}
        pred = model.expected_purchases(
            data, future_t=s["duration_holdout"].to_numpy()).values.ravel()
    return {"params": params, "pred": np.asarray(pred, float), "gg": None, "fit_s": fit_s,
            "gg_s": np.nan}


CONTENDERS = {"crmine": run_crmine, "lifetimes": run_lifetimes, "pymc-marketing": run_pymc}


# --------------------------------------------------------------------------- scoring


def score(s: pd.DataFrame, out: dict[str, Any]) -> dict[str, Any]:
    p = out["params"]
    params = np.array([p["r"], p["alpha"], p["a"], p["b"]], float)
    ll = float(_btyd_math.bgnbd_loglik(params, s["x"].to_numpy(), s["t_x"].to_numpy(),
                                       s["T"].to_numpy())[0].sum())
    pred, actual = out["pred"], s["x_star"].to_numpy()
    finite = np.isfinite(pred) & np.isfinite(actual)
    if not finite.any():  # simulated data: no holdout
        finite = np.isfinite(pred)
        actual = np.zeros_like(pred) * np.nan
    gg = out["gg"]
    return {
        "fit_s": out["fit_s"], "loglik": ll,
        "r": p["r"], "alpha": p["alpha"], "a": p["a"], "b": p["b"],
        "nan_pred": int((~np.isfinite(pred)).sum()),
        "mae": float(np.abs(pred[finite] - actual[finite]).mean()),
        "corr": float(np.corrcoef(pred[finite], actual[finite])[0, 1]),
        "pred_total": float(pred[finite].sum()), "actual_total": float(actual.sum()),
        "gg_s": out["gg_s"],
        "gg_p": gg["p"] if gg else np.nan, "gg_q": gg["q"] if gg else np.nan,
        "gg_v": gg["v"] if gg else np.nan,
    }


def prediction_robustness(s: pd.DataFrame) -> None:
    """Non-finite conditional expectations at awkward (but reachable) parameter values."""
    cases = {"a = 1 exactly": {"r": 0.5, "alpha": 10.0, "a": 1.0, "b": 3.0},
             "unidentified fit (huge r, alpha, a, b)":
                 {"r": 4.27e10, "alpha": 1.66e11, "a": 1.49e5, "b": 3.87e5}}
    x, t_x, T = (s[c].to_numpy() for c in ("x", "t_x", "T"))
    print(f"non-finite holdout predictions out of {len(s)} (online_retail, t = 91 days):")
    for label, params in cases.items():
        ours = BetaGeoModel()
        ours.params_ = params
        counts = [f"crmine {int((~np.isfinite(ours.expected_purchases(91, x, t_x, T))).sum())}"]
        try:
            lifetimes = _import_lifetimes()
            theirs = lifetimes.BetaGeoFitter()
            theirs.params_ = pd.Series(params)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                pred = np.asarray(theirs.conditional_expected_number_of_purchases_up_to_time(
                    91, x, t_x, T), float)
            counts.append(f"lifetimes {int((~np.isfinite(pred)).sum())}")
        except Exception as exc:
            counts.append(f"lifetimes failed: {type(exc).__name__}")
        print(f"    {label}: " + ", ".join(counts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--repeats", type=int, default=3, help="fits per contender; best time")
    parser.add_argument("--simulated", type=int, default=200_000,
                        help="customers in the simulated scale test (0 to skip)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="    %(name)s: %(message)s")
    runs = [("cdnow_master", cdnow_master, 0.0), ("online_retail", online_retail, 0.0),
            ("online_retail", online_retail, 0.001)]
    if args.simulated:
        runs.append((f"simulated_{args.simulated}", lambda _: simulated(args.simulated), 0.0))
    rows: list[dict[str, Any]] = []
    cache: dict[str, pd.DataFrame] = {}
    for name, load, penalizer in runs:
        if name not in cache:
            cache[name] = load(args.datasets)
        s = cache[name]
        print(f"{name}: {len(s)} customers, penalizer {penalizer}")
        for lib, run in CONTENDERS.items():
            try:
                result = score(s, run(s, penalizer, args.repeats))
            except Exception as exc:
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                print(f"    {lib} failed: {type(exc).__name__}: {reason}")
                logging.debug(traceback.format_exc())
                continue
            rows.append({"data": name, "pen": penalizer, "library": lib, **result})
    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 250, "display.max_columns", 30,
                           "display.float_format", "{:.4g}".format):
        print(table.to_string(index=False))
    if "online_retail" in cache:
        prediction_robustness(cache["online_retail"])
    for (name, pen), group in table.groupby(["data", "pen"], sort=False):
        ours = group.loc[group["library"] == "crmine", "fit_s"]
        for _, other in group[group["library"] != "crmine"].iterrows():
            if len(ours):
                print(f"{name} pen={pen}: crmine BG/NBD fit {other['fit_s'] / ours.iloc[0]:.1f}x "
                      f"faster than {other['library']}")


if __name__ == "__main__":
    main()
