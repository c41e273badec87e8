"""report.html: the numbers it rounds, what it holds, and a real headless Chromium that opens it.

The browser test drives Debian's Chromium and chromedriver (``make test`` installs them with
apt-get; a browser download at install time fails in CI, so selenium is pointed at the system's
binaries and never downloads one). Without them it is skipped, unless ``REMITEST_REQUIRE_BROWSER``
is set (``make test`` sets it), where a missing browser fails.
"""

import base64
import dataclasses
import hashlib
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from remitest import posterior  # noqa: E402
from remitest.captions import sources_table  # noqa: E402
from remitest.diagnostics import Diagnostics  # noqa: E402
from remitest.export import write_run  # noqa: E402
from remitest.plots import FIGURES  # noqa: E402
from remitest.report_html import render_report, round_to_interval, rounding_step  # noqa: E402
from remitest.testing import fake_fit  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-dev-shm-usage")


@pytest.fixture(scope="module")
def fit():
    return fake_fit(draws=40)


@pytest.fixture(scope="module")
def run(fit, tmp_path_factory):
    """A run folder with the real figures (no sampler: a fake fit)."""
    return write_run(fit, tmp_path_factory.mktemp("report") / "run")


# -- rounding ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("numbers", "expected"), [
    ((79_421, 50_759, 116_679), (79_000, 51_000, 120_000)),  # the example
    ((79_421, 78_800, 80_060), (79_400, 78_800, 80_100)),  # a narrow interval keeps more
    ((487_654_321, 312_345_678, 760_123_456), (490e6, 310e6, 760e6)),
    ((90_123, 20_567, 443_210), (90_000, 21_000, 440_000)),  # wide: two figures each
    ((1_234, 12.34, 5_000), (1_200, 12, 5_000)),
    ((5.0, 5.0, 5.0), (5.0, 5.0, 5.0)),  # no interval: three figures
])
def test_numbers_are_rounded_to_what_the_interval_supports(numbers, expected):
    assert round_to_interval(*numbers) == pytest.approx(expected)


def test_a_step_is_what_the_narrowest_interval_supports():
    assert rounding_step([79_421, 90_123], [78_800, 20_567], [80_060, 443_210]) == 100
    assert rounding_step([79_421], [50_759], [116_679]) == 10_000
    assert round_to_interval(79_421, 50_759, 116_679, step=100) == (79_400, 50_800, 116_700)


def test_non_finite_numbers_pass_through():
    nan = float("nan")
    assert round_to_interval(nan, 1.0, 2.0)[1:] == (1.0, 2.0)


# -- what the page holds ----------------------------------------------------------------------
class _Page(HTMLParser):
    """Tags, attributes and text of a page, for the checks below."""

    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(text):
    page = _Page()
    page.feed(text)
    return page


def test_page_is_self_contained(run):
    page = _parse((run / "report.html").read_text(encoding="utf-8"))
    names = {tag for tag, _ in page.tags}
    assert "script" not in names and "link" not in names and "iframe" not in names
    for tag, attrs in page.tags:
        for key in ("src", "href", "srcset", "data", "action"):
            value = attrs.get(key)
            assert value is None or value.startswith(("data:", "#")), (tag, key, value[:60])
    text = (run / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"url\(\s*['\"]?(?!data:)", text)  # no CSS resource either
    assert not re.search(r"@import", text)


def test_page_holds_headline_figures_diagnostics_and_sources(run, fit):
    text = (run / "report.html").read_text(encoding="utf-8")
    page = _parse(text)
    images = [attrs for tag, attrs in page.tags if tag == "img"]
    assert len(images) == len(FIGURES)
    for name, attrs in zip(FIGURES, images, strict=True):
        png = base64.b64encode((run / f"{name}.png").read_bytes()).decode("ascii")
        assert attrs["src"] == f"data:image/png;base64,{png}"
        assert attrs["alt"].startswith("Figure ")
    words = " ".join(" ".join(page.text).split())
    for name in FIGURES:  # each caption, as written
        caption = (run / f"{name}.caption.txt").read_text(encoding="utf-8")
        assert " ".join(caption.split())[:200] in words
    for heading in ("Headline numbers", "Figures", "Diagnostics", "Sources"):
        assert heading in words
    assert fit.run_id in words and fit.ledger.sha256 in words
    assert "Diagnostics gate passed" in words
    for label in ("Largest R-hat", "Smallest bulk ESS", "Divergent transitions"):
        assert label in words
    sources = pd.read_csv(run / "sources.csv", keep_default_na=False)
    rows = [t for t, _ in page.tags].count("tr")
    assert rows >= len(sources)
    for estimator in set(sources["estimator"]):
        assert estimator in words


def test_headline_numbers_are_the_summary_rounded(run, fit):
    words = " ".join(" ".join(_parse((run / "report.html").read_text()).text).split())
    from remitest.report_html import covered_years

    summary = pd.read_csv(run / "summary.csv")
    years = covered_years(summary)
    world = summary[(summary["scope"] == "world") & (summary["quantity"] == "workers")]
    covered = world[world["year"].isin(years)]
    for row in covered.itertuples():  # each row to what its own interval supports
        median, low, high = round_to_interval(row.median, row.q05, row.q95)
        assert f"{median:,.0f}" in words and f"{low:,.0f}\u2013{high:,.0f}" in words
        assert f"{row.median:,.0f}" not in words  # no false precision
        assert len(f"{median:.0f}".rstrip("0")) <= 2  # intervals of +-15%: two figures
    headline = words[words.index("Headline numbers"):words.index("Figures")]
    assert all(str(y) in headline for y in years)
    assert str(min(years) - 1) not in headline  # only the years that claims cover
    assert "\u2020 no claim covers the year" in words  # years between the claims carry it


def test_failed_gate_is_said_at_the_top(fit):
    failed = dataclasses.replace(fit, diagnostics=Diagnostics(
        table=fit.diagnostics.table, divergences=12, ebfmi=fit.diagnostics.ebfmi,
        failures=("12 divergences (gate: 0); raise target_accept",)))
    text = render_report(failed, summary=posterior.summary(fit),
                         sources=sources_table(fit.ledger))
    words = " ".join(" ".join(_parse(text).text).split())
    assert "Diagnostics gate FAILED" in words
    assert "12 divergences (gate: 0); raise target_accept" in words
    assert words.index("FAILED") < words.index("Headline numbers")


def test_run_without_figures_says_how_to_draw_them(fit, tmp_path):
    folder = write_run(fit, tmp_path / "run", figures=False)
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert "<img" not in text and "remitest plot" in text


def test_plot_command_draws_the_report_again_with_the_figures(fit, tmp_path):
    from remitest.cli import main

    folder = write_run(fit, tmp_path / "run", figures=False)
    assert main(["plot", str(folder)]) == 0
    text = (folder / "report.html").read_text(encoding="utf-8")
    assert text.count("<img ") == len(FIGURES)
    listed = json.loads((folder / "datapackage.json").read_text())["remitest"]["files"]
    assert listed["report.html"] == hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- a real browser ---------------------------------------------------------------------------
def _browser_missing():
    """Why the browser test cannot run here, or None."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package (pip install -e '.[test]')")
    if not missing:
        return None
    return (f"no {', '.join(missing)}: make test installs Chromium and its driver "
            "(apt-get install chromium chromium-driver)")


@pytest.fixture
def browser(tmp_path, monkeypatch):
    """Headless Chromium from the system, with a fresh profile and the console log kept."""
    reason = _browser_missing()
    if reason is not None:
        if os.environ.get("REMITEST_REQUIRE_BROWSER"):
            pytest.fail(f"REMITEST_REQUIRE_BROWSER is set but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium-manager never downloads anything
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    profile = tmp_path / "profile"
    profile.mkdir()
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument("--window-size=1200,2000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)),
                              options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def test_report_opens_in_a_headless_browser(run, browser):
    browser.get((run / "report.html").resolve().as_uri())
    browser.execute_async_script(  # wait until every image is decoded (or failed)
        "const done = arguments[arguments.length - 1];"
        "Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)))"
        ".then(() => done(true));")
    images = browser.execute_script(
        "return Array.from(document.images).map(i => ({alt: i.alt, complete: i.complete, "
        "width: i.naturalWidth, height: i.naturalHeight, shown: i.getBoundingClientRect().width}))")
    assert len(images) == len(FIGURES)
    for image in images:
        assert image["complete"] and image["width"] > 0 and image["height"] > 0, image
        assert 0 < image["shown"] <= 1200, image  # scaled to the page, never wider
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
    requested = browser.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
        ".filter(n => !n.startsWith('data:'))")
    assert requested == []  # nothing loaded from outside the page
    assert browser.title.startswith("North Korean workers abroad")
    headings = [h.text for h in browser.find_elements("css selector", "h2")]
    assert headings == ["Headline numbers", "Figures", "Diagnostics", "Sources"]
    assert browser.execute_script(  # nothing runs wider than the window
        "return document.documentElement.scrollWidth") <= 1200

