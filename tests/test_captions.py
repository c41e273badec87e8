import re

import pytest

from remitest import __version__
from remitest.captions import FIGURE_TEXT, caption
from remitest.ledger import Ledger, load_ledger
from remitest.plots import FIGURES
from remitest.testing import fake_fit

SEED_FILE = re.compile(r"\d{3}_[0-9a-f]{16}\.txt")


@pytest.fixture(scope="module")
def fit():
    return fake_fit()


def test_every_exported_figure_has_a_caption():
    assert set(FIGURES) <= set(FIGURE_TEXT)


@pytest.mark.parametrize("name", list(FIGURE_TEXT))
def test_caption_cites_every_source_and_names_the_run(fit, name):
    text = caption(fit, name)
    sources = fit.ledger.sources()
    for outlet in filter(None, sources["outlet"]):
        assert outlet in text
    for title in filter(None, sources["title"]):
        assert title in text
    assert "April 2016" in text and "14 January 2020" in text  # dates made readable
    assert fit.run_id in text
    assert f"remitest {__version__}" in text
    assert fit.ledger.sha256[:12] in text
    assert f"seed {fit.random_seed}" in text and f"sampler {fit.sampler}" in text
    assert not SEED_FILE.search(text)
    assert ".txt" not in text


def test_caption_lists_the_claims_it_used(fit):
    text = caption(fit, "series")
    for claim_id in fit.ledger.to_frame()["id"]:
        assert claim_id in text


def test_sources_without_outlet_or_title_fall_back_to_estimator_and_date():
    frame = load_ledger("seeds").to_frame().assign(outlet="", title="")
    bare = fake_fit(Ledger.from_frame(frame))
    text = caption(bare, "biases")
    assert "Estimates by Korea Institute for National Unification (KINU), April 2016" in text
    assert "Estimates by unattributed media estimate, 2024" in text
    assert not SEED_FILE.search(text) and ".txt" not in text


def test_caption_is_deterministic(fit):
    assert caption(fit, "ppc") == caption(fake_fit(), "ppc")


def test_caption_reports_a_failed_gate(fit):
    from dataclasses import replace

    failed = replace(fit, diagnostics=replace(fit.diagnostics, failures=("r_hat too high",)))
    assert "FAILED" in caption(failed, "series")


def test_unknown_figure_name_lists_the_known_ones(fit):
    with pytest.raises(ValueError, match="host_split"):
        caption(fit, "histogram")


def test_series_caption_keys_numbered_claims_only_for_larger_ledgers():
    from _synthetic import synthetic_ledger

    from remitest.captions import caption
    from remitest.testing import fake_fit

    assert "Numbers label" not in caption(fake_fit(draws=20), "series")
    medium = caption(fake_fit(synthetic_ledger(20, random_seed=1), draws=20), "series")
    assert "Numbers label the claims" in medium and "1 c001 (Estimator" in medium
    large = caption(fake_fit(synthetic_ledger(60, random_seed=1), draws=20), "series")
    assert "key column of claims.csv" in large and "1 c001" not in large


def test_host_caption_describes_the_configured_host_model(fit):
    from dataclasses import replace

    walking = caption(fit, "host_split")
    assert "constant over time" not in walking
    assert "sum of its hosts" in walking and "2020" in walking
    constant = replace(fit, config=fit.config.replace(host_shares="constant"))
    assert "constant over time" in caption(constant, "host_split")
