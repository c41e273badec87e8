"""The published record (remitest/data/record.csv): its size, lineage and the seeds inside it."""

import warnings

import pandas as pd
import pytest

from remitest.ledger import load_ledger


@pytest.fixture(scope="module")
def record():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the record loads without a warning
        return load_ledger()


def test_the_record_is_what_the_issue_asks_for(record):
    frame = record.to_frame()
    assert len(frame) >= 80
    assert frame["estimator"].nunique() >= 25
    assert (frame["ref_end"] >= 2018).sum() >= 25
    assert frame["ref_start"].min() >= 2010 and frame["ref_end"].max() <= 2025
    assert {"workers", "remittances_usd", "per_worker_usd"} <= set(frame["quantity"])
    assert {"world", "china", "russia"} <= set(frame["scope"])
    assert "permits" in set(frame["measure"].dropna())


def test_every_page_row_names_its_document_quote_outlet_and_date(record):
    frame = record.to_frame()
    pages = frame[frame["document"].str.startswith("http")]
    assert len(pages) >= 80
    for column in ("quote", "outlet", "published", "notes"):
        assert pages[column].notna().all(), pages.loc[pages[column].isna(), "id"].tolist()
    assert (pages["quote"].str.len() > 10).all()


def test_the_seeds_are_inside_the_record_unchanged(record):
    seeds = load_ledger("seeds").to_frame().set_index("id")
    inside = record.to_frame().set_index("id").loc[seeds.index, seeds.columns]
    pd.testing.assert_frame_equal(inside, seeds)


def test_no_unresolved_suspected_repeat(record):
    pairs = record.suspected_repeats()
    assert pairs.empty, pairs.to_string()


def test_every_outlying_figure_of_the_record_was_checked(record):
    """The 20x check stays on for the record: figures beyond it say in their notes that they
    were checked against the page (a host's count after the 2019 deadline)."""
    from remitest._validate import OUTLIER_CHECKED_MARK, outlying_figures

    table = record._table.assign(notes="")  # without the marks
    flagged = {record._table["id"].iloc[p] for p, *_ in outlying_figures(table)}
    assert flagged, "the record has figures beyond 20x; the check should see them"
    notes = record.to_frame().set_index("id").loc[sorted(flagged), "notes"].str.lower()
    assert notes.str.contains(OUTLIER_CHECKED_MARK).all()
    assert record.outlying_figures().empty
