"""The seed ledger against the articles it was built from (../shared/seeds/)."""

import os
from pathlib import Path

import pandas as pd
import pytest

from remitest.ledger import load_ledger


def seeds_folder() -> Path:
    configured = os.environ.get("REMITEST_SEEDS")
    folder = (
        Path(configured)
        if configured
        else (Path(__file__).resolve().parents[2] / "shared" / "seeds")
    )
    if not folder.is_dir():
        pytest.skip(f"seed articles not found at {folder}; set REMITEST_SEEDS to their folder")
    return folder


@pytest.fixture(scope="module")
def shipped():
    return load_ledger("seeds").to_frame()


def test_every_quote_is_verbatim_in_its_document(shipped):
    folder = seeds_folder()
    for row in shipped.itertuples():
        text = (folder / row.document).read_text(encoding="utf-8")
        assert row.quote in text, f"{row.id}: quote not found verbatim in {row.document}"
        if pd.notna(row.title):
            assert row.title in text, f"{row.id}: title not found in {row.document}"


def test_every_seed_contributes_a_claim(shipped):
    documents = {p.name for p in seeds_folder().glob("*.txt")}
    assert documents == set(shipped["document"])


def test_headline_spread(shipped):
    # The headline spread leaves out the vaguest claim, which carries its own coverage.
    headline = shipped[shipped["coverage"].isna()]
    for quantity, low, high in [("workers", 50_000, 150_000),
                                ("remittances_usd", 200e6, 900e6)]:  # fmt: skip
        numbers = headline.loc[headline["quantity"] == quantity, ["low", "high"]].stack()
        assert (numbers.min(), numbers.max()) == (low, high), quantity


def test_vaguest_claim_is_wider_with_its_own_coverage(shipped):
    vague = shipped[shipped["coverage"].notna()]
    assert len(vague) == 1
    row = vague.iloc[0]
    assert row["scope"] == "china_russia" and 0 < row["coverage"] < 1
    assert row["low"] < 50_000 and row["high"] > 150_000


def test_repeat_of_the_us_estimate():
    ledger = load_ledger("seeds")
    assert ledger.repeats() == {"envoys2023-usstate-workers": "usstate2017-workers"}
    assert len(ledger.originals()) == len(ledger) - 1


def test_notes_and_document_dates_filled(shipped):
    assert shipped["notes"].notna().all()
    assert shipped["document_date"].notna().all()


def test_shipped_file_is_canonical():
    from importlib import resources

    text = resources.files("remitest").joinpath("data", "seeds.csv").read_text(encoding="utf-8")
    assert load_ledger("seeds").to_csv() == text


def test_seed_ledger_sha256_is_pinned():
    # The canonical CSV form, and with it every run id, must not drift with the frame API.
    assert load_ledger("seeds").sha256 == (
        "505b2aff4357b74c1215300816112f30da274bf2a36120cdc201207d1848d25b"
    )
