import csv
import io

import numpy as np
import pandas as pd
import pytest
from _claims import claim

from remitest.ledger import (
    COLUMNS,
    DEFAULT_HOSTS,
    REQUIRED_COLUMNS,
    Ledger,
    LedgerError,
    load_ledger,
)


def small_claims():
    """Four claims: two originals, a repeat of the first and a repeat of that repeat."""
    return [
        claim(),
        claim(id="b-range", kind="range", low="50000", high="60000", estimator="KINU",
              estimator_type="research_institute", document="doc-b.txt", outlet="Reuters",
              title="A headline", document_date="2016-04-28", published="2016-04",
              ref_start="2016", ref_end="2016"),
        claim(id="c-repeat", derived_from="a-workers", document="doc-c.txt",
              published="2017", document_date="2023"),
        claim(id="d-repeat2", derived_from="c-repeat", document="doc-c.txt"),
    ]  # fmt: skip


def write_csv(path, rows, columns=None):
    columns = columns or list(dict.fromkeys(k for row in rows for k in row))
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def ledger():
    return Ledger.from_frame(pd.DataFrame(small_claims()))


# -- loading and export ------------------------------------------------------------------------


def test_default_load_is_shipped_ledger():
    shipped = load_ledger()
    assert len(shipped) > 0
    assert shipped.hosts == DEFAULT_HOSTS
    assert shipped.valid_scopes == ("world", *DEFAULT_HOSTS, "china_russia")


def test_to_frame_dtypes(ledger):
    frame = ledger.to_frame()
    assert tuple(frame.columns) == COLUMNS
    for name in ("low", "high", "coverage"):
        assert frame[name].dtype == np.float64
    assert frame["ref_start"].dtype == np.int64 and frame["ref_end"].dtype == np.int64
    for name in ("published", "document_date"):
        assert pd.api.types.is_datetime64_any_dtype(frame[name])
    assert frame.loc[1, "published"] == pd.Timestamp("2016-04-01")
    assert frame.loc[1, "document_date"] == pd.Timestamp("2016-04-28")
    assert pd.isna(frame.loc[0, "document_date"]) and np.isnan(frame.loc[0, "coverage"])
    assert pd.isna(frame.loc[0, "derived_from"]) and frame.loc[2, "derived_from"] == "a-workers"
    assert pd.api.types.is_string_dtype(frame["id"])


def test_to_frame_is_a_copy(ledger):
    frame = ledger.to_frame()
    frame.loc[0, "low"] = 1.0
    assert ledger.to_frame().loc[0, "low"] == 100000.0


def test_a_pickled_ledger_leaves_its_cached_frames_behind(ledger):
    import pickle

    ledger.to_frame(), ledger.originals()  # fill the caches
    again = pickle.loads(pickle.dumps(ledger))
    assert not {"_typed", "_originals"} & set(vars(again))
    assert again.sha256 == ledger.sha256
    pd.testing.assert_frame_equal(again.to_frame(), ledger.to_frame())
    assert again.originals().sha256 == ledger.originals().sha256


def test_from_frame_accepts_to_frame_output(ledger):
    again = Ledger.from_frame(ledger.to_frame())
    assert again.sha256 == ledger.sha256


def test_point_fills_missing_end():
    built = Ledger.from_frame(pd.DataFrame([claim(high=""), claim(id="b", low="", high="7e4")]))
    frame = built.to_frame()
    assert frame["low"].tolist() == [100000.0, 70000.0]
    assert frame["high"].tolist() == [100000.0, 70000.0]


def test_csv_round_trip_keeps_extras_and_date_precision(tmp_path, ledger):
    rows = [claim(published="2017", document_date="2017-10", extra="x1"),
            claim(id="b", published="2017-04-28", extra="", another="y")]  # fmt: skip
    original = load_ledger(write_csv(tmp_path / "in.csv", rows))
    out = tmp_path / "out.csv"
    original.to_csv(out)
    again = load_ledger(out)
    pd.testing.assert_frame_equal(again.to_frame(), original.to_frame())
    assert again.sha256 == original.sha256
    assert list(again.to_frame().columns) == [*COLUMNS, "extra", "another"]
    written = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [r["published"] for r in written] == ["2017", "2017-04-28"]
    assert written[0]["document_date"] == "2017-10" and written[0]["extra"] == "x1"
    assert out.read_bytes() == again.to_csv().encode("utf-8")


def test_sha256_stable_and_sensitive(ledger):
    same = Ledger.from_frame(pd.DataFrame(small_claims()))
    assert ledger.sha256 == same.sha256 and len(ledger.sha256) == 64
    rows = small_claims()
    rows[1]["high"] = "60001"
    assert Ledger.from_frame(pd.DataFrame(rows)).sha256 != ledger.sha256
    assert ledger.sha256[:12] in repr(ledger)


def test_numbers_written_in_shortest_form():
    built = Ledger.from_frame(pd.DataFrame([claim(low=1e5, high=100000.0, coverage=0.5)]))
    assert "100000,100000,0.5," in built.to_csv()


def test_extra_hosts_extend_scopes(tmp_path):
    path = write_csv(tmp_path / "c.csv", [claim(scope="mongolia")])
    with pytest.raises(LedgerError, match="mongolia"):
        load_ledger(path)
    ledger = load_ledger(path, hosts=["mongolia"])
    assert ledger.hosts == (*DEFAULT_HOSTS, "mongolia")
    assert "mongolia" in ledger.valid_scopes
    with pytest.raises(ValueError, match="world"):
        load_ledger(path, hosts=["world"])


# -- combining and selecting -------------------------------------------------------------------


def test_add_concatenates_and_unites_hosts(ledger):
    other = Ledger.from_frame(
        pd.DataFrame([claim(id="e-mongolia", scope="mongolia", reviewer="n")]), hosts=["mongolia"]
    )
    combined = ledger + other
    assert len(combined) == len(ledger) + 1
    assert combined.hosts == (*DEFAULT_HOSTS, "mongolia")
    assert combined.to_frame()["reviewer"].fillna("").tolist() == ["", "", "", "", "n"]
    assert combined.extra_columns == ("reviewer",)


def test_add_rejects_duplicate_ids(ledger):
    with pytest.raises(LedgerError, match=r"row 4 \(id 'a-workers'\): field 'id'.*duplicate"):
        ledger + Ledger.from_frame(pd.DataFrame([claim()]))


def test_add_rejects_estimator_with_two_types(ledger):
    other = Ledger.from_frame(pd.DataFrame([claim(id="z", estimator_type="media")]))
    with pytest.raises(LedgerError, match="estimator_type"):
        ledger + other


def test_filter_with_mask_and_callable(ledger):
    by_callable = ledger.filter(lambda f: f["kind"] == "range")
    assert by_callable.to_frame()["id"].tolist() == ["b-range"]
    by_array = ledger.filter(np.array([True, True, False, False]))
    assert by_array.to_frame()["id"].tolist() == ["a-workers", "b-range"]


def test_filter_drops_orphaned_repeats(ledger):
    kept = ledger.filter(lambda f: f["id"] != "a-workers")
    assert kept.to_frame()["id"].tolist() == ["b-range"]
    kept = ledger.filter(lambda f: f["id"] != "c-repeat")
    assert kept.to_frame()["id"].tolist() == ["a-workers", "b-range"]


def test_filter_rejects_bad_masks(ledger):
    with pytest.raises(ValueError, match="one boolean per claim"):
        ledger.filter([True, False])
    with pytest.raises(ValueError, match="index"):
        ledger.filter(pd.Series([True] * 4, index=[5, 6, 7, 8]))


def test_drop_cascades_to_repeats(ledger):
    assert ledger.drop("a-workers").to_frame()["id"].tolist() == ["b-range"]
    assert len(ledger.drop(["d-repeat2", "b-range"])) == 2
    assert len(ledger) == 4  # unchanged


def test_drop_unknown_id_raises(ledger):
    with pytest.raises(KeyError, match="nope"):
        ledger.drop(["a-workers", "nope"])


def test_originals_repeats_original_id(ledger):
    assert ledger.originals().to_frame()["id"].tolist() == ["a-workers", "b-range"]
    assert ledger.repeats() == {"c-repeat": "a-workers", "d-repeat2": "a-workers"}
    assert ledger.original_id("d-repeat2") == "a-workers"
    assert ledger.original_id("b-range") == "b-range"
    with pytest.raises(KeyError, match="missing"):
        ledger.original_id("missing")
    assert "2 originals" in repr(ledger)


def test_published_year(ledger):
    years = ledger.published_year
    assert years.dtype == np.int64
    assert years.tolist() == [2017, 2016, 2017, 2017]


def test_estimators(ledger):
    table = ledger.estimators()
    assert table.columns.tolist() == ["estimator", "estimator_type", "n_claims"]
    assert table.to_dict("records") == [
        {"estimator": "US State Department", "estimator_type": "government", "n_claims": 3},
        {"estimator": "KINU", "estimator_type": "research_institute", "n_claims": 1},
    ]


def test_sources(ledger):
    table = ledger.sources().set_index("document")
    assert table.loc["doc-b.txt", "outlet"] == "Reuters"
    assert table.loc["doc-b.txt", "title"] == "A headline"
    assert table.loc["doc-b.txt", "document_date"] == "2016-04-28"
    assert table.loc["doc-a.txt", "document_date"] == "2017"  # falls back to published
    assert table.loc["doc-c.txt", "claim_ids"] == "c-repeat, d-repeat2"
    assert table.loc["doc-c.txt", "document_date"] == "2023"


# -- validation rules --------------------------------------------------------------------------

# (changes to the second claim, field, bad value as written, words the message must contain)
BAD_ROWS = {
    "missing field": ({"estimator": ""}, "estimator", "", "required"),
    "unknown quantity": ({"quantity": "wokers"}, "quantity", "wokers", "remittances_usd"),
    "unknown kind": ({"kind": "about"}, "kind", "about", "lower_bound"),
    "unknown estimator type": ({"estimator_type": "ngo"}, "estimator_type", "ngo", "media"),
    "unknown scope": ({"scope": "mongolia"}, "scope", "mongolia", "china_russia"),
    "non-numeric low": ({"low": "50k", "high": "60000", "kind": "range"}, "low", "50k",
                        "positive number"),
    "non-positive low": ({"low": "-3"}, "low", "-3", "positive number"),
    "zero high": ({"high": "0", "low": "", "kind": "upper_bound"}, "high", "0", "positive"),
    "low above high": ({"kind": "range", "low": "70000", "high": "60000"}, "low", "70000",
                       "above high"),
    "point unequal": ({"low": "1", "high": "2"}, "high", "2", "equal to low"),
    "point without value": ({"low": "", "high": ""}, "low", "", "point needs low"),
    "range without high": ({"kind": "range", "high": ""}, "high", "", "both low and high"),
    "lower bound with high": ({"kind": "lower_bound"}, "high", "100000", "no high"),
    "lower bound without low": ({"kind": "lower_bound", "low": "", "high": ""}, "low", "",
                                "needs low"),
    "upper bound with low": ({"kind": "upper_bound"}, "low", "100000", "no low"),
    "upper bound without high": ({"kind": "upper_bound", "low": "", "high": ""}, "high", "",
                                 "needs high"),
    "coverage above 1": ({"coverage": "1.5"}, "coverage", "1.5", "between 0 and 1"),
    "coverage of 1": ({"coverage": "1"}, "coverage", "1", "between 0 and 1"),
    "coverage not a number": ({"coverage": "half"}, "coverage", "half", "between 0 and 1"),
    "unknown derived_from": ({"derived_from": "ghost"}, "derived_from", "ghost", "names no claim"),
    "self derived_from": ({"derived_from": "b-bad"}, "derived_from", "b-bad", "circle"),
    "duplicate id": ({"id": "a-workers"}, "id", "a-workers", "duplicate id"),
    "period ends before start": ({"ref_start": "2017", "ref_end": "2015"}, "ref_end", "2015",
                                 "before ref_start"),
    "period after publication": ({"ref_start": "2018", "ref_end": "2018"}, "ref_start", "2018",
                                 "after the year"),
    "unparseable published": ({"published": "Oct 2015"}, "published", "Oct 2015", "YYYY-MM"),
    "impossible date": ({"published": "2017-02-30"}, "published", "2017-02-30", "YYYY-MM-DD"),
    "unparseable document_date": ({"document_date": "2016/04"}, "document_date", "2016/04",
                                  "YYYY-MM"),
    "non-integer year": ({"ref_start": "2016.5"}, "ref_start", "2016.5", "whole"),
    "estimator with two types": ({"estimator_type": "media"}, "estimator_type", "media",
                                 "one estimator has one type"),
}  # fmt: skip


@pytest.mark.parametrize("changes, field, value, words", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_each_rule_names_line_id_field_value(tmp_path, changes, field, value, words):
    bad = claim(**{"id": "b-bad", **changes})
    path = write_csv(tmp_path / "claims.csv", [claim(), bad], columns=[*COLUMNS])
    before = path.read_bytes()
    with pytest.raises(LedgerError) as caught:
        load_ledger(path)
    assert path.read_bytes() == before
    message = str(caught.value)
    claim_id = bad["id"]
    expected = f"line 3 (id {claim_id!r}): field {field!r} = {value!r}: "
    assert expected in message, message
    assert words in message
    problem = next(p for p in caught.value.problems if p.field == field)
    assert (problem.row, problem.id, problem.value) == (3, claim_id, value)


def test_derivation_cycle_is_reported(tmp_path):
    rows = [claim(), claim(id="x", derived_from="y"), claim(id="y", derived_from="x")]
    path = write_csv(tmp_path / "c.csv", rows)
    with pytest.raises(LedgerError) as caught:
        load_ledger(path)
    assert "line 3 (id 'x'): field 'derived_from' = 'y': runs in a circle: x -> y -> x" in str(
        caught.value
    )
    assert [p.row for p in caught.value.problems] == [3, 4]


@pytest.mark.parametrize("column", REQUIRED_COLUMNS)
def test_missing_required_column(tmp_path, column):
    columns = [c for c in COLUMNS if c != column]
    path = write_csv(tmp_path / "c.csv", [{k: v for k, v in claim().items() if k != column}],
                     columns=columns)  # fmt: skip
    with pytest.raises(LedgerError) as caught:
        load_ledger(path)
    message = str(caught.value)
    assert f"line 1: field {column!r}: required column is missing" in message
    assert "required columns are id, quantity, kind" in message


def test_optional_columns_may_be_absent(tmp_path):
    path = write_csv(tmp_path / "c.csv", [claim()], columns=list(REQUIRED_COLUMNS))
    assert tuple(load_ledger(path).to_frame().columns) == COLUMNS


def test_ragged_row_is_reported(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,quantity\na,workers,extra\n", encoding="utf-8")
    with pytest.raises(LedgerError, match="line 2 .*3 fields but the header has 2"):
        load_ledger(path)


def test_all_problems_reported_at_once(tmp_path):
    rows = [
        claim(low="-1"),
        claim(id="b", quantity="money", coverage="2"),
        claim(id="c", published="someday"),
    ]
    path = write_csv(tmp_path / "c.csv", rows, columns=[*COLUMNS])
    with pytest.raises(LedgerError) as caught:
        load_ledger(path)
    found = {(p.row, p.field) for p in caught.value.problems}
    assert {(2, "low"), (3, "quantity"), (3, "coverage"), (4, "published")} <= found
    assert str(caught.value).startswith(f"claims ledger {str(path)!r} has ")
    assert "line 2 (id 'a-workers'): field 'low' = '-1': must be a positive number" in str(
        caught.value
    )


def test_from_frame_names_rows(ledger):
    rows = small_claims()
    rows[1]["low"] = "-5"
    with pytest.raises(LedgerError, match=r"row 1 \(id 'b-range'\): field 'low' = '-5'"):
        Ledger.from_frame(pd.DataFrame(rows))


def test_multiline_quote_keeps_line_numbers(tmp_path):
    rows = [claim(quote="first line\nsecond line"), claim(id="b", low="-2")]
    path = write_csv(tmp_path / "c.csv", rows, columns=[*COLUMNS])
    with pytest.raises(LedgerError, match=r"line 4 \(id 'b'\)"):
        load_ledger(path)


# -- files that are not UTF-8 CSV text --------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00binary spreadsheet", "NUL byte at byte 5"),
        ("id,quantity\nb\u00e9,workers\n".encode("latin-1"), "byte 0xe9 at byte 13"),
    ],
    ids=["binary", "latin-1"],
)
def test_a_file_that_is_not_utf8_text_raises_ledger_error(tmp_path, data, expected):
    path = tmp_path / "claims.xlsx"
    path.write_bytes(data)
    with pytest.raises(LedgerError) as caught:
        load_ledger(path)
    message = str(caught.value)
    assert "claims.xlsx" in message and expected in message
    assert "CSV text file encoded as UTF-8" in message


def test_missing_text_is_missing_in_the_frame():
    frame = load_ledger("seeds").to_frame()
    assert frame["derived_from"].notna().sum() == 1
    assert frame["derived_from"].isna().sum() == len(frame) - 1
    assert frame["qualifier"].isna().any() and frame["outlet"].isna().any()
    # and the frame goes back to the same canonical CSV, empty cells and all
    assert Ledger.from_frame(frame).to_csv() == load_ledger("seeds").to_csv()
