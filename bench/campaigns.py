"""Campaign response and uplift: crmine's campaigns step against plain baselines.

    .venv/bin/python bench/campaigns.py [--seed 0] [--margin 0.3] [--cost 0.1] [--only hillstrom ifood]

Both data sets go through the product as a user would: the file is ingested as customers
with the held-out outcomes blanked, ``crmine run`` (its campaigns step) scores the customers
without an outcome, and the published ``campaign_scores`` are judged against the outcomes
that were withheld.

* Hillstrom (64,000 customers, randomised: men's e-mail, women's e-mail, no e-mail). A seeded
  50/50 split of customers; the scoring half's visit, conversion and spend are withheld. Per
  arm against the no-e-mail control, on the scoring half: uplift@30 %, Qini coefficient and
  AUUC (areas above random targeting, per customer) of crmine's published ranking, beside
  an S-learner on LightGBM and a T-learner on logistic regression (library defaults, same
  features, same training half), the response model as a targeting rule (crmine's response
  model on the arm's contacted customers) and random targeting. Then the realised profit of
  contacting the customers crmine targets vs everyone vs no one: incremental responses
  (response rate of the contacted minus the held-out among those chosen, times how many),
  × margin × revenue per response − cost per contact.
* iFood (2,240 customers all contacted, no control group). 30 % of customers' Response
  withheld (seeded); AUC of the published p_response on them beside logistic regression and
  LightGBM (library defaults, same features), recency and the count of earlier campaigns
  accepted.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from crmine.evaluation import metrics
from crmine.evaluation import uplift as U

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
HILLSTROM_FEATURES = ["recency", "history_segment", "history", "mens", "womens", "zip_code",
                      "newbie", "channel"]  # fmt: skip
CONTROL = "No E-Mail"


def run_campaigns(frame: pd.DataFrame, root: Path, **settings) -> tuple[pd.DataFrame, list]:
    """Ingest ``frame`` as customers into a fresh workspace, run the campaigns step, return the
    published campaign_scores and the models' records."""
    from crmine.config.edit import set_settings
    from crmine.engine import Workspace
    from crmine.pipeline.ingest import ingest
    from crmine.pipeline.run import run, steps_named
    from crmine.pipeline.snapshots import SnapshotStore

    ws = Workspace.init(root / "ws")
    path = root / "customers.parquet"
    frame.to_parquet(path, index=False)
    ingest(ws, "customers", path)
    set_settings(ws.config_path, "campaigns", **settings)
    ws = Workspace.open(ws.root)
    run(ws, steps=steps_named("campaigns"))
    snap = SnapshotStore(ws.snapshots_dir).require_current()
    models = snap.read("models")
    return snap.read("campaign_scores"), [
        {"name": r["name"], "parameters": json.loads(r["parameters"]),
         "metrics": json.loads(r["metrics"])} for _, r in models.iterrows()
    ]  # fmt: skip


def _design(frame: pd.DataFrame) -> np.ndarray:
    """One-hot text, numbers as they are: the plain baselines' features."""
    return pd.get_dummies(frame, dtype=float).astype(float).to_numpy()


def _logistic():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression(max_iter=2000))


def _lightgbm():
    import lightgbm as lgb

    return lgb.LGBMClassifier(n_jobs=1, verbose=-1, random_state=0)


def s_learner_lightgbm(X, y, t, X_new) -> np.ndarray:
    model = _lightgbm().fit(np.column_stack([X, t.astype(float)]), y)
    on = np.column_stack([X_new, np.ones(len(X_new))])
    off = np.column_stack([X_new, np.zeros(len(X_new))])
    return model.predict_proba(on)[:, 1] - model.predict_proba(off)[:, 1]


def t_learner_logistic(X, y, t, X_new) -> np.ndarray:
    treated, control = _logistic().fit(X[t], y[t]), _logistic().fit(X[~t], y[~t])
    return treated.predict_proba(X_new)[:, 1] - control.predict_proba(X_new)[:, 1]


def realised_profit(y, t, chosen, *, revenue, margin, cost) -> float:
    """Profit of contacting ``chosen`` customers of a randomised sample: their incremental
    response rate (contacted minus held out among them) × how many × value − cost."""
    chosen = np.asarray(chosen, bool)
    n = int(chosen.sum())
    if n == 0:
        return 0.0
    y, t = np.asarray(y, float)[chosen], np.asarray(t, bool)[chosen]
    lift = y[t].mean() - y[~t].mean()
    return float(n * (lift * margin * revenue - cost))


def hillstrom(seed: int, margin: float, cost: float) -> None:
    from crmine.models.campaigns import ResponseModel

    raw = pd.read_parquet(DATA / "hillstrom_email" / "hillstrom_email.parquet")
    raw.insert(0, "customer_id", [f"H{i:05d}" for i in range(len(raw))])
    scoring = np.random.default_rng(seed).random(len(raw)) < 0.5
    for outcome, other in (("visit", "conversion"), ("conversion", "visit")):
        blanked = raw.astype({c: "Float64" for c in ("visit", "conversion", "spend")})
        blanked.loc[scoring, ["visit", "conversion", "spend"]] = pd.NA
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            scores, models = run_campaigns(
                blanked, Path(tmp), outcome_columns=[outcome], revenue_column="spend",
                post_send_columns=[other], margin=margin, cost_per_contact=cost)
        took = time.perf_counter() - started
        print(f"\nHillstrom, outcome = {outcome}, seed {seed}: training half "
              f"{int((~scoring).sum()):,}, scoring half {int(scoring.sum()):,}; ingest + "
              f"campaigns step {took:.1f} s")  # fmt: skip
        header = (f"{'arm':<14} {'ranking':<34} {'uplift@30%':>10} {'qini':>8} {'auuc':>8}")
        print(header)
        for arm in ("Mens E-Mail", "Womens E-Mail"):
            record = next(m for m in models if m["parameters"]["campaign_id"] == arm)
            in_arm = raw["segment"].isin([arm, CONTROL]).to_numpy()
            train, test = in_arm & ~scoring, in_arm & scoring
            y, t = raw[outcome].to_numpy(bool), (raw["segment"] == arm).to_numpy()
            X = _design(raw[HILLSTROM_FEATURES])
            got = scores[scores["campaign_id"] == arm].set_index("customer_id")
            got = got.loc[raw.loc[test, "customer_id"]]
            claimed = record["metrics"]["uplift_claimed"]
            ours = got["uplift"].to_numpy() if claimed else got["p_response"].to_numpy()
            response = ResponseModel().fit(raw.loc[train & t, HILLSTROM_FEATURES],
                                           y[train & t]).predict_proba(
                                               raw.loc[test, HILLSTROM_FEATURES])  # fmt: skip
            rankings = {
                f"crmine ({record['parameters']['chosen']}"
                f"{'' if claimed else ', uplift not claimed'})": ours,
                "S-learner LightGBM (defaults)": s_learner_lightgbm(X[train], y[train],
                                                                    t[train], X[test]),
                "T-learner logistic (defaults)": t_learner_logistic(X[train], y[train],
                                                                    t[train], X[test]),
                "response model as targeting": response,
                "random": np.zeros(int(test.sum())),
            }  # fmt: skip
            yt, tt = y[test], t[test]
            for name, s in rankings.items():
                at30 = U.uplift_at_k(yt, tt, s, 0.3 if name != "random" else 1.0)
                print(f"{arm:<14} {name:<34} {at30:>10.4f} {U.qini_coefficient(yt, tt, s):>8.4f} "
                      f"{U.auuc(yt, tt, s):>8.4f}")  # fmt: skip
            lo, hi = record["metrics"]["intervals_90"]["chosen"]["qini"]
            print(f"{'':<14} validation (training half, out of fold): Qini {record['metrics']['cv_qini']:.4f} "
                  f"[90 % {lo:.4f}, {hi:.4f}] vs response model "
                  f"{record['metrics']['response_rule']['qini']:.4f}")  # fmt: skip
            revenue = record["metrics"]["revenue_per_response"]
            kw = {"revenue": revenue, "margin": margin, "cost": cost}
            policies = {"crmine target": got["target"].to_numpy(bool),
                        "everyone": np.ones(len(got), bool), "no one": np.zeros(len(got), bool)}
            profit = {k: realised_profit(yt, tt, v, **kw) for k, v in policies.items()}
            print(f"{'':<14} realised profit on the scoring half (revenue/response {revenue:.2f}, "
                  f"margin {margin}, cost {cost}): " + ", ".join(
                      f"{k} {v:,.0f} ({int(policies[k].sum()):,} contacted)"
                      for k, v in profit.items()))  # fmt: skip
            moved = [g for g in record["metrics"].get("by_segment", [])
                     if g["uplift_90"] and g["uplift_90"][0] > 0]
            moved.sort(key=lambda g: -g["uplift"])
            print(f"{'':<14} moved most (training half, contacted vs held out): " + (", ".join(
                f"{g['attribute']} {g['level']} {g['uplift']:+.1%}" for g in moved[:3])
                or "no segment beyond the noise"))  # fmt: skip


def ifood(seed: int) -> None:
    raw = pd.read_parquet(DATA / "ifood_marketing_campaign" / "ifood_marketing_campaign.parquet")
    held = np.random.default_rng(seed).random(len(raw)) < 0.3
    blanked = raw.astype({"Response": "Float64"})
    blanked.loc[held, "Response"] = pd.NA
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        scores, models = run_campaigns(blanked, Path(tmp))
    took = time.perf_counter() - started
    record = next(m for m in models if m["name"] == "campaign_response")
    got = scores.set_index("customer_id")["p_response"]
    y = raw.loc[held, "Response"].to_numpy(bool)
    ours = got.loc[raw.loc[held, "ID"].astype(str)].to_numpy()
    feats = raw.drop(columns=["ID", "Response"]).assign(
        Dt_Customer=(pd.Timestamp("2014-12-31") - pd.to_datetime(raw["Dt_Customer"])).dt.days)
    X = _design(feats)
    tr = ~held
    lr = _logistic().fit(X[tr], raw.loc[tr, "Response"]).predict_proba(X[held])[:, 1]
    gbm = _lightgbm().fit(X[tr], raw.loc[tr, "Response"]).predict_proba(X[held])[:, 1]
    accepted = raw.filter(like="AcceptedCmp").sum(axis=1).to_numpy()[held]
    print(f"\niFood Response, seed {seed}: {int(tr.sum()):,} customers with an outcome, "
          f"{int(held.sum()):,} withheld; ingest + campaigns step {took:.1f} s")
    rows = {
        f"crmine p_response ({record['parameters']['chosen']}, "
        f"{record['parameters']['calibration']})": ours,
        "logistic regression (defaults)": lr,
        "LightGBM (defaults)": gbm,
        "earlier campaigns accepted": accepted,
        "recency (fewer days first)": -raw.loc[held, "Recency"].to_numpy(),
    }
    print(f"{'ranking':<44} {'AUC':>6} {'Brier':>7}")
    for name, s in rows.items():
        brier = metrics.brier(y, s) if name.startswith(("crmine", "logistic", "LightGBM")) else np.nan
        print(f"{name:<44} {metrics.auc(y, s):>6.3f} {brier:>7.4f}")
    print(f"mean p_response {ours.mean():.3f} vs response rate {y.mean():.3f}; validation AUC "
          f"{record['metrics']['cv_auc']:.3f} (baseline {record['parameters']['baseline_column']} "
          f"{record['metrics']['baseline_cv_auc']:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--margin", type=float, default=0.3)
    parser.add_argument("--cost", type=float, default=0.1)
    parser.add_argument("--only", nargs="*", choices=["hillstrom", "ifood"],
                        default=["hillstrom", "ifood"])
    args = parser.parse_args()
    if "ifood" in args.only:
        ifood(args.seed)
    if "hillstrom" in args.only:
        hillstrom(args.seed, args.margin, args.cost)


if __name__ == "__main__":
    main()
