"""Champion and challenger: keep the previous run's purchase model when it validates better.

A retrained model is not always the better one: a short or unusual validation window, a
data problem upstream or plain noise can make it rank customers worse than the model that
is already published. With ``[models] promote = "if_better"`` the model the previous run
published (the champion) also scores this run's validation window, and it stays when it
ranks that window better than the retrained model (the challenger) did when it was
validated there, before its final refit.

The comparison is honest only when the champion never saw that window's labels: its
training labels must end at or before the validation cutoff. Otherwise (runs closer
together than the horizon) the champion would be judged on answers it learned, so the
challenger is promoted and the reason says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crmine.models.base import NotFittedError

if TYPE_CHECKING:
    import pandas as pd

    from crmine.models.purchase import PurchaseValueModel

__all__ = ["Promotion", "challenge"]


@dataclass(frozen=True)
class Promotion:
    """The decision between the previous run's model and the retrained one."""

    kept_champion: bool
    reason: str
    challenger_auc: float
    champion_auc: float | None = None
    champion_run: str = ""

    def as_metrics(self) -> dict[str, Any]:
        """The decision as it is recorded in the ``models`` row."""
        return {
            "decision": "kept the previous model" if self.kept_champion else "retrained",
            "reason": self.reason,
            "champion_run": self.champion_run,
            "champion_validation_auc": self.champion_auc,
            "challenger_validation_auc": self.challenger_auc,
        }


def challenge(
    champion: PurchaseValueModel,
    challenger: PurchaseValueModel,
    validation_rows: pd.DataFrame,
    validation_cutoff: datetime,
    champion_run: str,
) -> Promotion:
    """Compare both on the rows of ``validation_cutoff`` (features and ``purchased`` labels).

    Ties keep the challenger: it has seen the newer data.
    """
    from crmine.evaluation import metrics

    new_auc = challenger.validation_auc
    try:
        labels_end = champion.labels_end_
    except (NotFittedError, AttributeError):
        return Promotion(False, "the previous model records no training window", new_auc,
                         champion_run=champion_run)  # fmt: skip
    if labels_end > validation_cutoff:
        return Promotion(
            False,
            f"not compared: the previous model learned labels up to {labels_end.date()}, "
            f"inside this validation window (from {validation_cutoff.date()})",
            new_auc,
            champion_run=champion_run,
        )
    try:
        p_old = champion.predict(validation_rows).scores["p_purchase"].to_numpy(float)
    except (KeyError, ValueError, NotFittedError) as exc:
        return Promotion(False, f"not compared: the previous model cannot score these rows "
                         f"({type(exc).__name__}: {exc})", new_auc, champion_run=champion_run)
    old_auc = float(metrics.auc(validation_rows["purchased"].to_numpy(bool), p_old))
    better = math.isfinite(old_auc) and (not math.isfinite(new_auc) or old_auc > new_auc)
    verdict = "ranks it better" if better else "ranks it no better"
    return Promotion(
        better,
        f"on the validation window from {validation_cutoff.date()} the previous model "
        f"{verdict} (AUC {old_auc:.4f} vs {new_auc:.4f} retrained)",
        new_auc,
        old_auc,
        champion_run,
    )
