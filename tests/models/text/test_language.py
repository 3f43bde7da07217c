"""Language routing on mixed inputs, including the edge cases feedback tables really contain."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from crmine.models.text import detect_language


def test_mixed_inputs() -> None:
    texts = [
        "质量很好，物流也快",
        "Not good at all",
        "iPhone 很好用",  # a brand name inside Chinese text is still Chinese
        "I love my trip to 北京 very much",
        "",
        None,
        float("nan"),
        "   ",
        "😀👍",
        "12345 !!!",
        "こんにちは",  # kana only: neither language
        "ＧＯＯＤ",  # full-width Latin letters are not counted; no CJK either
    ]
    expected = ["zh", "en", "zh", "en", "unknown", "unknown", "unknown", "unknown", "unknown",
                "unknown", "unknown", "unknown"]  # fmt: skip
    out = detect_language(texts)
    assert out.dtype.kind == "U"
    assert out.tolist() == expected


def test_accepts_series_with_index_and_is_positional() -> None:
    s = pd.Series(["好", "bad"], index=[10, 3])
    assert detect_language(s).tolist() == ["zh", "en"]


def test_empty_input() -> None:
    assert detect_language([]).shape == (0,)


def test_fast_on_100k_texts() -> None:
    texts = np.array(["这个产品非常好用，推荐购买", "Terrible support, never again", None] * 33_334)
    t0 = time.perf_counter()
    out = detect_language(texts)
    assert time.perf_counter() - t0 < 5.0  # ~0.5 s on one idle core; generous for shared CI
    assert (out[:3] == ["zh", "en", "unknown"]).all()


def test_package_import_is_cheap() -> None:
    import subprocess
    import sys

    code = (
        "import sys, crmine.models.text as t; t.detect_language(['好']); "
        "print(any(m.split('.')[0] in ('sklearn', 'jieba', 'scipy') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
