"""Text models for the voice of the customer: language routing, sentiment and topics.

Offers `detect_language`, `SentimentModel` (with `load_default` for the shipped Chinese and English
models) and `extract_topics`. Importing this package is cheap: scikit-learn and jieba load lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmine.models.text._language import detect_language

if TYPE_CHECKING:
    from crmine.models.text._sentiment import SentimentModel, load_default
    from crmine.models.text._topics import TopicResult, extract_topics

__all__ = ["SentimentModel", "TopicResult", "detect_language", "extract_topics", "load_default"]

_LAZY = {
    "SentimentModel": "crmine.models.text._sentiment",
    "load_default": "crmine.models.text._sentiment",
    "extract_topics": "crmine.models.text._topics",
    "TopicResult": "crmine.models.text._topics",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
