"""Command line: ``remitest ledger | fit | check | plot | compare``.

``ledger`` validates and prints a ledger; ``fit`` fits it and writes a run folder; ``check`` runs
every statistical check into one folder with a ``report.md``; ``plot`` redraws the figures of a
run folder; ``compare`` compares two run folders. ``remitest --version`` prints the version, and
``python -m remitest`` is the same command.

``--help`` stays fast: ArviZ, PyMC, PyTensor, matplotlib and nutpie are imported inside the
commands that need them, never at the top of this module (``tests/test_cli.py`` checks it,
``benchmarks/bench_cli.py`` times it).

Exit status: 0 success; 1 the run folder could not be written; 2 a bad ledger, configuration,
run folder or option; 3 a strict fit that failed its diagnostics gate; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from remitest._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Executor

    import pandas as pd

    from remitest.config import ModelConfig
    from remitest.fitrecord import Fit
    from remitest.ledger import Ledger

SAMPLER_CHOICES = ("auto", "nutpie", "pymc", "numpyro")
_SCHEDULER_TIMEOUT_S = 30  # how long --scheduler waits to connect
_NEW_HOST_CONCENTRATION = 1.0  # Dirichlet concentration of a host added with --host
_YEAR_RANGE = (1950, 2100)  # years --years accepts
# What `remitest check` runs, in the order of report.md (checks/report.py's TITLES;
# tests/test_cli.py checks that every one is listed).
CHECKS = (
    ("Cross-validation by estimator",
     "each estimator's claims predicted from a fit without it; coverage of the 50%/90% "
     "intervals (the report's headline)"),
    ("Posterior predictive PIT", "each claim's predictive percentile under the main fit"),
    ("PSIS-LOO", "leave-one-claim-out fit quality, with Pareto k per claim"),
    ("Held-out claims", "claims published after a cut-off year, predicted from those before"),
    ("Influence of each claim", "how far each year's median moves without each claim"),
    ("Influence of each estimator", "the same, leaving out each estimator"),
    ("Interpretation and prior sensitivity",
     "the series under other readings of hedges and other priors"),
    ("Simulation-based calibration", "rank uniformity and coverage on ledgers drawn from the "
     "model"),
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the remitest command line and return its exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    command = args.command
    try:
        if command == "ledger":
            from remitest.ledger_cli import ledger_command

            return ledger_command(args.path, args.hosts, args.plot)
        return _COMMANDS[command](args)
    except KeyboardInterrupt:
        print(f"remitest {command}: interrupted", file=sys.stderr)
        return 130


def _add_inputs(parser: argparse.ArgumentParser, *, out_help: str) -> None:
    """The options every fitting command shares: the ledger, its hosts, the config, the folder."""
    parser.add_argument("--ledger", metavar="PATH",
                        help="claims CSV (default: the shipped ledger)")
    parser.add_argument("--host", action="append", dest="hosts", metavar="NAME",
                        help="a host beyond china, russia and rest_of_world (repeatable): claims "
                             "may name it as their scope, and the model gives it a share of the "
                             "world (Dirichlet concentration 1.0 unless --config sets "
                             "priors.host_share_concentration)")
    parser.add_argument("--config", metavar="JSON_OR_PATH",
                        help="configuration overrides: a JSON object, or a path to a JSON file")
    parser.add_argument("--out", required=True, metavar="DIR", help=out_help)


def _add_years(parser: argparse.ArgumentParser, *, default: str) -> None:
    parser.add_argument("--years", type=_years, metavar="YEARS",
                        help="years of the printed world series: a range 2015-2024, a list "
                             f"2016,2017,2020, or both 2013-2015,2020 (default: {default})")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="remitest",
        description="Reconcile conflicting published estimates of North Korean workers abroad "
                    "into yearly series with intervals.",
        epilog="remitest COMMAND --help shows a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"remitest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ledger = commands.add_parser("ledger", help="validate a claims ledger and print its claims",
                                 description="Validate a claims ledger and print its claims, "
                                             "with the spread per quantity and scope.")
    ledger.add_argument("path", nargs="?", help="claims CSV (default: the shipped ledger)")
    ledger.add_argument("--host", action="append", dest="hosts", metavar="NAME",
                        help="an extra host scope (repeatable)")
    ledger.add_argument("--plot", metavar="FILE",
                        help="also draw the ledger at a glance into FILE (.png, .svg or .pdf)")

    fit = commands.add_parser(
        "fit", help="fit a ledger and write a run folder (CSVs, datapackage.json, figures)",
        description="Fit the reconciliation model to a claims ledger, print its diagnostics and "
                    "the world series, and write the run folder. Sampling progress goes to "
                    "stderr: a progress bar on a terminal, otherwise a line at most once a "
                    "second.",
    )
    _add_inputs(fit, out_help="run folder to write")
    fit.add_argument("--draws", type=_positive_int, default=2000, metavar="N",
                     help="posterior draws per chain (default 2000)")
    fit.add_argument("--tune", type=_non_negative_int, default=1000, metavar="N",
                     help="tuning steps per chain (default 1000)")
    fit.add_argument("--chains", type=_positive_int, default=4, metavar="N",
                     help="chains (default 4)")
    fit.add_argument("--seed", type=_non_negative_int, default=None, metavar="S",
                     help="random seed (default: drawn, recorded and printed)")
    fit.add_argument("--sampler", choices=SAMPLER_CHOICES, default="auto",
                     help="sampler (default auto: the fastest available)")
    fit.add_argument("--strict", action="store_true",
                     help="exit with status 3 when the fit fails its diagnostics gate")
    fit.add_argument("--no-figures", dest="figures", action="store_false",
                     help="write the CSVs and metadata only")
    fit.add_argument("--xlsx", dest="excel", action="store_true",
                     help="also write tables.xlsx: one sheet per CSV table, and a README sheet "
                          "with each column's type, unit and description")
    _add_years(fit, default="every year from the first to the last that claims cover; years "
                            "beyond the fitted ones are extrapolated")

    check = commands.add_parser(
        "check", help="run every statistical check and write tables, figures and report.md",
        description=textwrap.fill(
            "Run every check on a ledger and write its tables (CSV), figures (PNG) and a "
            "report.md into one folder. The checks, in the order of the report:", 78)
        + "\n\n" + "\n".join(textwrap.fill(f"{name}: {what}", 78, initial_indent="  - ",
                                            subsequent_indent="    ")
                              for name, what in CHECKS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_inputs(check, out_help="folder to write")
    check.add_argument("--seed", type=_non_negative_int, default=0, metavar="S",
                       help="random seed of every fit and simulation (default 0)")
    check.add_argument("--quick", action="store_true",
                       help="fewer draws in the main fit and 30 instead of 100 SBC simulations")
    fan_out = check.add_mutually_exclusive_group()
    fan_out.add_argument("--workers", type=_positive_int, default=1, metavar="N",
                         help="fit the sweeps in N local processes (default 1: in this process)")
    fan_out.add_argument("--scheduler", metavar="ADDRESS",
                         help="send the sweeps to a running dask.distributed scheduler, e.g. "
                              "tcp://10.0.0.5:8786 (needs pip install 'remitest[dask]')")

    plot = commands.add_parser(
        "plot", help="redraw the figures of a run folder",
        description="Load a run folder written by remitest fit and draw its figures again "
                    "(PNG, SVG and caption each) and its report.html, e.g. after upgrading "
                    "remitest. Into the run folder itself by default, replacing its figures "
                    "and updating their checksums in datapackage.json; nothing is refitted.",
    )
    plot.add_argument("run", metavar="RUN_DIR", help="run folder written by remitest fit")
    plot.add_argument("--out", metavar="DIR",
                      help="write the figures into DIR instead of the run folder")

    compare = commands.add_parser(
        "compare", help="compare two run folders: print the differences, draw them",
        description="Compare the fits of two run folders: print the claims that differ and "
                    "the change in each world series, and write into --out the full table "
                    "(comparison.csv), the differing claims (claims.csv) and a figure of both "
                    "fits (comparison.png and .svg).",
    )
    compare.add_argument("run_a", metavar="RUN_A", help="the first run folder (the reference)")
    compare.add_argument("run_b", metavar="RUN_B", help="the second run folder")
    compare.add_argument("--labels", nargs=2, metavar=("A", "B"),
                         help="names of the two fits in the table and figure (default: the "
                              "folders' names)")
    compare.add_argument("--out", required=True, metavar="DIR",
                         help="folder to write the table and figure into")
    _add_years(compare, default="every year from the first to the last that either fit's "
                                "claims cover")
    return parser


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def _years(text: str) -> tuple[int, ...]:
    """``2015-2024``, ``2016,2017,2020`` or ``2013-2015,2020`` -> sorted unique years."""
    years: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, sep, last = part.partition("-")
        try:
            span = (int(first), int(last) if sep else int(first))
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r}: {part!r} is not a year or a range of years such as 2015-2024"
            ) from None
        if span[0] > span[1]:
            raise argparse.ArgumentTypeError(f"{text!r}: the range {part!r} runs backwards")
        low, high = _YEAR_RANGE
        if span[0] < low or span[1] > high:
            raise argparse.ArgumentTypeError(f"{text!r}: years must lie in {low}-{high}")
        years.update(range(span[0], span[1] + 1))
    return tuple(sorted(years))


def fit_command(args: argparse.Namespace) -> int:
    """``remitest fit``: load, fit, print diagnostics and a summary, write the run folder."""
    from remitest.config import ConfigError
    from remitest.diagnostics import DiagnosticsError, DiagnosticsWarning

    try:
        ledger, config, notes = _inputs(args)
    except _InputError as error:
        return _fail(error, 2)
    for note in notes:
        print(note, flush=True)
    print(f"fitting {len(ledger)} claims (ledger sha256 {ledger.sha256[:12]}), "
          f"{args.chains} chains x {args.draws} draws, sampler {args.sampler}", flush=True)
    from remitest import sampling

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DiagnosticsWarning)
        try:
            fit = sampling.fit(ledger, config, draws=args.draws, tune=args.tune,
                               chains=args.chains, random_seed=args.seed, sampler=args.sampler,
                               strict=args.strict, progressbar=_progress())
        except DiagnosticsError as error:
            return _fail(error, 3)
        except (ConfigError, ImportError, ValueError) as error:
            return _fail(error, 2)
    for warning in caught:  # other warnings are shown as Python shows them
        if not issubclass(warning.category, DiagnosticsWarning):
            warnings.showwarning(warning.message, warning.category, warning.filename,
                                 warning.lineno)
    seed_note = "" if args.seed is not None else " (drawn; pass --seed to repeat this run)"
    print(f"\nrandom seed {fit.random_seed}{seed_note}")
    print(str(fit.diagnostics))
    print("\n" + summary_of(fit, args.years))
    try:
        from remitest.export import write_run

        if args.figures:
            print("\nwriting the run folder and its figures", flush=True)
        folder = write_run(fit, Path(args.out), figures=args.figures,
                           excel=args.excel,
                           progress=lambda line: print(f"  {line}", flush=True))
    except OSError as error:
        return _fail(f"cannot write the run folder {args.out!r}: {error}", 1)
    print(f"\nrun {fit.run_id} written to {folder}")
    if not fit.diagnostics.passed:
        print("warning: the fit failed its diagnostics gate (see above); its results may not "
              "be trustworthy", file=sys.stderr)
    return 0


def _progress() -> bool | Callable[[str], None]:
    """Sampling progress: the sampler's own bar on a terminal, else lines on stderr."""
    if sys.stderr.isatty():
        return True

    def line(text: str) -> None:
        print(f"  {text}", file=sys.stderr, flush=True)

    return line


class _InputError(Exception):
    """A ledger, configuration or --host that cannot be used (exit status 2)."""


def _inputs(args: argparse.Namespace) -> tuple[Ledger, ModelConfig, list[str]]:
    """The ledger and configuration of ``--ledger``, ``--host`` and ``--config``, and notes.

    Each ``--host`` that the configuration does not model yet becomes a configured host, with a
    share of the world whose Dirichlet concentration is ``--config``'s
    ``priors.host_share_concentration`` entry, or 1.0. Raises :class:`_InputError`.
    """
    from remitest.config import ConfigError
    from remitest.ledger import LedgerError, LedgerWarning, load_ledger

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LedgerWarning)
            ledger = load_ledger(args.ledger, hosts=args.hosts)
    except (LedgerError, OSError, ValueError) as error:
        raise _InputError(_with_host_advice(error, args)) from None
    for warning in caught:  # the ledger's warnings as the ledger command prints them
        if issubclass(warning.category, LedgerWarning):
            print(f"remitest {args.command}: warning: {warning.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename,
                                   warning.lineno)
    try:
        config = read_config(args.config)
    except ConfigError as error:
        raise _InputError(error) from None
    notes = []
    new = [h for h in dict.fromkeys(args.hosts or ()) if h not in config.hosts]
    if new:
        given = dict(config.priors.host_share_concentration)
        concentration = {h: given.get(h, _NEW_HOST_CONCENTRATION) for h in new}
        try:
            config = config.replace(hosts=[*config.hosts, *new],
                                    priors={"host_share_concentration": {**given,
                                                                         **concentration}})
        except ConfigError as error:
            raise _InputError(f"--host {' --host '.join(new)}: {error}") from None
        used = set(ledger.to_frame()["scope"])
        for host in new:
            claims = "claims name it" if host in used else "no claim names it yet"
            notes.append(f"host {host} added to the model ({claims}; share prior concentration "
                         f"{concentration[host]:g}, set priors.host_share_concentration in "
                         "--config to change it)")
    try:
        from remitest.structure import model_structure

        model_structure(ledger, config)  # scopes and years: fail here, not after sampling
    except (ConfigError, ValueError) as error:
        raise _InputError(_with_host_advice(error, args)) from None
    return ledger, config, notes


def _with_host_advice(error: Exception, args: argparse.Namespace) -> str:
    """An error about a scope the ledger or configuration lacks, with the command-line remedy."""
    text = str(error)
    if "scope" not in text:
        return text
    return (f"{text}\non the command line: add --host NAME for each host a claim names as its "
            "scope, or --config '{\"scope_groups\": {\"GROUP\": [\"HOST\", ...]}}' for a "
            "group of hosts")


def _fail(error: object, status: int, command: str = "fit") -> int:
    print(f"remitest {command}: {error}", file=sys.stderr)
    return status


def check_command(args: argparse.Namespace) -> int:
    """``remitest check``: load, then run every check into ``--out`` with progress per check."""
    from remitest.config import ConfigError
    from remitest.diagnostics import DiagnosticsWarning

    try:
        ledger, config, notes = _inputs(args)
    except _InputError as error:
        return _fail(error, 2, "check")
    for note in notes:
        print(note, flush=True)
    from remitest.checks import run_all

    try:
        executor, where, close = _sweep_executor(args)
    except (ImportError, OSError) as error:
        return _fail(error, 2, "check")
    print(f"checking {len(ledger)} claims (ledger sha256 {ledger.sha256[:12]}), seed "
          f"{args.seed}{', quick' if args.quick else ''}, {where}", flush=True)
    try:
        with warnings.catch_warnings():
            # Fits that fail the gate are listed in report.md and in the progress lines.
            warnings.simplefilter("ignore", DiagnosticsWarning)
            folder = run_all(ledger, out_dir=Path(args.out), config=config, executor=executor,
                             random_seed=args.seed, quick=args.quick,
                             progress=lambda line: print(f"  {line}", flush=True))
    except OSError as error:
        return _fail(f"cannot write the checks folder {args.out!r}: {error}", 1, "check")
    except (ConfigError, ValueError) as error:
        return _fail(error, 2, "check")
    finally:
        close()
    print(f"\nchecks written to {folder} (see {folder / 'report.md'})")
    return 0


def _load(folder: str, command: str) -> Fit:
    """A run folder as a Fit; a version note goes to stderr. Raises :class:`_InputError`."""
    from remitest.export import RunFolderError, load_run
    from remitest.ledger import LedgerError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            fit = load_run(folder)
        except (RunFolderError, LedgerError, OSError, ValueError) as error:
            raise _InputError(error) from None
    for warning in caught:
        print(f"remitest {command}: note: {warning.message}", file=sys.stderr)
    return fit


def plot_command(args: argparse.Namespace) -> int:
    """``remitest plot``: redraw the figures of a run folder (in place, or into ``--out``)."""
    import json

    from remitest import export
    from remitest._io import write_text

    try:
        fit = _load(args.run, "plot")
    except _InputError as error:
        return _fail(error, 2, "plot")
    run = Path(args.run)
    out = Path(args.out) if args.out else run
    print(f"drawing the figures of run {fit.run_id} into {out}", flush=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = export._write_figures(fit, out, lambda line: print(f"  {line}", flush=True))
        n_figures = len(written) // len(_FIGURE_SUFFIXES)
        written.update(export._write_report(fit, out, files=sorted(
            p.name for p in out.iterdir() if p.is_file() and not p.name.startswith("."))))
        if out.resolve() == run.resolve():  # keep datapackage.json's checksums true
            package_path = run / "datapackage.json"
            package = json.loads(package_path.read_text(encoding="utf-8"))
            files = package["remitest"]["files"]
            stale = {name for name in files if name.endswith(_FIGURE_SUFFIXES)} - set(written)
            for name in sorted(stale):  # figures an earlier version drew and this one does not
                (run / name).unlink(missing_ok=True)
                del files[name]
            files.update(written)
            package["remitest"]["files"] = dict(sorted(files.items()))
            write_text(export._dump_json(package), package_path)
    except OSError as error:
        return _fail(f"cannot write the figures into {str(out)!r}: {error}", 1, "plot")
    print(f"\n{n_figures} figures and {export.REPORT} written to {out}")
    return 0


_FIGURE_SUFFIXES = (".png", ".svg", ".caption.txt")


def compare_command(args: argparse.Namespace) -> int:
    """``remitest compare``: the differences between two run folders, printed and drawn."""
    try:
        fit_a = _load(args.run_a, "compare")
        fit_b = _load(args.run_b, "compare")
    except _InputError as error:
        return _fail(error, 2, "compare")
    labels = tuple(args.labels) if args.labels else _folder_labels(args.run_a, args.run_b,
                                                                    fit_a, fit_b)
    from remitest.compare import compare

    try:
        comparison = compare(fit_a, fit_b, labels=labels)
    except ValueError as error:
        return _fail(error, 2, "compare")
    print(format_comparison(comparison, args.years))
    out = Path(args.out)
    try:
        import matplotlib.pyplot as plt

        from remitest._io import atomic_write
        from remitest.export import _write_csv

        out.mkdir(parents=True, exist_ok=True)
        _write_csv(comparison.table, out / "comparison.csv")
        _write_csv(comparison.claims, out / "claims.csv")
        figure = comparison.plot()
        try:
            for suffix in ("png", "svg"):
                atomic_write(out / f"comparison.{suffix}", lambda tmp, s=suffix: figure.savefig(
                    tmp, dpi=300, format=s))
        finally:
            plt.close(figure)
    except OSError as error:
        return _fail(f"cannot write into {str(out)!r}: {error}", 1, "compare")
    print(f"\ncomparison.csv, claims.csv and comparison.png written to {out}")
    return 0


def _folder_labels(run_a: str, run_b: str, fit_a: Fit, fit_b: Fit) -> tuple[str, str]:
    """The two folders' names; their run ids where the names are the same."""
    a, b = Path(run_a).resolve().name, Path(run_b).resolve().name
    if a != b:
        return a, b
    return (fit_a.run_id, fit_b.run_id) if fit_a.run_id != fit_b.run_id else ("a", "b")


def _sweep_executor(args: argparse.Namespace) -> tuple[Executor | None, str, Callable[[], None]]:
    """The executor of ``remitest check``'s sweeps, a phrase saying where they run, and a closer.

    ``--scheduler``: a dask ``Client``'s executor (each fit one task; ``pure=False``, since a
    sweep never submits the same fit twice). ``--workers N`` (N > 1): a local process pool.
    Otherwise None: the sweeps fit in this process.

    Raises
    ------
    ImportError
        ``--scheduler`` without dask.distributed installed.
    OSError
        The scheduler cannot be reached (``TimeoutError`` included).
    """
    if args.scheduler is not None:
        try:
            from dask.distributed import Client
        except ImportError:
            raise ImportError(
                f"--scheduler {args.scheduler}: dask.distributed is not installed; install "
                "it with pip install 'remitest[dask]', or use --workers N for local processes"
            ) from None
        try:
            client = Client(args.scheduler, timeout=_SCHEDULER_TIMEOUT_S)
        except (OSError, ValueError) as error:
            raise OSError(f"--scheduler {args.scheduler}: cannot reach the dask scheduler "
                          f"({error})") from None
        executor = client.get_executor(pure=False)
        n_workers = len(client.nthreads())

        def close() -> None:
            executor.shutdown()
            client.close()

        return executor, f"dask scheduler {args.scheduler} ({n_workers} workers)", close
    if args.workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        pool = ProcessPoolExecutor(args.workers)
        return pool, f"{args.workers} worker processes", pool.shutdown
    return None, "in this process", lambda: None


def read_config(text: str | None) -> ModelConfig:
    """Read a configuration from a JSON object's text or a JSON file's path (None: the defaults).

    Raises
    ------
    remitest.config.ConfigError
        For a missing file, invalid JSON, or an invalid configuration.
    """
    from remitest.config import ConfigError, ModelConfig

    if text is None:
        return ModelConfig()
    if text.lstrip().startswith("{"):
        return ModelConfig.from_json(text)
    path = Path(text)
    try:
        content = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(
            f"--config {text!r} is neither a JSON object nor a readable JSON file: {error}"
        ) from None
    try:
        return ModelConfig.from_json(content)
    except ConfigError as error:
        raise ConfigError(f"{path}: {error}") from None


# -- the printed summary and comparison -----------------------------------------------------
_LABELS = {"workers": "workers abroad", "remittances_usd": "remittances, US$/year",
           "per_worker_usd": "per worker, US$/year"}
_NO_CLAIMS = "no claim"  # as summary.csv's evidence and the figures say it
_BEYOND = "beyond the fitted years"


def summary_of(fit: Fit, years: Sequence[int] | None = None) -> str:
    """:func:`format_summary` of ``fit``, extending its series to ``years`` beyond the fit."""
    from remitest.extrapolate import extend
    from remitest.posterior import summary

    fitted = {int(y) for y in fit.years}
    beyond = sorted(set(years or ()) - fitted)
    shown = extend(fit, beyond) if beyond else fit
    return format_summary(summary(shown), years, beyond=beyond)


def format_summary(summary: pd.DataFrame, years: Sequence[int] | None = None, *,
                   beyond: Sequence[int] = ()) -> str:
    """World series per year: median and 90% interval (5%-95%) in readable units.

    Parameters
    ----------
    summary : DataFrame
        ``Fit.summary()``.
    years : sequence of int, optional
        The years to show (those the summary has). Default: every year from the first to the
        last that claims cover (:func:`remitest.report_html.covered_years`).
    beyond : sequence of int
        Years outside the fitted ones (extrapolated), marked as such.
    """
    from remitest.report_html import covered_years

    world = summary[summary["scope"] == "world"]
    present = {int(y) for y in world["year"].unique()}
    years = covered_years(summary) if years is None else [y for y in years if y in present]
    quantities = [q for q in _LABELS if q in set(world["quantity"])]
    header = ["year", *(_LABELS[q] for q in quantities)]
    rows = []
    for year in years:
        cells = [f"{int(year)}"]
        for quantity in quantities:
            row = world[(world["year"] == year) & (world["quantity"] == quantity)].iloc[0]
            cells.append(f"{_readable(row['median'])} ({_readable(row['q05'])}-"
                         f"{_readable(row['q95'])})")
        # n_claims counts each row's own quantity: a year no claim of any quantity covers
        in_year = world[world["year"] == year]
        if year in set(beyond):
            note = _BEYOND
        elif "n_claims" in in_year and int(in_year["n_claims"].sum()) == 0:
            note = _NO_CLAIMS
        else:
            note = ""
        rows.append([*cells, note])
    return _table("World series: posterior median (90% interval)", header, rows)


def _table(title: str, header: list[str], rows: list[list[str]]) -> str:
    """Right-aligned columns under ``header``; each row's last cell is a note after them."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [title, "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    for cells in rows:
        lines.append("  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=False))
                     + ("  " + cells[-1] if cells[-1] else ""))
    return "\n".join(lines)


def format_comparison(comparison: Any, years: Sequence[int] | None = None) -> str:
    """The claims that differ, and each world series' median in both fits with the change."""
    import pandas as pd

    from remitest.posterior import summary
    from remitest.report_html import covered_years

    a, b = comparison.labels
    claims = comparison.claims
    lines = [f"{a}: run {comparison.fit_a.run_id}, {len(comparison.fit_a.ledger)} claims",
             f"{b}: run {comparison.fit_b.run_id}, {len(comparison.fit_b.ledger)} claims", ""]
    if len(claims):
        lines.append(f"{len(claims)} claim{' differs' if len(claims) == 1 else 's differ'}:")
        lines += [f"  {r.id}: {r.change} ({r.quantity}, {r.kind}, {int(r.ref_start)}"
                  + (f"-{int(r.ref_end)}" if int(r.ref_end) != int(r.ref_start) else "") + ")"
                  for r in claims.itertuples()]
    else:
        lines.append("the two ledgers hold the same claims")
    table = comparison.table[comparison.table["scope"] == "world"]
    if years is None:
        spans = [covered_years(summary(f)) for f in (comparison.fit_a, comparison.fit_b)]
        first = min(s[0] for s in spans if s)
        last = max(s[-1] for s in spans if s)
        years = range(first, last + 1)
    years = [y for y in years if y in set(table["year"])]
    quantities = [q for q in _LABELS if q in set(table["quantity"])]
    header = ["year", *(_LABELS[q] for q in quantities)]
    rows = []
    for year in years:
        cells, apart = [f"{int(year)}"], False
        for quantity in quantities:
            row = table[(table["year"] == year) & (table["quantity"] == quantity)].iloc[0]
            median_a, median_b = row[f"median_{a}"], row[f"median_{b}"]
            if median_a != median_a or median_b != median_b:  # NaN: a fit lacks the year
                cells.append(f"{_maybe(median_a)} -> {_maybe(median_b)}")
                continue
            change = row["median_rel_diff"]
            cells.append(f"{_readable(median_a)} -> {_readable(median_b)} "
                         + ("0%" if round(100 * change) == 0 else f"{change:+.0%}"))
            overlap = row["intervals_overlap"]
            apart = apart or (not pd.isna(overlap) and not bool(overlap))
        rows.append([*cells, "90% intervals apart" if apart else ""])
    lines += ["", _table(f"World series: posterior median, {a} -> {b} (change)", header, rows)]
    return "\n".join(lines)


def _maybe(value: float) -> str:
    return "-" if value != value else _readable(value)


def _readable(value: float) -> str:
    """120,000 -> '120k'; 480,000,000 -> '480M'; 1.2e9 -> '1.2bn'; 5,100 -> '5.1k'."""
    for scale, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "fit": fit_command, "check": check_command, "plot": plot_command,
    "compare": compare_command,
}

if __name__ == "__main__":
    raise SystemExit(main())
