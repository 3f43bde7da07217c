"""The binary classifiers the propensity and churn models choose from, behind one interface.

Each candidate has ``fit(X, y, X_val=None, y_val=None)``, ``score(X)`` (a probability-like
number in [0, 1], higher = more likely; only the ranking matters before calibration) and
``contributions(X)`` (per-feature attributions in log-odds, shape (n, p), or None when the
model has none of its own). X is a float frame (NaN allowed).

Linear candidates (logistic, SVM) see ``sign(x)·log(1+|x|)`` of every column, medians for
gaps, then standard scores: revenue-like columns are heavy-tailed, and a log keeps one
wholesaler from setting the slope for everyone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from crmine.models._threads import single_thread as single_thread  # one home, used here

if TYPE_CHECKING:
    import pandas as pd

CANDIDATES: tuple[str, ...] = ("logistic", "tree", "forest", "svm", "lightgbm")


def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


def linear_prep():
    """Signed log, median imputation and standard scores: the linear models' inputs."""
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    return make_pipeline(
        FunctionTransformer(_signed_log),
        SimpleImputer(strategy="median", keep_empty_features=True),
        StandardScaler(),
    )


def _as_array(X: pd.DataFrame | np.ndarray) -> np.ndarray:
    return np.asarray(X, dtype=float)


class Candidate:
    name = "base"

    def __init__(self, random_state: int = 0, **params: Any) -> None:
        self.random_state = random_state
        self.params = params

    def fit(self, X, y, X_val=None, y_val=None) -> Candidate:  # pragma: no cover - interface
        raise NotImplementedError

    def score(self, X) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def contributions(self, X) -> np.ndarray | None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"candidate": self.name, **self.params}


class Logistic(Candidate):
    name = "logistic"

    def fit(self, X, y, X_val=None, y_val=None) -> Logistic:
        from sklearn.linear_model import LogisticRegression

        self.prep_ = linear_prep().fit(_as_array(X))
        C = self.params.get("C", 0.1)
        self.model_ = LogisticRegression(C=C, max_iter=500).fit(
            self.prep_.transform(_as_array(X)), np.asarray(y, bool)
        )
        return self

    def score(self, X) -> np.ndarray:
        return self.model_.predict_proba(self.prep_.transform(_as_array(X)))[:, 1]

    def contributions(self, X) -> np.ndarray:
        # Standard scores are centred on the training mean: coef·z is each feature's push
        # away from the average customer's log-odds.
        return self.prep_.transform(_as_array(X)) * self.model_.coef_[0]


class Tree(Candidate):
    name = "tree"

    def fit(self, X, y, X_val=None, y_val=None) -> Tree:
        from sklearn.tree import DecisionTreeClassifier

        self.model_ = DecisionTreeClassifier(
            max_depth=self.params.get("max_depth", 6), min_samples_leaf=50,
            random_state=self.random_state,
        ).fit(_as_array(X), np.asarray(y, bool))
        return self

    def score(self, X) -> np.ndarray:
        return _positive(self.model_, _as_array(X))


class Forest(Candidate):
    name = "forest"

    def fit(self, X, y, X_val=None, y_val=None) -> Forest:
        from sklearn.ensemble import RandomForestClassifier

        self.model_ = RandomForestClassifier(
            n_estimators=self.params.get("n_estimators", 60), min_samples_leaf=20,
            max_depth=12, max_features="sqrt", max_samples=0.5, n_jobs=1,
            random_state=self.random_state,
        ).fit(_as_array(X), np.asarray(y, bool))
        return self

    def score(self, X) -> np.ndarray:
        return _positive(self.model_, _as_array(X))


class Svm(Candidate):
    """RBF support-vector machine on a random sample (its cost grows with rows squared)."""

    name = "svm"

    def fit(self, X, y, X_val=None, y_val=None) -> Svm:
        from sklearn.svm import SVC

        X, y = _as_array(X), np.asarray(y, bool)
        rows = self.params.get("max_rows", 2000)
        if len(X) > rows:
            pick = np.random.default_rng(self.random_state).choice(len(X), rows, replace=False)
            X, y = X[pick], y[pick]
        self.prep_ = linear_prep().fit(X)
        self.model_ = SVC(C=1.0, gamma="scale", class_weight="balanced").fit(
            self.prep_.transform(X), y
        )
        return self

    def score(self, X) -> np.ndarray:
        margin = self.model_.decision_function(self.prep_.transform(_as_array(X)))
        return 1.0 / (1.0 + np.exp(-margin))


class Gbm(Candidate):
    """LightGBM; early stopping on the validation set when given, else a fixed size."""

    name = "lightgbm"

    def fit(self, X, y, X_val=None, y_val=None) -> Gbm:
        import lightgbm as lgb

        n_trees = self.params.get("n_estimators", 300)
        self.model_ = lgb.LGBMClassifier(
            n_estimators=n_trees, learning_rate=self.params.get("learning_rate", 0.05),
            num_leaves=self.params.get("num_leaves", 15), min_child_samples=40,
            subsample=0.8, subsample_freq=1, colsample_bytree=0.8, reg_lambda=5.0,
            random_state=self.random_state, n_jobs=1, verbose=-1,
        )
        kwargs: dict[str, Any] = {}
        if X_val is not None and y_val is not None and len(np.unique(y_val)) == 2:
            kwargs = {
                "eval_X": (_as_array(X_val),), "eval_y": (np.asarray(y_val, bool),),
                "callbacks": [lgb.early_stopping(30, verbose=False)],
            }
        self.model_.fit(_as_array(X), np.asarray(y, bool), **kwargs)
        best = self.model_.best_iteration_ or n_trees
        self.params = {**self.params, "n_estimators": int(best)}
        return self

    def score(self, X) -> np.ndarray:
        return self.model_.predict_proba(_as_array(X))[:, 1]

    def contributions(self, X) -> np.ndarray:
        return self.model_.predict_proba(_as_array(X), pred_contrib=True)[:, :-1]


def _positive(model, X: np.ndarray) -> np.ndarray:
    proba = model.predict_proba(X)
    classes = list(model.classes_)
    return proba[:, classes.index(True)] if True in classes else np.zeros(len(X))


_KINDS: dict[str, type[Candidate]] = {
    c.name: c for c in (Logistic, Tree, Forest, Svm, Gbm)
}


def make(name: str, random_state: int = 0, **params: Any) -> Candidate:
    """A fresh candidate by name; ValueError for an unknown one."""
    if name not in _KINDS:
        raise ValueError(f"unknown model candidate {name!r}; choose from {sorted(_KINDS)}")
    return _KINDS[name](random_state=random_state, **params)
