"""Voice sections: built from published-table views, omitted with a reason when data is absent."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from crmine.engine import Engine
from crmine.engine.duck import DuckDBEngine
from crmine.report import build_report
from crmine.report.context import ReportContext
from crmine.report.data import inspect_tables
from crmine.report.fmt import Money
from crmine.report.sections import SECTIONS, Omitted, SectionContent
from crmine.report.sections_voice import (
    drivers_section,
    nps_section,
    sentiment_section,
    topics_section,
)

VOICE_IDS = ["voice_sentiment", "voice_topics", "voice_nps", "voice_drivers"]


def _tables() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 120
    ts = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 90, n), unit="D")
    sent = rng.uniform(-1, 1, n)
    scores = pd.DataFrame({
        "feedback_id": [f"f{i}" for i in range(n)], "customer_id": None, "ts": ts,
        "kind": "nps", "score": rng.integers(0, 11, n).astype(float),
        "language": rng.choice(["en", "zh"], n), "sentiment": sent,
        "sentiment_label": np.where(sent < -0.1, "negative", np.where(sent > 0.1, "positive", "neutral")),
        "topics": [["en: delivery / late"] if s < 0 else [] for s in sent],
    })  # fmt: skip
    topics = pd.DataFrame({"topic": ["en complaint: delivery / late", "en: price / cheap"],
                           "language": "en", "kind": ["complaint", "theme"],
                           "top_terms": [["delivery", "late"], ["price", "cheap"]], "n": [40, 25],
                           "share": [0.6, 0.4], "mean_sentiment": [-0.6, 0.5],
                           "share_negative": [0.9, 0.1]})  # fmt: skip
    summary = pd.DataFrame({
        "dimension": ["all", "all", "month", "month", "month", "month", "rfm_segment"],
        "value": ["all", "all", "2024-01", "2024-02", "2024-01", "2024-02", "Champions"],
        "metric": ["nps", "csat", "nps", "nps", "csat", "csat", "nps"],
        "n": [120, 60, 50, 70, 30, 30, 20], "score": [12.0, 80.0, 5.0, 17.0, 75.0, 85.0, 40.0],
    })  # fmt: skip
    drivers = pd.DataFrame({
        "scale": ["nps", "nps"], "driver": ['"en: delivery / late"', "variation = White"],
        "kind": ["topic", "attribute"], "effect": [-1.3, 0.1], "ci_low": [-1.8, -0.3],
        "ci_high": [-0.8, 0.5], "n": [40, 30], "significant": [True, False],
        "sentence": ['Mentions of "en: delivery / late" lower the score by 1.30 points.', "x"],
    })  # fmt: skip
    return {"feedback_scores": scores, "feedback_topics": topics, "voice_summary": summary,
            "voice_drivers": drivers}  # fmt: skip


def _ctx(con: Engine) -> ReportContext:
    names = ["feedback_scores", "feedback_topics", "voice_summary", "voice_drivers"]
    return ReportContext(con=con, as_of=date(2024, 5, 1), money=Money(),
                         tables=inspect_tables(con, names))  # fmt: skip


@pytest.fixture
def con() -> Engine:
    c = DuckDBEngine.memory()
    for name, frame in _tables().items():
        c.write(name, frame)
    return c


def test_sections_are_registered():
    ids = [s.id for s in SECTIONS]
    assert all(i in ids for i in VOICE_IDS)


def test_sections_build_charts_and_figures(con):
    ctx = _ctx(con)
    sent = sentiment_section.build(ctx)
    assert isinstance(sent, SectionContent)
    series = sent.charts[0].option["series"]
    assert {s["name"] for s in series} == {"en", "zh"}
    assert sent.kpis[0].value == "120"
    topics = topics_section.build(ctx)
    bars = topics.charts[0].option["series"][0]["data"]
    assert bars[0]["itemStyle"]["color"] != bars[1]["itemStyle"]["color"]  # complaint highlighted
    nps = nps_section.build(ctx)
    assert nps.kpis[0].value == "+12" and nps.kpis[1].value == "80.0%"
    assert [s["name"] for s in nps.charts[0].option["series"]] == ["NPS", "CSAT"]
    assert nps.tables[0].rows[0][:2] == ["rfm segment", "Champions"]
    drivers = drivers_section.build(ctx)
    assert len(drivers.tables[0].rows) == 1  # only the clear driver is listed
    assert "1.30 points" in drivers.tables[0].rows[0][1]
    for content in (sent, topics, nps, drivers):
        for chart in content.charts:
            json.dumps(chart.option)  # plain JSON for the page


def test_absent_tables_are_omitted_with_a_reason():
    con = DuckDBEngine.memory()
    ctx = _ctx(con)
    for build in (sentiment_section, topics_section, nps_section, drivers_section):
        out = build.build(ctx)
        assert isinstance(out, Omitted) and out.reason


def test_whole_report_renders_with_only_feedback(con):
    html = build_report(con, title="voice", as_of=date(2024, 5, 1))
    for sid in VOICE_IDS:
        assert f'id="s-{sid}"' in html
    assert "Mentions of" in html
