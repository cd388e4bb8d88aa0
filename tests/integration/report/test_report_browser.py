"""The report as people see it: generated from the seeded live run and opened from its file in real
headless Chromium (Debian's `chromium` package, driven by Playwright without a browser download of
its own). The page logs no console error and throws nothing, asks for nothing but its own file
(no network at view time), fits the window's width, and every chart is there, painted, with each
of its series drawn inside it in the number the seed implies (a marker per trade, a bar per day
and model, …); the LLM cost figures read on the page are the seed's own calls, per day and per trade.

Skipped when Chromium or Playwright is missing on a developer's machine (`CHROMIUM=/path` picks a
browser); in CI (`CI` set) that is a failure instead, and `.ci/run` installs Chromium."""

from __future__ import annotations

import importlib.util
import io
import os
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread

from tests.conftest import SeededDatabase
from tests.kit.report_charts import CHART_SECTIONS, expected_charts, expected_llm_cells
from trading_bot.backtest.report import generate_report, load_report_data
from trading_bot.backtest.report.formatting import FORMATS
from trading_bot.storage.db import Database, engine_for

GENERATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
VIEWPORT = {"width": 1280, "height": 900}
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Per chart: its section, the svg's size on the page, and per series the <g data-series> groups,
# the shapes they draw (<path>/<use> outside <defs>, as tests/kit/report_charts.py counts them)
# and the box they cover on the page, as the browser laid them out.
MEASURE = """() => {
  const box = r => ({x: r.x, y: r.y, width: r.width, height: r.height});
  return [...document.querySelectorAll('figure[data-chart]')].map(figure => {
    const svg = figure.querySelector('svg');
    const series = {};
    for (const group of svg.querySelectorAll('g[data-series]')) {
      const name = group.dataset.series;
      const entry = series[name] ??= {groups: 0, marks: 0, left: Infinity, top: Infinity, right: -Infinity,
                                      bottom: -Infinity};
      entry.groups += 1;
      entry.marks += [...group.querySelectorAll('path, use')].filter(e => !e.closest('defs')).length;
      const r = group.getBoundingClientRect();
      entry.left = Math.min(entry.left, r.left); entry.top = Math.min(entry.top, r.top);
      entry.right = Math.max(entry.right, r.right); entry.bottom = Math.max(entry.bottom, r.bottom);
    }
    return {chart: figure.dataset.chart, section: figure.closest('section').id, svg: box(svg.getBoundingClientRect()),
            series};
  });
}"""
CELLS = """() => Object.fromEntries([...document.querySelectorAll('td[data-metric]')]
  .map(td => [td.dataset.metric, [td.dataset.value, td.innerText]]))"""


def chromium_executable() -> str | None:
    """`CHROMIUM` when set, else the first Chromium or Chrome on PATH."""
    named = os.environ.get("CHROMIUM")
    for name in (named,) if named else BROWSERS:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


def _missing() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if chromium_executable() is None:
        return ("Chromium is not installed (Debian/Ubuntu: apt-get install chromium; "
                "or set CHROMIUM to a Chromium/Chrome executable)")
    return None


MISSING = _missing()
# a mark, not a skip in the fixture: nothing is seeded for a test that cannot run
pytestmark = pytest.mark.skipif(MISSING is not None and not os.environ.get("CI"), reason=MISSING or "")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if MISSING is not None:
        pytest.fail(f"CI runs the browser test, but {MISSING}")
    from playwright.sync_api import sync_playwright

    executable = chromium_executable()
    assert executable is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True)
        yield launched
        launched.close()


def _painted(png: bytes) -> tuple[float, int]:
    """The share of pixels drawn on (not near-white) and the number of distinct colours."""
    rgb = (imread(io.BytesIO(png))[..., :3] * 255).astype(np.uint8).reshape(-1, 3)
    return float((rgb.min(axis=1) < 200).mean()), len(np.unique(rgb, axis=0))


def test_report_in_headless_chromium(seeded_db: SeededDatabase, browser: Any, tmp_path: Path) -> None:
    live = seeded_db.seed.live
    db = Database(engine_for(seeded_db.url.replace("postgresql://", "postgresql+psycopg://")))
    html = generate_report(load_report_data(db), tmp_path, GENERATED).html
    url = html.resolve().as_uri()
    started = time.perf_counter()
    page = browser.new_page(viewport=VIEWPORT)
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: problems.append(f"console.{message.type}: {message.text}")
            if message.type in ("error", "assert") else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(url, wait_until="load")

    assert problems == []
    assert requests == [url]  # nothing from the network, nor another file
    assert page.title() == "Performance report · live"
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]  # no sideways scrolling

    charts = {entry["chart"]: entry for entry in page.evaluate(MEASURE)}
    expected = expected_charts(live)
    assert list(charts) == list(CHART_SECTIONS)  # every chart, in the page's order
    for name, entry in charts.items():
        assert entry["section"] == CHART_SECTIONS[name], name
        svg = entry["svg"]
        assert 300 < svg["width"] <= VIEWPORT["width"] and svg["height"] > 200, (name, svg)
        drawn = {series: (s["groups"], s["marks"]) for series, s in entry["series"].items()}
        assert drawn == expected[name], name
        for series, s in entry["series"].items():
            width, height = s["right"] - s["left"], s["bottom"] - s["top"]
            # laid out with a size (a flat line may have no height) and within its chart
            assert width > 0 and (height > 0 or s["marks"] == 1), (name, series, s)
            assert svg["x"] - 1 <= s["left"] and s["right"] <= svg["x"] + svg["width"] + 1, (name, series)
            assert svg["y"] - 1 <= s["top"] and s["bottom"] <= svg["y"] + svg["height"] + 1, (name, series)
        share, colours = _painted(page.locator(f'figure[data-chart="{name}"] > svg').screenshot())
        assert share > 0.02 and colours > 20, (name, share, colours)  # painted, not a blank box

    cells = page.evaluate(CELLS)
    for key, (value, kind) in expected_llm_cells(live).items():
        exact, text = cells[key]
        assert Decimal(exact) == value and text == FORMATS[kind](value), (key, cells[key], value)
    for name, value in (("cycles", live.cycles), ("screened_in", live.screened_in), ("analysed", live.analysed),
                        ("approved", live.approved), ("filled", live.filled)):
        assert cells[f"funnel.{name}"] == [str(value), f"{value:,}"], name
    page.close()
    print(f"Chromium {browser.version}: loaded and checked in {time.perf_counter() - started:.2f} s")
