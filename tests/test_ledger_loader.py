"""The loader refuses silent mistakes; shipped ledgers by name; suspected repeats (issue 18)."""

import csv
import io
import warnings
from pathlib import Path

import pandas as pd
import pytest
from _claims import BASE, claim

from remitest.ledger import (
    COLUMNS,
    SHIPPED_LEDGERS,
    FigureOutlierWarning,
    Ledger,
    LedgerError,
    LedgerWarning,
    load_ledger,
)
from remitest.ledger_cli import ledger_command


def three_claims(**changes_to_third):
    """Three world worker claims (lines 2-4), the third changed; no two are a suspected repeat."""
    return [
        claim(),
        claim(id="b-kinu", low="80000", high="80000", estimator="KINU",
              estimator_type="research_institute", published="2016", ref_start="2016",
              ref_end="2016"),
        claim(**{"id": "c-other", "low": "60000", "high": "60000", "estimator": "Other",
                 "estimator_type": "media", "published": "2015", "ref_start": "2015",
                 "ref_end": "2015", **changes_to_third}),
    ]  # fmt: skip


def csv_text(rows, columns=None, delimiter=","):
    columns = columns or list(dict.fromkeys(k for row in rows for k in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\n",
                            delimiter=delimiter)  # fmt: skip
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write(path, text):
    path.write_bytes(text.encode("utf-8"))
    return path


def rename_column(text, old, new):
    header, rest = text.split("\n", 1)
    return header.replace(old, new) + "\n" + rest


def load_error(path):
    before = path.read_bytes()
    with pytest.raises(LedgerError) as caught:
        load_ledger(path)
    assert path.read_bytes() == before  # the user's file is never changed
    return caught.value


# -- shipped ledgers by name ---------------------------------------------------------------


def test_seeds_is_the_ten_claims_of_the_seed_articles():
    seeds = load_ledger("seeds")
    assert len(seeds) == 10
    assert "usstate2017-workers" in set(seeds.to_frame()["id"])
    assert seeds.sha256 == "505b2aff4357b74c1215300816112f30da274bf2a36120cdc201207d1848d25b"


def test_default_and_record_are_the_record():
    from importlib import resources

    record = load_ledger("record")
    assert load_ledger().sha256 == record.sha256 == load_ledger(None).sha256
    text = resources.files("remitest").joinpath("data", "record.csv").read_text(encoding="utf-8")
    assert record.to_csv() == text  # shipped in canonical form
    assert set(SHIPPED_LEDGERS) == {"record", "seeds"}


def test_any_other_string_is_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "mine.csv", csv_text([claim()]))
    assert len(load_ledger("mine.csv")) == 1
    write(tmp_path / "seeds", csv_text([claim()]))
    assert len(load_ledger("./seeds")) == 1  # a file called seeds, by its path
    with pytest.raises(FileNotFoundError, match="the shipped ledgers are 'record', 'seeds'"):
        load_ledger("record.csv")
    with pytest.raises(FileNotFoundError, match="the shipped ledger is 'seeds', in lower case"):
        load_ledger("Seeds")
    with pytest.raises(FileNotFoundError, match="without the spaces around it"):
        load_ledger(" seeds ")
    with pytest.raises(FileNotFoundError, match="pass the string 'record', not a path") as caught:
        load_ledger(Path("record"))  # no such file here (the cwd is tmp_path)
    assert caught.value.__cause__.filename.endswith("record")  # the OS's own error, chained


def test_cli_reads_a_shipped_ledger_by_name(capsys):
    assert ledger_command("seeds", None) == 0
    assert load_ledger("seeds").sha256 in capsys.readouterr().out


# -- misspelt columns ----------------------------------------------------------------------

MISSPELT = {
    # misspelt column, the column it means, the claim that fills it, the value
    "derived_form": ("derived_from", {"derived_form": "a-workers"}, "a-workers"),
    "coverge": ("coverage", {"coverge": "0.5"}, "0.5"),
    "meausre": ("measure", {"meausre": "permits"}, "permits"),
    "Derived From": ("derived_from", {"Derived From": "a-workers"}, "a-workers"),
}


@pytest.mark.parametrize("column, meant, changes, value", [(k, *v) for k, v in MISSPELT.items()],
                         ids=list(MISSPELT))  # fmt: skip
def test_a_misspelt_column_is_an_error_naming_the_column_meant(tmp_path, column, meant, changes,
                                                               value):  # fmt: skip
    rows = [claim(), claim(id="b-repeat", published="2018", **changes)]
    path = write(tmp_path / "claims.csv", csv_text(rows))
    error = load_error(path)
    message = str(error)
    assert (f"line 3 (id 'b-repeat'): field {column!r} = {value!r}: column {column!r} is not "
            f"a ledger column") in message, message  # fmt: skip
    assert f"probably meant {meant!r}" in message
    assert "header (line 1)" in message
    assert [(p.row, p.id, p.field, p.value) for p in error.problems] == [
        (3, "b-repeat", column, value)
    ]


def test_a_misspelt_required_column_is_one_problem_not_two(tmp_path):
    text = rename_column(csv_text([claim()]), "quantity", "quantiy")
    error = load_error(write(tmp_path / "c.csv", text))
    assert len(error.problems) == 1
    assert ("line 2 (id 'a-workers'): field 'quantiy' = 'workers': column 'quantiy' is not a "
            "ledger column but 1 edit from 'quantity': probably meant 'quantity'; 'quantity' is "
            "a required column and missing") in str(error)  # fmt: skip


def test_a_misspelt_column_does_not_hide_the_bad_values_of_the_other_columns(tmp_path):
    """Every problem at once: the column's, and each bad cell of the columns that are there."""
    rows = three_claims(low="-5", high="lots", ref_start="20l5")
    error = load_error(write(tmp_path / "c.csv",
                             rename_column(csv_text(rows), "estimator,", "estimater,")))
    found = {(p.row, p.field, p.value) for p in error.problems}
    assert (2, "estimater", "US State Department") in found, error
    assert {(4, "low", "-5"), (4, "high", "lots"), (4, "ref_start", "20l5")} <= found, error
    # nothing that only the absent column would make every row repeat
    assert not [p for p in error.problems if p.field == "estimator"], error


def test_a_misspelt_kind_keeps_the_checks_that_do_not_need_the_kind(tmp_path):
    rows = three_claims(low="-5", high="1,000", coverage="1.5")
    error = load_error(write(tmp_path / "c.csv", rename_column(csv_text(rows), "kind", "knd")))
    # the number checks stay; no kind-specific rule ("a point needs ...") fires on any row
    assert [(p.row, p.field) for p in error.problems] == [
        (2, "knd"), (4, "low"), (4, "high"), (4, "coverage")], error
    assert "thousands separator" in str(error)


def test_without_an_id_column_derived_from_is_not_checked(tmp_path):
    rows = [claim(), claim(id="b-repeat", published="2018", derived_from="a-workers")]
    text = rename_column(csv_text(rows), "id,", "ID,")
    error = load_error(write(tmp_path / "c.csv", text))
    assert [p.field for p in error.problems] == ["ID"], error  # not "names no claim" per row


def test_a_column_named_twice_is_reported_alone(tmp_path):
    text = rename_column(csv_text(three_claims(low="-5")), "document", "scope")
    error = load_error(write(tmp_path / "c.csv", text))
    assert {p.field for p in error.problems} == {"scope", "document"}, error  # not low's -5
    assert all(p.row in (1, None) for p in error.problems), error


def test_an_empty_misspelt_column_is_named_at_the_header(tmp_path):
    text = csv_text([claim(coverge="")], columns=[*BASE, "coverge"])
    error = load_error(write(tmp_path / "c.csv", text))
    assert "line 1: field 'coverge': column 'coverge' is not a ledger column" in str(error)
    assert "its cells are all empty" in str(error)


def test_other_extra_columns_are_kept_and_listed(tmp_path, capsys):
    rows = [claim(reviewer="AB", url="https://x", x="1", min="3")]
    path = write(tmp_path / "c.csv", csv_text(rows))
    ledger = load_ledger(path)
    assert ledger.extra_columns == ("reviewer", "url", "x", "min")
    assert repr(ledger).endswith(", extra columns reviewer, url, x, min>")
    assert ledger.to_frame()["reviewer"].tolist() == ["AB"]
    assert load_ledger(path, measures=None).to_csv() == ledger.to_csv()
    assert ledger_command(str(path), None) == 0
    out = capsys.readouterr().out
    assert "extra columns (kept, not read by the model): reviewer, url, x, min" in out
    assert load_ledger("seeds").extra_columns == ()


def test_measure_and_reading_are_not_extra_columns():
    frame = pd.DataFrame([claim(measure="permits", kind="lower_bound", high="",
                                reading="censored")])  # fmt: skip
    assert Ledger.from_frame(frame).extra_columns == ()


def test_from_frame_has_the_same_column_checks():
    frame = pd.DataFrame([claim(), claim(id="b-repeat", derived_form="a-workers")])
    with pytest.raises(LedgerError) as caught:
        Ledger.from_frame(frame)
    message = str(caught.value)
    assert ("row 1 (id 'b-repeat'): field 'derived_form' = 'a-workers': column 'derived_form' "
            "is not a ledger column but 1 edit from 'derived_from'") in message
    assert "line 1" not in message
    frame = pd.DataFrame([{k: v for k, v in claim().items() if k != "id"} | {"ID": "a"}])
    with pytest.raises(LedgerError, match=r"row 0: field 'ID' = 'a': column 'ID' is not a "
                       r"ledger column but 'id' written in another case"):  # fmt: skip
        Ledger.from_frame(frame)
    with pytest.raises(LedgerError) as caught:
        Ledger.from_frame(pd.DataFrame([[1, 2, 3]]))
    assert len(caught.value.problems) == 1
    assert "the data frame has no column of a claims ledger: '0,1,2' (3 columns)" in str(
        caught.value
    )


# -- separators ----------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [";", "\t"], ids=["semicolon", "tab"])
def test_semicolon_and_tab_separated_files_are_recognised(tmp_path, delimiter):
    rows = [claim(quote="some 100,000 workers; more"), *three_claims()[1:]]
    comma = load_ledger(write(tmp_path / "comma.csv", csv_text(rows)))
    path = write(tmp_path / "other.csv", csv_text(rows, delimiter=delimiter))
    before = path.read_bytes()
    assert load_ledger(path).sha256 == comma.sha256
    assert path.read_bytes() == before


@pytest.mark.parametrize("delimiter", [";", "\t"], ids=["semicolon", "tab"])
def test_a_problem_in_a_semicolon_file_names_line_field_value(tmp_path, delimiter):
    rows = [claim(), claim(id="b-bad", kind="about")]
    error = load_error(write(tmp_path / "c.csv", csv_text(rows, delimiter=delimiter)))
    assert len(error.problems) == 1
    assert "line 3 (id 'b-bad'): field 'kind' = 'about': must be one of" in str(error)


def test_another_separator_is_one_clear_message(tmp_path):
    error = load_error(write(tmp_path / "c.csv", csv_text([claim(), claim(id="b")],
                                                          delimiter="|")))  # fmt: skip
    assert len(error.problems) == 1
    message = str(error)
    assert "line 1: the header names no column of a claims ledger: 'id|quantity|kind" in message
    assert "it looks separated by '|'" in message
    assert "required column is missing" not in message


def test_a_dotted_thousands_figure_in_a_semicolon_file_is_refused(tmp_path):
    rows = [claim(), claim(id="b-dots", low="100.000", high="100.000")]
    error = load_error(write(tmp_path / "c.csv", csv_text(rows, delimiter=";")))
    message = str(error)
    assert "line 3 (id 'b-dots'): field 'low' = '100.000': is ambiguous" in message
    assert "probably 100000 written with dots as thousands separators" in message
    # in a comma-separated file a dot is a decimal point
    assert len(load_ledger(write(tmp_path / "d.csv", csv_text([claim(low="1.5e5",
                                                                     high="150000.000")])))) == 1


# -- figures -------------------------------------------------------------------------------

SEPARATED = {
    "comma": ("100,000", "a comma", "100000"),
    "space": ("100 000", "a space", "100000"),
    "no-break space": ("1\u00a0500\u00a0000", "'\\xa0'", "1500000"),
    "apostrophe": ("100'000", "an apostrophe", "100000"),
    "comma, decimals": ("1,234.5", "a comma", "1234.5"),
}


@pytest.mark.parametrize("written, separator, digits", SEPARATED.values(), ids=SEPARATED.keys())
def test_a_thousands_separator_gets_a_hint(tmp_path, written, separator, digits):
    rows = [claim(), claim(id="b-sep", kind="lower_bound", low=written, high="")]
    error = load_error(write(tmp_path / "c.csv", csv_text(rows)))
    assert len(error.problems) == 1
    expected = (f"line 3 (id 'b-sep'): field 'low' = {written!r}: must be a positive number in "
                f"base units (persons or US$); it looks written with {separator} as thousands "
                f"separator: drop the separator and write {digits}")  # fmt: skip
    assert expected in str(error), str(error)


def test_a_decimal_comma_gets_a_hint(tmp_path):
    rows = [claim(), claim(id="b-cov", coverage="0,5")]
    error = load_error(write(tmp_path / "c.csv", csv_text(rows, columns=[*COLUMNS])))
    assert ("line 3 (id 'b-cov'): field 'coverage' = '0,5': must be a number strictly between "
            "0 and 1, e.g. 0.5; write the decimal mark as a dot: 0.5") in str(error)


def test_all_problems_at_once_with_hints(tmp_path):
    rows = [claim(low="100,000", high="100,000"), claim(id="b", kind="about")]
    error = load_error(write(tmp_path / "c.csv", csv_text(rows)))
    assert {(p.row, p.field) for p in error.problems} == {(2, "low"), (2, "high"), (3, "kind")}


def test_a_figure_20_times_from_the_median_is_a_warning(tmp_path):
    path = write(tmp_path / "c.csv", csv_text(three_claims(low="100", high="100")))
    before = path.read_bytes()
    with pytest.warns(FigureOutlierWarning) as record:
        ledger = load_ledger(path)
    assert path.read_bytes() == before
    messages = [str(w.message) for w in record]
    assert len(messages) == 1  # a point is one figure, named once (as its low)
    assert (f"claims ledger {str(path)!r}: line 4 (id 'c-other'): field 'low' = '100': is 800 "
            "times below the median figure (80,000) of the 3 workers claims for world in this "
            "ledger") in messages[0]  # fmt: skip
    assert "thousands or millions typed as units?" in messages[0]
    assert issubclass(FigureOutlierWarning, LedgerWarning)
    table = ledger.outlying_figures()
    assert table.index.tolist() == [2]
    assert table[["id", "field", "value"]].values.tolist() == [["c-other", "low", "100"]]


def test_a_figure_checked_against_its_source_is_not_a_warning(tmp_path):
    rows = three_claims(low="100", high="100")
    rows[-1]["notes"] = "Figure checked against the page: 100 as published."
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ledger = load_ledger(write(tmp_path / "c.csv", csv_text(rows)))
    assert ledger.outlying_figures().empty


def test_a_figure_far_above_is_a_warning_too(tmp_path):
    rows = three_claims(kind="range", low="60000", high="9000000")
    with pytest.warns(FigureOutlierWarning, match=r"line 4 \(id 'c-other'\): field 'high' = "
                      r"'9000000': is 90 times above"):  # fmt: skip
        load_ledger(write(tmp_path / "c.csv", csv_text(rows)))


def test_no_warning_within_20_times_or_alone_in_its_scope(tmp_path):
    rows = [*three_claims(low="5000", high="5000"),  # 16x below the median
            claim(id="d-china", scope="china", low="10", high="10")]  # alone in its scope
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ledger = load_ledger(write(tmp_path / "c.csv", csv_text(rows)))
    assert ledger.outlying_figures().empty
    assert len(ledger.outlying_figures(factor=10)) == 1


def test_the_cli_prints_warnings_and_exits_0(tmp_path, capsys):
    path = write(tmp_path / "c.csv", csv_text(three_claims(low="100", high="100")))
    assert ledger_command(str(path), None) == 0
    err = capsys.readouterr().err
    assert ("remitest ledger: warning: claims ledger" in err
            and "line 4 (id 'c-other'): field 'low' = '100': is 800 times below" in err)


# -- suspected repeats ---------------------------------------------------------------------


def repeat_pair(**later_changes):
    """The US figure, and a later article stating the same figure as current."""
    return [
        claim(),
        claim(id="b-other", low="60000", high="60000", estimator="Other", estimator_type="media",
              published="2019", ref_start="2019", ref_end="2019"),
        claim(**{"id": "c-later", "published": "2023-05", "ref_start": "2023",
                 "ref_end": "2023", "estimator": "Daily", "estimator_type": "media",
                 "low": "100000", "high": "100000", **later_changes}),
    ]  # fmt: skip


def suspected(rows):
    return Ledger.from_frame(pd.DataFrame(rows)).suspected_repeats()


def test_a_restated_figure_is_a_suspected_repeat():
    table = suspected(repeat_pair())
    assert table.columns.tolist() == [
        "earlier_id", "later_id", "quantity", "scope", "earlier_figures", "later_figures",
        "earlier_published", "later_published", "earlier_ref", "later_ref", "reason",
    ]  # fmt: skip
    assert len(table) == 1
    row = table.iloc[0]
    assert (row.earlier_id, row.later_id, row.quantity, row.scope) == (
        "a-workers", "c-later", "workers", "world"
    )
    assert (row.earlier_figures, row.later_figures) == ("100,000", "100,000")
    assert (row.earlier_published, row.later_published) == ("2017", "2023-05")
    assert "two significant figures (100,000)" in row.reason
    assert "moved from 2017 to 2023" in row.reason


def test_a_rounded_restatement_with_an_overlapping_window_is_found():
    table = suspected(repeat_pair(low="", high="104000", kind="upper_bound", ref_start="2016",
                                  ref_end="2017"))  # fmt: skip
    assert table[["earlier_id", "later_id", "later_figures"]].values.tolist() == [
        ["a-workers", "c-later", "up to 104,000"]
    ]
    assert "reference years overlap (2017 and 2016-2017)" in table.iloc[0].reason


@pytest.mark.parametrize(
    "changes",
    [
        {"derived_from": "a-workers"},  # linked directly
        {"low": "120000", "high": "120000"},  # a figure that differs at two significant figures
        {"kind": "range", "low": "50000", "high": "100000"},  # a range is not its upper end
        {"scope": "russia"},  # another scope
        {"quantity": "per_worker_usd"},  # another quantity
        {"ref_start": "2020", "ref_end": "2020"},  # neither overlapping nor current
        {"notes": "Reported separately; independent of a-workers."},  # marked independent
        {"notes": "Independent of b-other, a-workers and x; see the text"},  # in a list
    ],
    ids=["linked", "other figure", "range", "scope", "quantity", "old window", "independent",
         "independent list"],
)
def test_a_pair_that_is_resolved_or_differs_is_not_listed(changes):
    assert suspected(repeat_pair(**changes)).empty


def test_a_pair_linked_through_a_chain_is_not_listed():
    rows = repeat_pair(low="60000", high="60000", derived_from="b-other")
    rows.append(claim(id="d-chain", derived_from="c-later", published="2024", ref_start="2024",
                      ref_end="2024", low="60000", high="60000"))  # fmt: skip
    rows.append(claim(id="e-sibling", published="2025", ref_start="2025", ref_end="2025",
                      low="60000", high="60000", estimator="Other", estimator_type="media",
                      notes="restates b-other; independent of nothing"))  # fmt: skip
    # b-other <- c-later <- d-chain are linked; e-sibling is an unlinked original, listed once
    # against the original of the chain
    table = suspected(rows)
    assert table[["earlier_id", "later_id"]].values.tolist() == [["b-other", "e-sibling"]]
    # and naming any claim of the chain marks it independent of the whole chain
    rows[-1]["notes"] = "independent of d-chain"
    assert suspected(rows).empty


def test_a_repeat_pairs_on_its_own_where_its_original_does_not():
    rows = [claim(id="a-old", ref_start="2010", ref_end="2010", published="2010"),
            claim(id="b-rep", derived_from="a-old", published="2017", ref_start="2017"),
            claim(id="c-new", published="2018", ref_start="2016", ref_end="2017",
                  estimator="Daily", estimator_type="media")]  # fmt: skip
    # c-new (about 2016-17, published 2018) overlaps the repeat's years, not the original's
    assert suspected(rows)[["earlier_id", "later_id"]].values.tolist() == [["b-rep", "c-new"]]


def test_independence_names_the_exact_id():
    rows = repeat_pair(notes="independent of a-workers-2")
    assert suspected(rows)["earlier_id"].tolist() == ["a-workers"]


def test_an_earlier_publication_is_not_a_restatement():
    rows = repeat_pair(published="2016", ref_start="2016", ref_end="2016")
    table = suspected(rows)
    # the 2016 claim is the earlier one: a-workers (2017, about 2017) restates it
    assert table[["earlier_id", "later_id"]].values.tolist() == [["c-later", "a-workers"]]


def test_same_published_date_lists_the_pair_once():
    rows = [claim(), claim(id="b-same", estimator="Daily", estimator_type="media")]
    assert suspected(rows)[["earlier_id", "later_id"]].values.tolist() == [
        ["a-workers", "b-same"]
    ]


def test_the_cli_warns_of_suspected_repeats_and_exits_0(tmp_path, capsys):
    path = write(tmp_path / "c.csv", csv_text(repeat_pair()))
    assert ledger_command(str(path), None) == 0
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1
    assert err[0].startswith("remitest ledger: warning: suspected repeat: 'c-later' (workers, "
                             "world, 100,000, published 2023-05) may restate 'a-workers'")
    assert "set derived_from = 'a-workers' on 'c-later', or write 'independent of a-workers'" in (
        err[0]
    )


def test_no_suspected_repeat_without_pairs(tmp_path, capsys):
    path = write(tmp_path / "c.csv", csv_text(three_claims()))
    assert ledger_command(str(path), None) == 0
    assert capsys.readouterr().err == ""
