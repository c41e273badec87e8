import re

import pytest

from remitest import __version__
from remitest.captions import FIGURE_TEXT, MAX_WORDS, caption, cite_sources, sources_table
from remitest.config import ModelConfig
from remitest.ledger import Ledger, load_ledger
from remitest.plots import FIGURES, claim_keys
from remitest.testing import fake_fit

SEED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")


@pytest.fixture(scope="module")
def fit():
    return fake_fit()


def test_every_exported_figure_has_a_caption():
    assert set(FIGURES) <= set(FIGURE_TEXT)


@pytest.mark.parametrize("name", list(FIGURE_TEXT))
def test_caption_points_to_its_sources_and_names_the_run(fit, name):
    text = caption(fit, name)
    assert len(text.split()) <= MAX_WORDS
    assert "sources.csv" in text  # the full citations, by claim key
    assert fit.run_id in text
    assert f"remitest {__version__}" in text
    assert fit.ledger.sha256[:12] in text
    assert f"seed {fit.random_seed}" in text and f"sampler {fit.sampler}" in text
    assert not SEED_FILE.search(text)
    assert ".txt" not in text
    assert "extrapolat" not in text  # "no claim" and "beyond the fitted years" are two words


def test_cite_sources_cites_every_source_with_readable_dates(fit):
    text = cite_sources(fit)
    sources = fit.ledger.sources()
    for outlet in filter(None, sources["outlet"]):
        assert outlet in text
    for title in filter(None, sources["title"]):
        assert title in text
    assert "April 2016" in text and "14 January 2020" in text  # dates made readable
    assert not SEED_FILE.search(text) and ".txt" not in text


def test_caption_cites_inline_where_the_citations_fit():
    frame = load_ledger("seeds").to_frame()
    one_document = frame[frame["document"] == frame["document"].iloc[0]]
    small = fake_fit(Ledger.from_frame(one_document), draws=20)
    text = caption(small, "biases")
    assert "South China Morning Post" in text and "sources.csv" in text
    assert len(text.split()) <= MAX_WORDS


def test_sources_without_outlet_or_title_fall_back_to_estimator_and_date():
    frame = load_ledger("seeds").to_frame().assign(outlet="", title="")
    bare = fake_fit(Ledger.from_frame(frame))
    text = cite_sources(bare)
    assert "Estimates by Korea Institute for National Unification (KINU), April 2016" in text
    assert "Estimates by unattributed media estimate, 2024" in text
    assert not SEED_FILE.search(text) and ".txt" not in text


def test_sources_table_has_one_row_per_claim_by_key(fit):
    table = sources_table(fit.ledger)
    assert list(table.columns) == ["key", "estimator", "outlet", "title", "date", "address"]
    claims = fit.ledger.to_frame()
    assert list(table["key"]) == list(range(1, len(claims) + 1))
    assert list(table["key"]) == list(claim_keys(fit.ledger))
    assert list(table["estimator"]) == list(claims["estimator"])
    assert list(table["outlet"]) == list(claims["outlet"].fillna(""))
    assert (table["address"] == "").all()  # the shipped ledger records no web address
    assert table["date"].str.match(r"^\d{4}(-\d{2}){0,2}$").all()
    assert not table["date"].str.contains(".txt").any()


def test_caption_is_deterministic(fit):
    assert caption(fit, "ppc") == caption(fake_fit(), "ppc")


def test_caption_reports_a_failed_gate(fit):
    from dataclasses import replace

    failed = replace(fit, diagnostics=replace(fit.diagnostics, failures=("r_hat too high",)))
    assert "FAILED" in caption(failed, "series")


def test_unknown_figure_name_lists_the_known_ones(fit):
    with pytest.raises(ValueError, match="host_split"):
        caption(fit, "histogram")


def test_series_caption_explains_key_numbers_only_for_larger_ledgers():
    import remitest as rt

    assert "claim keys" not in caption(fake_fit(draws=20), "series")
    for n in (20, 60, 150):
        sim = rt.synthetic_ledger(n, random_seed=1)
        text = caption(fake_fit(sim.ledger, sim.config, draws=20), "series")
        assert "Numbers are claim keys" in text and "sources.csv" in text
        assert len(text.split()) <= MAX_WORDS


def test_caption_says_which_rows_large_figures_show():
    import remitest as rt

    sim = rt.synthetic_ledger(150, random_seed=1)
    large = fake_fit(sim.ledger, sim.config, draws=20)
    assert "the 25 claims with the most extreme PIT of 150" in caption(large, "ppc")
    assert "largest biases" in caption(large, "biases")
    assert "most extreme" not in caption(fake_fit(draws=20), "ppc")


def test_series_caption_names_its_scale(fit):
    assert "(log scale)" in caption(fit, "series")
    assert "(linear scale)" in caption(fit, "series", log=False)


def test_host_caption_describes_the_configured_host_model(fit):
    from dataclasses import replace

    walking = caption(fit, "host_split")
    assert "constant over time" not in walking
    assert "split it by shares" in walking and "2020" in walking
    constant = replace(fit, config=fit.config.replace(host_shares="constant"))
    assert "constant over time" in caption(constant, "host_split")


def test_the_biases_caption_names_the_field_shift_only_when_the_model_has_one():
    ledger = load_ledger("seeds")
    with_shift = caption(fake_fit(ledger, draws=20), "biases")
    assert "beyond the field's shift (\u00d70.78-1.28 at 90%)" in with_shift
    without = caption(fake_fit(ledger, ModelConfig().replace(
        priors={"field_shift_log_sd": 0.0}), draws=20), "biases")
    assert "field's shift" not in without
