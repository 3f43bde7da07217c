"""The one contract every crmine model follows (scikit-learn's, plus a record of itself).

- ``__init__`` only stores parameters, under the names of its arguments.
- ``fit(...)`` learns, stores learned state in attributes ending in ``_`` and returns self.
  Time is a keyword argument: ``fit(data, as_of=...)`` where the model is time-aware; the
  horizon, like every other parameter, is given to ``__init__``.
- ``get_params()`` / ``set_params()`` come from the ``__init__`` signature (this base).
- Using an unfitted model raises :class:`NotFittedError` with a clear message
  (``self._check_fitted()``; one implementation here).
- ``describe()`` gives the :class:`ModelRecord` of the ``models`` table: parameters,
  training window, rows and validation metrics.
- ``contributions(X)`` (where a model explains itself) returns a frame of per-feature
  pushes, one column per feature, **towards the published score** (e.g. towards churn
  risk for a churn model, towards buying for a purchase model), in log-odds units.
- Scoring takes data, never ids of stored state.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Self


class NotFittedError(ValueError, AttributeError):
    """A model was used before ``fit``."""


@dataclass(frozen=True)
class ModelRecord:
    """One row of the published ``models`` table."""

    name: str
    parameters: dict[str, Any]
    training_window: str
    rows: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


class Estimator:
    """Shared base: parameters from the signature, one fitted check, a default record."""

    #: the ``models`` table name of this family; a class may override ``describe``.
    record_name: str = ""

    @classmethod
    def _param_names(cls) -> list[str]:
        init = cls.__init__
        if init is object.__init__:
            return []
        params = inspect.signature(init).parameters.values()
        return [
            p.name
            for p in params
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The ``__init__`` arguments as stored (scikit-learn's ``get_params``)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {key!r}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    @property
    def is_fitted(self) -> bool:
        """Fitted when any learned attribute (a name ending in one ``_``) is set."""
        return any(k.endswith("_") and not k.startswith("__") for k in vars(self))

    def __getattr__(self, name: str) -> Any:
        """A learned attribute (``rules_``, ``params_``, …) read before fit: say so clearly."""
        if name.endswith("_") and not name.startswith("__"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(...) before reading "
                f"{name}"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(...) before using it"
            )

    def describe(self) -> ModelRecord:
        """The model's row of the ``models`` table (families add their window and metrics)."""
        self._check_fitted()
        return ModelRecord(self.record_name or type(self).__name__, _plain(self.get_params()), "")


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as JSON-friendly values (tuples and sets as lists)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, tuple | set | frozenset):
            value = list(value)
        out[key] = value
    return out
