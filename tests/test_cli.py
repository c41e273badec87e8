import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import remitest
from remitest.cli import CHECKS, format_summary, main, read_config
from remitest.config import ConfigError, ModelConfig
from remitest.diagnostics import DiagnosticsError
from remitest.export import load_run
from remitest.ledger import Ledger, load_ledger
from remitest.report_html import covered_years
from remitest.testing import fake_fit


def _replace_fit(monkeypatch, fit):
    """Stand in for ``remitest.sampling`` (no sampler, no compile): only ``fit`` is used."""
    stub = types.ModuleType("remitest.sampling")
    stub.fit = fit
    monkeypatch.setitem(sys.modules, "remitest.sampling", stub)
    monkeypatch.setattr(remitest, "sampling", stub, raising=False)


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
    assert main(["ledger", "seeds"]) == 0
    assert load_ledger("seeds").sha256 in capsys.readouterr().out


def test_fit_writes_the_run_folder_and_prints_its_id(tmp_path, fit_calls, capsys):
    out = tmp_path / "run"
    status = main(["fit", "--ledger", "seeds", "--out", str(out), "--draws", "20", "--tune", "10",
                   "--chains", "2", "--seed", "5", "--sampler", "pymc", "--no-figures"])
    assert status == 0
    (call,) = fit_calls
    assert {k: call[k] for k in ("draws", "tune", "chains", "random_seed", "sampler", "strict")
            } == {"draws": 20, "tune": 10, "chains": 2, "random_seed": 5, "sampler": "pymc",
                  "strict": False}
    # stderr is not a terminal here: progress comes as lines on stderr, not as a bar
    assert callable(call["progressbar"])
    assert call["config"] == ModelConfig()
    loaded = load_run(out)
    stdout = capsys.readouterr().out
    assert loaded.run_id in stdout and str(out) in stdout
    assert "diagnostics passed" in stdout
    assert "random seed 5\n" in stdout
    assert "World series: posterior median (90% interval)" in stdout
    assert not list(out.glob("*.png"))


def test_drawn_seed_is_recorded_and_printed(tmp_path, fit_calls, capsys):
    assert main(["fit", "--ledger", "seeds", "--out", str(tmp_path / "run"), "--no-figures"]) == 0
    assert fit_calls[0]["random_seed"] is None
    assert "random seed 424242 (drawn" in capsys.readouterr().out
    assert load_run(tmp_path / "run").random_seed == 424242


def test_the_ledgers_warnings_are_printed_as_warnings(tmp_path, fit_calls, monkeypatch, capsys):
    import warnings

    import remitest.ledger
    from remitest.ledger import LedgerWarning

    real = remitest.ledger.load_ledger

    def warning_load(path=None, **options):
        warnings.warn("line 3: a figure 39 times below the median", LedgerWarning, stacklevel=2)
        return real("seeds", **options)

    monkeypatch.setattr(remitest.ledger, "load_ledger", warning_load)
    assert main(["fit", "--out", str(tmp_path / "run"), "--no-figures"]) == 0
    err = capsys.readouterr().err
    assert "remitest fit: warning: line 3: a figure 39 times below the median\n" in err
    assert "Traceback" not in err


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
    assert main(["fit", "--ledger", "seeds", "--config", config, "--out",
                 str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not fit_calls


def test_config_from_a_file(tmp_path, fit_calls):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"interpretation": {"upper_bound": "censored"}}))
    assert main(["fit", "--ledger", "seeds", "--config", str(path), "--out", str(tmp_path / "run"),
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
    assert main(["fit", "--ledger", "seeds", "--strict", "--out", str(tmp_path / "run")]) == 3
    err = capsys.readouterr().err
    assert "12 divergent transitions" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_scope_not_covered_by_config_exits_2(tmp_path, monkeypatch, capsys):
    def uncovered(ledger, config=None, **options):
        raise ConfigError("the configuration does not cover every scope in the ledger")

    _replace_fit(monkeypatch, uncovered)
    assert main(["fit", "--ledger", "seeds", "--out", str(tmp_path / "run")]) == 2
    assert "does not cover every scope" in capsys.readouterr().err


def test_unwritable_out_dir_exits_1(tmp_path, fit_calls, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["fit", "--ledger", "seeds", "--out", str(blocker / "run"), "--no-figures"]) == 1
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
    assert "k (" in text and "M (" in text
    by_year = {int(line.split()[0]): line for line in lines[2:]}
    # every year from the first to the last that claims cover: 2017 (the most claims) and 2020
    # (the deadline, no claim) included; the padding years before the first claim left out
    assert list(by_year) == covered_years(summary)
    assert {2015, 2016, 2017, 2019, 2020, 2024} <= set(by_year) and 2013 not in by_year
    assert "no claim" in by_year[2020] and "no claim" not in by_year[2017]
    # a year covered by claims of some quantity is not "no claim", whatever the per-worker row says
    assert "no claim" not in by_year[2016] and "no claim" not in by_year[2024]


def test_covered_years_span_the_claims():
    summary = fake_fit(draws=20).summary()
    world = summary[summary["scope"] == "world"]
    counts = world.groupby("year")["n_claims"].sum()
    covered = [int(y) for y in counts.index[counts > 0]]
    assert covered_years(summary) == list(range(covered[0], covered[-1] + 1))
    assert set(covered) <= set(covered_years(summary))


def test_format_summary_shows_the_years_asked_for():
    summary = fake_fit(draws=20).summary()
    text = format_summary(summary, [2013, 2020, 2030])  # 2030 is not in this summary
    assert [line.split()[0] for line in text.splitlines()[2:]] == ["2013", "2020"]
    marked = format_summary(summary, [2013, 2014], beyond=[2013])
    assert "beyond the fitted years" in marked.splitlines()[2]
    assert "no claim" in marked.splitlines()[3]


@pytest.mark.parametrize("text, years", [
    ("2015-2018", (2015, 2016, 2017, 2018)),
    ("2016,2017,2020", (2016, 2017, 2020)),
    ("2013-2015, 2020,2014", (2013, 2014, 2015, 2020)),
    ("2017", (2017,)),
])  # fmt: skip
def test_years_option(tmp_path, fit_calls, capsys, text, years):
    assert main(["fit", "--ledger", "seeds", "--out", str(tmp_path / "run"), "--no-figures",
                 "--years", text]) == 0
    assert tuple(_summary_years(capsys.readouterr().out)) == years


def _summary_years(stdout):
    """The years of the world series that ``remitest fit`` printed."""
    table = stdout.split("World series: posterior median (90% interval)\n")[1]
    return [int(line[:4]) for line in table.splitlines()[1:] if line[:4].isdigit()]


def test_years_beyond_the_fit_are_extrapolated_and_marked(tmp_path, fit_calls, capsys):
    assert main(["fit", "--ledger", "seeds", "--out", str(tmp_path / "run"), "--no-figures",
                 "--years", "2010-2011,2016"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line[:4] in
            ("2010", "2011", "2016")}
    assert "beyond the fitted years" in rows["2010"] and "beyond the fitted years" in rows["2011"]
    assert "beyond" not in rows["2016"]
    assert load_run(tmp_path / "run").years[0] > 2011  # the run folder holds the fit as fitted


@pytest.mark.parametrize("text, message", [
    ("2018-2015", "backwards"), ("20x5", "not a year"), ("1800-1801", "must lie in"),
])  # fmt: skip
def test_bad_years_exit_2(tmp_path, capsys, text, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["fit", "--out", str(tmp_path), "--years", text])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


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


# -- --version, python -m remitest, a fast --help ----------------------------------------------
HEAVY = ("arviz", "pymc", "pytensor", "matplotlib", "nutpie", "numba", "xarray")


def _python(code):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"remitest {remitest.__version__}\n"


def test_python_dash_m_remitest():
    done = subprocess.run([sys.executable, "-m", "remitest", "--version"], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0 and done.stdout == f"remitest {remitest.__version__}\n"
    done = subprocess.run([sys.executable, "-m", "remitest"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 2 and "usage: remitest" in done.stderr


def test_help_imports_no_heavy_module():
    """``--help`` of every command, in a fresh process: nothing of the sampling stack is loaded."""
    loaded = _python(
        "import sys, contextlib, io\n"
        "from remitest.cli import main\n"
        "for argv in ([], ['ledger'], ['fit'], ['check'], ['plot'], ['compare']):\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n"
        "            main([*argv, '--help'])\n"
        "        except SystemExit as e:\n"
        "            assert e.code == 0, argv\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    assert loaded.strip() == "[]"


def test_import_remitest_is_lazy_yet_complete():
    out = _python(
        "import sys\n"
        "import remitest as rt\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "import remitest.compare\n"  # the submodule must not hide the function rt.compare
        "print(callable(rt.compare), rt.compare.__module__)\n"
        "from remitest import *\n"
        "print(all(hasattr(rt, n) for n in rt.__all__), set(rt.__all__) <= set(dir(rt)))\n"
        "print(rt.checks.cross_validate.__module__, rt.export.__name__)\n"
    )
    lazy, compare, complete, submodules = out.splitlines()
    assert lazy == "[]"
    assert compare == "True remitest.compare"
    assert complete == "True True"
    assert submodules == "remitest.checks.cross_validation remitest.export"
    assert not hasattr(remitest, "no_such_name")


def test_check_help_lists_every_check(capsys):
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    from remitest.checks.report import TITLES

    titles = list(TITLES)
    assert titles and [name for name, _ in CHECKS] == titles
    for title in titles:
        assert title in help_text
    assert "Cross-validation" in help_text


# -- progress on stderr when not on a terminal -------------------------------------------------
def test_progress_lines_go_to_stderr_when_not_a_terminal(monkeypatch, capsys):
    from remitest.cli import _progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    line = _progress()
    line("sampling: 10/100 draws")
    assert capsys.readouterr().err == "  sampling: 10/100 draws\n"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert _progress() is True  # a terminal keeps the sampler's own bar


def test_progress_lines_come_at_most_once_an_interval():
    from remitest.sampling import _ProgressLines

    now = [100.0]
    lines = []
    progress = _ProgressLines(lines.append, total=1000, interval=1.0, clock=lambda: now[0])
    for t, done in [(0.0, 0), (0.5, 100), (1.0, 200), (1.2, 300), (1.9, 400), (2.0, 500),
                    (3.5, 900), (3.6, 1000)]:
        now[0] = 100.0 + t
        progress.update(done, divergences=1, tuning=done < 300)
    assert lines == [
        "sampling: 200/1,000 draws (20%), tuning, 1 divergences, 1 s elapsed, about 4 s left",
        "sampling: 500/1,000 draws (50%), 1 divergences, 2 s elapsed, about 2 s left",
        "sampling: 900/1,000 draws (90%), 1 divergences, 4 s elapsed, about 0 s left",
    ]


# -- --host ------------------------------------------------------------------------------------
def _ledger_with_host(tmp_path, host="vietnam"):
    """The seed ledger with the 2024 workers claim moved to ``host``, as a CSV file."""
    frame = load_ledger("seeds").to_frame()
    frame.loc[frame["id"] == "trend2024-workers", "scope"] = host
    path = tmp_path / f"{host}.csv"
    path.write_text(Ledger.from_frame(frame, hosts=[host]).to_csv())
    return path


def test_host_a_claim_names_is_added_to_the_model(tmp_path, fit_calls, capsys):
    path = _ledger_with_host(tmp_path)
    assert main(["fit", "--ledger", str(path), "--host", "vietnam", "--out",
                 str(tmp_path / "run"), "--no-figures"]) == 0
    config = fit_calls[0]["config"]
    assert config.hosts == (*ModelConfig().hosts, "vietnam")
    assert config.priors.host_share_concentration["vietnam"] == 1.0
    assert "host vietnam added to the model (claims name it" in capsys.readouterr().out
    assert "vietnam" in load_run(tmp_path / "run").hosts


def test_host_concentration_comes_from_config(tmp_path, fit_calls):
    path = _ledger_with_host(tmp_path)
    config = json.dumps({"priors": {"host_share_concentration": {
        "china": 5.0, "russia": 3.5, "rest_of_world": 1.5, "vietnam": 0.5}}})
    assert main(["fit", "--ledger", str(path), "--host", "vietnam", "--config", config,
                 "--out", str(tmp_path / "run"), "--no-figures"]) == 0
    assert fit_calls[0]["config"].priors.host_share_concentration["vietnam"] == 0.5


def test_host_no_claim_names_is_added_too(tmp_path, fit_calls, capsys):
    assert main(["fit", "--ledger", "seeds", "--host", "vietnam", "--out", str(tmp_path / "run"),
                 "--no-figures"]) == 0
    assert "vietnam" in fit_calls[0]["config"].hosts
    assert "no claim names it yet" in capsys.readouterr().out


def test_a_host_without_host_option_is_refused_with_command_line_advice(tmp_path, fit_calls,
                                                                       capsys):
    path = _ledger_with_host(tmp_path)
    assert main(["fit", "--ledger", str(path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "vietnam" in err and "--host" in err and "Traceback" not in err
    assert not fit_calls


def test_check_takes_host_too(tmp_path, monkeypatch, capsys):
    seen = {}

    def run_all(ledger, *, config, **options):
        seen["hosts"] = config.hosts
        return Path(options["out_dir"])

    import remitest.checks

    monkeypatch.setattr(remitest.checks, "run_all", run_all)
    path = _ledger_with_host(tmp_path)
    assert main(["check", "--ledger", str(path), "--host", "vietnam", "--out",
                 str(tmp_path / "checks")]) == 0
    assert seen["hosts"][-1] == "vietnam"


# -- plot and compare run folders --------------------------------------------------------------
@pytest.fixture
def two_runs(tmp_path):
    """Run folders (no figures) of a fake fit of the seeds and of the seeds less KINU's claim."""
    from remitest.export import write_run

    ledger = load_ledger("seeds")
    a = write_run(fake_fit(ledger, draws=20, log_sd=0.01), tmp_path / "all", figures=False)
    b = write_run(fake_fit(ledger.drop("kinu-workers"), draws=20, random_seed=1, log_sd=0.01,
                           workers_median=120_000.0), tmp_path / "no-kinu", figures=False)
    return a, b


def test_plot_redraws_the_figures_of_a_run_folder(two_runs, capsys):
    from remitest.plots import FIGURES

    run = two_runs[0]
    before = json.loads((run / "datapackage.json").read_text())["remitest"]["files"]
    assert main(["plot", str(run)]) == 0
    for name in FIGURES:
        for suffix in (".png", ".svg", ".caption.txt"):
            assert (run / f"{name}{suffix}").stat().st_size > 0
    after = json.loads((run / "datapackage.json").read_text())["remitest"]["files"]
    assert set(after) == set(before) | {f"{n}{s}" for n in FIGURES
                                        for s in (".png", ".svg", ".caption.txt")}
    # the data files are untouched; report.html is drawn again, now with the figures
    assert after["report.html"] != before["report.html"]
    assert {k: after[k] for k in before if k != "report.html"} == {
        k: v for k, v in before.items() if k != "report.html"}
    assert load_run(run).run_id in capsys.readouterr().out


def test_plot_into_another_folder_leaves_the_run_alone(two_runs, tmp_path):
    run = two_runs[0]
    package = (run / "datapackage.json").read_text()
    assert main(["plot", str(run), "--out", str(tmp_path / "figures")]) == 0
    assert list((tmp_path / "figures").glob("*.png")) and not list(run.glob("*.png"))
    assert (run / "datapackage.json").read_text() == package


def test_plot_and_compare_refuse_a_folder_that_is_no_run(tmp_path, capsys):
    assert main(["plot", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err
    assert main(["compare", str(tmp_path), str(tmp_path), "--out", str(tmp_path / "c")]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_compare_prints_the_differences_and_writes_a_figure(two_runs, tmp_path, capsys):
    a, b = two_runs
    out = tmp_path / "comparison"
    assert main(["compare", str(a), str(b), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "1 claim differs:" in text and "kinu-workers: only in all" in text
    assert "World series: posterior median, all -> no-kinu (change)" in text
    rows = [line for line in text.splitlines() if line[:4].isdigit()]
    assert rows and all("->" in row for row in rows)
    # workers 100k -> 120k, remittances with them, per worker the same
    assert all(re.search(r" -> 120k \+(19|20|21)% ", row) for row in rows)
    assert all("90% intervals apart" in row for row in rows)
    for name in ("comparison.csv", "claims.csv", "comparison.png", "comparison.svg"):
        assert (out / name).stat().st_size > 0


def test_compare_labels_and_years(two_runs, tmp_path, capsys):
    a, b = two_runs
    assert main(["compare", str(a), str(b), "--out", str(tmp_path / "c"), "--labels", "x", "y",
                 "--years", "2016-2017"]) == 0
    text = capsys.readouterr().out
    assert "x -> y" in text
    assert [line[:4] for line in text.splitlines() if line[:4].isdigit()] == ["2016", "2017"]


# -- end to end, with the sampler ---------------------------------------------------------------
@pytest.mark.sampler
def test_fit_with_a_new_host_end_to_end(tmp_path, monkeypatch, capsys):
    from remitest import sampling

    monkeypatch.setattr(sampling, "PROGRESS_INTERVAL_S", 0.01)
    path = _ledger_with_host(tmp_path)
    out = tmp_path / "run"
    status = main(["fit", "--ledger", str(path), "--host", "vietnam", "--out", str(out),
                   "--draws", "300", "--tune", "300", "--chains", "2", "--seed", "7",
                   "--no-figures", "--years", "2015-2020"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "sampling: " in captured.err and " draws (" in captured.err  # progress, no terminal
    assert load_run(out).hosts[-1] == "vietnam"
    assert _summary_years(captured.out) == list(range(2015, 2021))
