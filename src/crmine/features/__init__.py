"""Point-in-time customer features and labels, expressed once in Ibis for every engine.

Nothing at or after ``as_of`` (or a label window's end) is read. Ibis is imported only when
a function runs, so importing this package stays cheap.

Every function takes Ibis tables; on a warehouse connection::

    backend = engine.ibis()   # engine: crmine.engine.Engine (e.g. from Workspace.connect())
    features = customer_features(backend.table("orders"), as_of).to_pandas()
"""

from crmine.features.customer import (
    DEFAULT_TREND_DAYS,
    DEFAULT_WINDOWS,
    PII_COLUMNS,
    customer_attributes,
    customer_features,
    known_customer_features,
    known_customers,
    rfm_features,
)
from crmine.features.labels import LABELS, horizon_labels, training_frame
from crmine.schema.features import FEATURES, SERVICE_FEATURES, describe

__all__ = [
    "DEFAULT_TREND_DAYS",
    "DEFAULT_WINDOWS",
    "FEATURES",
    "LABELS",
    "PII_COLUMNS",
    "SERVICE_FEATURES",
    "customer_attributes",
    "customer_features",
    "describe",
    "horizon_labels",
    "known_customer_features",
    "known_customers",
    "rfm_features",
    "training_frame",
]
