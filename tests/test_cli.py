import json
import sys
import types

import pytest

import remitest
from remitest.cli import format_summary, main, read_config
from remitest.config import ConfigError, ModelConfig
from remitest.diagnostics import DiagnosticsError
from remitest.export import load_run
from remitest.ledger import load_ledger
from remitest.testing import fake_fit


def _replace_fit(monkeypatch, fit):
    """Stand in for ``remitest.fitting`` (no sampler, no compile): only ``fit`` is used."""
    stub = types.ModuleType("remitest.fitting")
    stub.fit = fit
    monkeypatch.setitem(sys.modules, "remitest.fitting", stub)
    monkeypatch.setattr(remitest, "fitting", stub, raising=False)


@pytest.fixture
def fit_calls(monkeypatch):
    """Replace the sampler by a fake fit; record what the CLI asked for."""
    calls = []

    def fake(ledger, config=None, **options):
        calls.append({"ledger": ledger, "config": config, **options})
        seed = options["random_seed"] if options["random_seed"] is not None else 424242
        return fake_fit(ledger, config, draws=20, random_seed=seed)

    _replace_fit(monkeypatch, fake)
    return calls


def test_ledger_subcommand_is_unchanged(capsys):
    assert main(["ledger"]) == 0
    assert load_ledger().sha256 in capsys.readouterr().out


def test_fit_writes_the_run_folder_and_prints_its_id(tmp_path, fit_calls, capsys):
    out = tmp_path / "run"
    status = main(["fit", "--out", str(out), "--draws", "20", "--tune", "10", "--chains", "2",
                   "--seed", "5", "--sampler", "pymc", "--no-figures"])
    assert status == 0
    (call,) = fit_calls
    assert {k: call[k] for k in ("draws", "tune", "chains", "random_seed", "sampler", "strict",
                                 "progressbar")} == {
        "draws": 20, "tune": 10, "chains": 2, "random_seed": 5, "sampler": "pymc",
        "strict": False, "progressbar": True}
    assert call["config"] == ModelConfig()
    loaded = load_run(out)
    stdout = capsys.readouterr().out
    assert loaded.run_id in stdout and str(out) in stdout
    assert "diagnostics passed" in stdout
    assert "random seed 5\n" in stdout
    assert "World series: posterior median (90% interval)" in stdout
    assert not list(out.glob("*.png"))


def test_drawn_seed_is_recorded_and_printed(tmp_path, fit_calls, capsys):
    assert main(["fit", "--out", str(tmp_path / "run"), "--no-figures"]) == 0
    assert fit_calls[0]["random_seed"] is None
    assert "random seed 424242 (drawn" in capsys.readouterr().out
    assert load_run(tmp_path / "run").random_seed == 424242


def test_bad_ledger_exits_2_without_traceback(tmp_path, fit_calls, capsys):
    path = tmp_path / "bad.csv"
    text = load_ledger("seeds").to_csv().replace(",50000,60000,", ",70000,60000,", 1)
    path.write_text(text)
    assert main(["fit", "--ledger", str(path), "--out", str(tmp_path / "run")]) == 2
    captured = capsys.readouterr()
    assert "field 'low' = '70000'" in captured.err and "Traceback" not in captured.err
    assert not fit_calls and not (tmp_path / "run").exists()


def test_missing_ledger_exits_2(tmp_path, fit_calls, capsys):
    assert main(["fit", "--ledger", str(tmp_path / "none.csv"), "--out", str(tmp_path)]) == 2
    assert "none.csv" in capsys.readouterr().err


@pytest.mark.parametrize("config, message", [
    ('{"target_accept": 2}', "target_accept"),
    ('{"no_such_key": 1}', "no_such_key"),
    ("{not json", "not valid JSON"),
    ("missing.json", "missing.json"),
])  # fmt: skip
def test_bad_config_exits_2(tmp_path, fit_calls, capsys, config, message):
    assert main(["fit", "--config", config, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not fit_calls


def test_config_from_a_file(tmp_path, fit_calls):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"interpretation": {"upper_bound": "censored"}}))
    assert main(["fit", "--config", str(path), "--out", str(tmp_path / "run"),
                 "--no-figures"]) == 0
    assert fit_calls[0]["config"].interpretation.upper_bound == "censored"
    assert load_run(tmp_path / "run").config == fit_calls[0]["config"]


def test_read_config():
    assert read_config(None) == ModelConfig()
    assert read_config(' {"target_accept": 0.95}').target_accept == 0.95
    with pytest.raises(ConfigError, match="neither a JSON object nor a readable JSON file"):
        read_config("nowhere.json")


def test_strict_gate_failure_exits_3(tmp_path, monkeypatch, capsys):
    def failing(ledger, config=None, **options):
        assert options["strict"] is True
        raise DiagnosticsError("the fit failed its diagnostics gate:\n  - 12 divergent "
                               "transitions")

    _replace_fit(monkeypatch, failing)
    assert main(["fit", "--strict", "--out", str(tmp_path / "run")]) == 3
    err = capsys.readouterr().err
    assert "12 divergent transitions" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_scope_not_covered_by_config_exits_2(tmp_path, monkeypatch, capsys):
    def uncovered(ledger, config=None, **options):
        raise ConfigError("the configuration does not cover every scope in the ledger")

    _replace_fit(monkeypatch, uncovered)
    assert main(["fit", "--out", str(tmp_path / "run")]) == 2
    assert "does not cover every scope" in capsys.readouterr().err


def test_unwritable_out_dir_exits_1(tmp_path, fit_calls, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["fit", "--out", str(blocker / "run"), "--no-figures"]) == 1
    assert "cannot write the run folder" in capsys.readouterr().err


def test_bad_option_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--out", str(tmp_path), "--draws", "-3"])
    assert exit_info.value.code == 2
    assert "--draws" in capsys.readouterr().err


def test_format_summary_is_readable():
    summary = fake_fit(draws=20).summary()
    text = format_summary(summary)
    lines = text.splitlines()
    assert lines[0] == "World series: posterior median (90% interval)"
    assert "workers abroad" in lines[1] and "remittances, US$/year" in lines[1]
    assert len(lines) == 2 + 8  # at most eight years
    assert "2013" in lines[2] and "2024" in lines[-1]
    assert "k (" in text and "M (" in text
    assert "no claims" in lines[2]
    # a year covered by claims of some quantity is not "no claims", whatever the per-worker row says
    by_year = {line.split()[0]: line for line in lines[2:]}
    assert "no claims" not in by_year["2016"] and "no claims" not in by_year["2024"]


def test_summary_fits_80_columns_at_150_claims():
    from _synthetic import synthetic_ledger

    from remitest.cli import format_summary
    from remitest.testing import fake_fit

    text = format_summary(fake_fit(synthetic_ledger(150, random_seed=1), draws=20).summary())
    assert max(len(line) for line in text.splitlines()) <= 80


def test_write_run_reports_progress_per_figure(tmp_path):
    from remitest.export import write_run
    from remitest.plots import FIGURES
    from remitest.testing import fake_fit

    lines = []
    write_run(fake_fit(draws=20), tmp_path / "run", progress=lines.append)
    assert [line.split(":")[0] for line in lines] == [
        f"figure {i}/{len(FIGURES)}" for i in range(1, len(FIGURES) + 1)]
