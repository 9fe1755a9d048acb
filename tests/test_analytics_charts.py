"""Charts render as PNGs of the card size for awkward data, without warnings or missing glyphs."""

from __future__ import annotations

import io
import logging
import math
import warnings
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from core.analytics.charts import SIZE_PX, digest_chart, retention_chart, top_chart, views_chart
from core.analytics.charts.retention import biggest_drop
from core.analytics.charts.style import clean
from core.analytics.model import (
    DigestData,
    Reading,
    RetentionData,
    RetentionPoint,
    Series,
    TopData,
    TopEntry,
    Total,
    ViewsData,
)

NOW = datetime(2026, 11, 24, 15, 40, tzinfo=UTC)
EMOJI_TITLE = ("🔥 How I edit sixty shorts a week on one old laptop 🎬 and still sleep 8 hours 😴👍🏽 "
               "— the whole ☕ workflow")[:100]


def assert_png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    image.verify()
    assert Image.open(io.BytesIO(data)).size == SIZE_PX


@pytest.fixture(autouse=True)
def quiet(caplog: pytest.LogCaptureFixture):
    """No warning of any kind (missing glyphs, date locators) and no font log noise."""
    caplog.set_level(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
    assert [r for r in caplog.records if r.name.startswith("matplotlib")] == []


def views(*series: Series, title: str = "A short") -> ViewsData:
    return ViewsData(title, series, NOW, "Views · the last 7 days", gain=None)


def test_one_reading_renders_a_single_point() -> None:
    assert_png(views_chart(views(Series("youtube", (Reading(NOW, 12),)))))


def test_zero_views_render_with_a_sensible_axis() -> None:
    flat = Series("tiktok", (Reading(NOW - timedelta(hours=5), 0), Reading(NOW, 0)))
    assert_png(views_chart(views(flat)))


def test_a_ten_year_range_renders() -> None:
    decade = Series("youtube", tuple(Reading(NOW - timedelta(days=3650 - 30 * n), n * 9000)
                                     for n in range(122)))
    assert_png(views_chart(views(decade)))


def test_a_hundred_character_title_with_emoji_renders() -> None:
    assert len(EMOJI_TITLE) == 100
    both = (Series("youtube", (Reading(NOW - timedelta(days=1), 10), Reading(NOW, 300))),
            Series("tiktok", (Reading(NOW - timedelta(days=1), 5), Reading(NOW, 900))))
    assert_png(views_chart(views(*both, title=EMOJI_TITLE)))
    assert_png(top_chart(TopData(EMOJI_TITLE, (TopEntry(EMOJI_TITLE, "tiktok", 5),), NOW)))


def test_no_readings_render_an_empty_card_not_a_crash() -> None:
    assert_png(views_chart(ViewsData("Nothing yet", (), None)))
    assert_png(top_chart(TopData("Top shorts", (), None)))


def test_unsupported_characters_are_dropped_not_drawn_as_boxes() -> None:
    assert clean("Plan\u200d\ufe0f 👍🏽 ok") == "Plan 👍 ok"
    assert clean("\U000e0067 tag") == "tag"


def curve(points: int = 100) -> tuple[RetentionPoint, ...]:
    out = []
    for n in range(1, points + 1):
        ratio = n / points
        watch = 0.9 * math.exp(-ratio) + (0.0 if ratio < 0.7 else -0.2)
        out.append(RetentionPoint(ratio, watch, 0.5 + 0.3 * math.sin(ratio * 4)))
    return tuple(out)


def test_retention_marks_the_biggest_drop() -> None:
    points = curve()
    drop = biggest_drop(points)
    assert drop is not None and drop.ratio == pytest.approx(0.7) and drop.points_lost > 19
    assert_png(retention_chart(RetentionData(EMOJI_TITLE, points, NOW, duration_s=45)))


def test_retention_without_relative_performance_still_renders() -> None:
    bare = tuple(RetentionPoint(p.ratio, p.watch, None) for p in curve(12))
    assert_png(retention_chart(RetentionData("No comparison", bare, NOW)))


def test_the_digest_renders_with_unmeasured_totals() -> None:
    data = DigestData("console", "17–23 Nov 2026",
                      (Total("Views", 0, 0), Total("Likes", 12, None), Total("Comments", None, None),
                       Total("Shares", 3, 9)),
                      (("youtube", 0, None), ("tiktok", 40, 12)),
                      TopEntry(EMOJI_TITLE, "tiktok", 40), TopEntry("Quiet one", "youtube", 0), NOW,
                      ("YouTube's last 2–3 days are provisional and may still rise.",))
    assert_png(digest_chart(data))


def test_doctor_names_the_chart_fonts() -> None:
    from core.config import load_settings
    from core.doctor import check_chart_fonts

    (finding,) = check_chart_fonts(load_settings())
    assert finding.name == "chart fonts"
    assert "Inter" in finding.detail or "DejaVu Sans" in finding.detail
