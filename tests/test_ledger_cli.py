import pytest

from remitest.ledger import load_ledger
from remitest.ledger_cli import ledger_command


def test_shipped_ledger_prints_table_and_spread(capsys):
    assert ledger_command("seeds", None) == 0
    out = capsys.readouterr().out
    for heading in ("id", "quantity", "kind", "low", "high", "ref years", "estimator", "scope",
                    "derived_from", "Spread per quantity and scope", "originals", "repeats",
                    "max/min"):  # fmt: skip
        assert heading in out
    for claim_id in load_ledger("seeds").to_frame()["id"]:
        assert claim_id in out
    assert "2017-2019" in out and "900,000,000" in out
    assert load_ledger("seeds").sha256 in out


def test_default_is_the_record(capsys):
    assert ledger_command(None, None) == 0
    assert load_ledger("record").sha256 in capsys.readouterr().out


def test_spread_line_counts_originals_and_repeats(capsys):
    ledger_command("seeds", None)
    lines = capsys.readouterr().out.splitlines()
    world = next(line for line in lines if line.startswith("workers ") and " world " in line)
    assert world.split()[2:5] == ["5", "4", "1"]
    group = next(line for line in lines if " china_russia " in line)
    assert group.split()[2:] == ["1", "1", "0", "20,000", "200,000", "10"]


def test_bad_file_returns_2_with_message_on_stderr(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    load_ledger("seeds").to_csv(path)
    text = path.read_text(encoding="utf-8").replace(",50000,60000,", ",70000,60000,", 1)
    path.write_text(text, encoding="utf-8")
    assert ledger_command(str(path), None) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "line 2 (id 'scmp2016-workers'): field 'low' = '70000'" in captured.err


def test_missing_file_returns_2(tmp_path, capsys):
    assert ledger_command(str(tmp_path / "none.csv"), None) == 2
    assert "none.csv" in capsys.readouterr().err


@pytest.mark.parametrize("hosts", [None, ["mongolia"]])
def test_hosts_are_passed_on(capsys, hosts):
    assert ledger_command(None, hosts) == 0
    assert ("mongolia" in capsys.readouterr().out) == bool(hosts)


def test_binary_file_returns_2_naming_the_file(tmp_path, capsys):
    path = tmp_path / "claims.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00")
    assert ledger_command(str(path), None) == 2
    err = capsys.readouterr().err
    assert "claims.xlsx" in err and "UTF-8" in err


def test_plot_writes_the_ledger_figure(tmp_path, capsys):
    out = tmp_path / "ledger.png"
    assert ledger_command(None, None, str(out)) == 0
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir()] == ["ledger.png"]  # no temporary file left
    assert "ledger figure written to" in capsys.readouterr().out


def test_plot_with_an_unknown_suffix_returns_2(tmp_path, capsys):
    assert ledger_command(None, None, str(tmp_path / "ledger.bmpx")) == 2
    assert ".png" in capsys.readouterr().err


def test_cli_passes_the_plot_option(tmp_path):
    from remitest.cli import main

    out = tmp_path / "ledger.svg"
    assert main(["ledger", "--plot", str(out)]) == 0
    assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")
