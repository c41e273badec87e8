"""The run folder: write a fit's posterior products to disk, and load a run folder back as a fit.

``load_run`` here returns the record (:class:`remitest.fitrecord.Fit`); ``remitest.load_run``
(``remitest.api``) returns it with the user's methods.

A run folder holds CSVs with a Frictionless ``datapackage.json`` (a table schema for each CSV, and
the run's metadata), the ArviZ ``idata.nc``, the exact ledger and configuration used, the figures
with their captions, ``report.html`` (the run on one self-contained page) and, on request,
``tables.xlsx`` (the tables as one workbook). Every file is written to a temporary file in the
same folder and moved into place with ``os.replace`` (:mod:`remitest._io`, the package's one
atomic writer), so a crash never leaves a half-written file.
The CSVs are written at a fixed precision with deterministic row and column order: the same fit
writes byte-identical CSVs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from remitest import posterior, predictive, tables
from remitest._io import atomic_write, sha256_file, write_text
from remitest._version import __version__
from remitest.captions import caption as caption_of
from remitest.captions import sources_table
from remitest.config import ModelConfig
from remitest.diagnostics import Diagnostics, check_fit
from remitest.fitrecord import Fit
from remitest.ledger import load_ledger
from remitest.plots import FIGURES, claim_keys
from remitest.report_html import figures_in, render_report
from remitest.structure import ModelStructure, model_structure

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr
    from matplotlib.figure import Figure

__all__ = ["write_run", "load_run", "RunFolderError", "FLOAT_FORMAT", "TABLES", "REPORT"]

#: printf format of every float in the CSVs: 12 significant digits keep
#: remittances = workers x per-worker remittance to about 1e-11 relative in every row.
FLOAT_FORMAT = "%.12g"
#: File names of the CSV tables, in the order they are written and listed in the datapackage.
TABLES = ("draws", "summary", "estimators", "host_shares", "host_shares_by_year", "parameters",
          "claims", "sources")
#: The netCDF engine that writes and reads ``idata.nc`` (a dependency of remitest).
NETCDF_ENGINE = "h5netcdf"
#: DPI of the PNG figures.
PNG_DPI = 300
_SVG_HASH_SALT = "remitest"  # fixed, so SVG element ids are the same on every write

QUANTITY_UNITS = {
    "workers": "persons",
    "remittances_usd": "USD per year",
    "per_worker_usd": "USD per worker per year",
}
_BY_QUANTITY = "by quantity"  # the unit of a column in a tidy table depends on the row's quantity

_TABLE_DESCRIPTIONS = {
    "draws": "Joint posterior draws: one (chain, draw) pair is one coherent posterior sample "
             "across all years, scopes and quantities. Base units.",
    "summary": "Posterior summary per year, scope and quantity, in base units.",
    "estimators": "Each estimator's bias per quantity and each estimator type's noise, prior and "
                  "posterior side by side (natural-log scale).",
    "host_shares": "Each host's share of the world series at the pin year, prior and posterior "
                   "side by side.",
    "host_shares_by_year": "Each host's share of the world's workers in each year, prior and "
                           "posterior side by side; years that no host-level claim moved show "
                           "the prior.",
    "parameters": "Every parameter of the model (each element of every free variable, "
                  "hyperparameters included), prior beside posterior on the sampler's scale and "
                  "whether it moved from its prior; then the configuration constants that are "
                  "fixed, not sampled, with their values.",
    "claims": "Each claim of the ledger, whether the fit used it, and its posterior predictive "
              "distribution and percentile (PIT) at the reported value.",
    "sources": "The sources that the figures' captions cite: one row per claim, by the key "
               "number that labels the claim on the figures.",
}


# -- writing ----------------------------------------------------------------------------------
def write_run(fit: Fit, out_dir: str | os.PathLike[str], *, figures: bool = True,
              excel: bool = False, progress: Callable[[str], Any] | None = None) -> Path:
    """Write the run folder of ``fit``: CSVs, ``datapackage.json``, ``idata.nc``, ledger, figures.

    Parameters
    ----------
    fit : Fit
    out_dir : path-like
        The folder; created if missing. Files of an earlier run there are replaced one by one.
    figures : bool
        Also write every figure of ``remitest.plots.FIGURES`` as ``<name>.png`` (300 dpi),
        ``<name>.svg`` and ``<name>.caption.txt``.
    excel : bool
        Also write ``tables.xlsx``: one sheet per CSV table and a ``README`` sheet with each
        column's type, unit and description (needs openpyxl).
    progress : callable, optional
        Called with one line as each figure is written ("figure 2/4: biases, 0.8 s"), and as
        the workbook is ("tables.xlsx, 30.2 s": about 30 s for 4 chains x 2000 draws).

    Returns
    -------
    pathlib.Path
        The folder.

    Notes
    -----
    ``datapackage.json`` is written last, with the SHA-256 of every other file; a folder where a
    write was interrupted therefore fails ``frictionless validate`` and :func:`load_run`.
    ``report.html`` (:mod:`remitest.report_html`: headline numbers, figures, diagnostics and
    sources on one self-contained page) is written in every case, and listed there like the
    figures.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frames = {
        "draws": posterior.joint_draws(fit),
        "summary": posterior.summary(fit),
        "estimators": tables.estimators_table(fit),
        "host_shares": tables.host_share_table(fit),
        "host_shares_by_year": tables.host_share_by_year_table(fit),
        "parameters": tables.parameters_table(fit),  # prior draws seeded (random_seed=0)
        "claims": _with_keys(predictive.claims_table(fit), fit),  # seeded by claims_seed(fit)
        "sources": sources_table(fit.ledger),
    }
    files: dict[str, str] = {}
    for name in TABLES:
        files[f"{name}.csv"] = _write_csv(frames[name], out / f"{name}.csv")
    metadata = _run_metadata(fit, predictive.claims_seed(fit))
    files["ledger.csv"] = write_text(fit.ledger.to_csv(), out / "ledger.csv")
    files["config.json"] = write_text(fit.config.to_json() + "\n", out / "config.json")
    files["idata.nc"] = _write_idata(fit.idata, metadata, out / "idata.nc")
    if figures:
        files.update(_write_figures(fit, out, progress))
    if excel:
        started = time.perf_counter()
        files["tables.xlsx"] = _write_excel(fit, frames, out / "tables.xlsx")
        if progress is not None:
            progress(f"tables.xlsx, {time.perf_counter() - started:.1f} s")
    files.update(_write_report(fit, out, summary=frames["summary"], sources=frames["sources"],
                               figures=figures, files=[*files, "datapackage.json"]))
    previous = _listed_files(out)
    package = datapackage(fit, frames, files, metadata)
    write_text(_dump_json(package), out / "datapackage.json")
    for stale in sorted(previous - set(files)):  # e.g. figures of an earlier run
        (out / stale).unlink(missing_ok=True)
    return out


def _with_keys(claims: pd.DataFrame, fit: Fit) -> pd.DataFrame:
    """Put each claim's key, the number that labels it on the figures, after its id."""
    keyed = claims.copy()
    keyed.insert(1, "key", claim_keys(fit.ledger).reindex(keyed["id"]).to_numpy(np.int64))
    return keyed


def _csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates as ``YYYY-MM-DD`` text, everything else as is."""
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d").astype(object)
    return frame


def _write_csv(frame: pd.DataFrame, path: Path) -> str:
    ready = _csv_ready(frame)
    return atomic_write(path, lambda tmp: ready.to_csv(
        tmp, index=False, float_format=FLOAT_FORMAT, lineterminator="\n", encoding="utf-8"))


def _write_idata(idata: xr.DataTree, metadata: dict[str, Any], path: Path) -> str:
    """Write ``idata`` (one netCDF group per child) with the run metadata in the posterior's attrs.

    The layout is the one ArviZ 0.x's ``InferenceData.to_netcdf`` wrote, so either reads the other.
    """
    import xarray as xr

    tagged = idata.copy()  # shallow: the draws are shared, the caller's attributes untouched
    tagged["posterior"] = xr.DataTree(idata["posterior"].to_dataset().assign_attrs(
        remitest_metadata=_dump_json(metadata)))
    return atomic_write(path, lambda tmp: tagged.to_netcdf(tmp, engine=NETCDF_ENGINE))


def _write_figures(fit: Fit, out: Path, progress: Callable[[str], Any] | None = None
                   ) -> dict[str, str]:
    """Write each figure as PNG (300 dpi) and SVG, with its caption; the files' SHA-256."""
    import matplotlib.pyplot as plt


    files = {}
    for number, (name, plot) in enumerate(FIGURES.items(), start=1):
        started = time.perf_counter()
        caption = caption_of(fit, name)
        files[f"{name}.caption.txt"] = write_text(caption.rstrip("\n") + "\n",
                                                   out / f"{name}.caption.txt")
        figure = plot(fit)
        try:
            files.update(_save_figure(fit, name, figure, caption, out))
        finally:
            plt.close(figure)
        if progress is not None:
            progress(f"figure {number}/{len(FIGURES)}: {name}, "
                     f"{time.perf_counter() - started:.1f} s")
    return files


REPORT = "report.html"


def _write_report(fit: Fit, out: Path, *, summary: pd.DataFrame | None = None,
                  sources: pd.DataFrame | None = None, figures: bool = True,
                  files: Any = ()) -> dict[str, str]:
    """Write ``report.html`` from ``fit`` and the figures in ``out``; its SHA-256 by name.

    ``summary`` and ``sources`` default to the fit's (``summary.csv``, ``sources.csv``);
    ``figures=False`` leaves the figures out even where ``out`` holds some of an earlier run.
    """
    page = render_report(
        fit,
        summary=posterior.summary(fit) if summary is None else summary,
        sources=sources_table(fit.ledger) if sources is None else sources,
        figures=figures_in(out, list(FIGURES)) if figures else (),
        files=[f for f in files if f != REPORT],
    )
    return {REPORT: write_text(page, out / REPORT)}


#: Rows a worksheet holds below its header (Excel's limit is 1,048,576 rows).
EXCEL_MAX_ROWS = 1_048_575


def _write_excel(fit: Fit, frames: dict[str, pd.DataFrame], path: Path) -> str:
    """Write ``tables.xlsx``: a ``README`` sheet with the schema, then one sheet per CSV table.

    Floats are rounded to the CSVs' 12 significant digits and dates written as the CSVs' text,
    so that each sheet reads back (``pandas.read_excel``) as its CSV does (``read_csv``). A
    table longer than a worksheet is left out, and the ``README`` sheet says so.
    """
    try:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise ImportError("excel=True needs openpyxl: pip install openpyxl") from None

    book = Workbook(write_only=True)
    readme = book.create_sheet("README")
    bold = Font(bold=True)

    def header(sheet: Any, names: list[str]) -> list[Any]:
        cells = []
        for name in names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            cells.append(cell)
        return cells

    rows: list[list[Any]] = [[
        "(this workbook)", None, None, None,
        f"remitest run {fit.run_id} (remitest {__version__}, ledger SHA-256 "
        f"{fit.ledger.sha256}): one sheet per CSV table of the run folder, in base units "
        "(persons, US$ per year, US$ per worker per year). The CSVs and datapackage.json are "
        "the reference; this workbook is a copy for reading."]]
    skipped = []
    for name in TABLES:
        frame = frames[name]
        too_long = len(frame) > EXCEL_MAX_ROWS
        if too_long:
            skipped.append(name)
        note = (f" Not in this workbook: its {len(frame):,} rows are more than a worksheet "
                f"holds; read {name}.csv." if too_long else "")
        rows.append([name, None, None, None, f"{name}.csv: {_TABLE_DESCRIPTIONS[name]}{note}"])
        for field in table_schema(name, frame)["fields"]:
            rows.append([name, field["name"], field["type"], field.get("unit"),
                         field["description"]])
    readme.column_dimensions["A"].width = 20
    readme.column_dimensions["B"].width = 18
    readme.column_dimensions["C"].width = 9
    readme.column_dimensions["D"].width = 24
    readme.column_dimensions["E"].width = 110
    readme.freeze_panes = "A2"
    readme.append(header(readme, ["table", "field", "type", "unit", "description"]))
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        cells = []
        for value in row:
            cell = WriteOnlyCell(readme, value=value)
            cell.alignment = wrap
            if row[1] is None:
                cell.font = bold
            cells.append(cell)
        readme.append(cells)
    for name in TABLES:
        if name in skipped:
            continue
        frame = _excel_ready(frames[name])
        sheet = book.create_sheet(name)
        sheet.freeze_panes = "A2"
        sheet.append(header(sheet, [str(c) for c in frame.columns]))
        for record in frame.itertuples(index=False, name=None):
            sheet.append(record)
    return atomic_write(path, book.save)


def _excel_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """The CSV's values as Python objects: floats at 12 significant digits, no NaN, no ''."""
    ready = _csv_ready(frame).astype(object)
    for column in ready.columns:
        values = ready[column]
        if pd.api.types.is_float_dtype(frame[column]):
            ready[column] = [None if v is None or not math.isfinite(v)
                             else float(FLOAT_FORMAT % v) for v in values]
        else:
            ready[column] = [None if v is None or (isinstance(v, float) and math.isnan(v))
                             or (isinstance(v, str) and v == "")
                             else v.item() if isinstance(v, np.generic) else v
                             for v in values]
    return ready


def _save_figure(fit: Fit, name: str, figure: Figure, caption: str, out: Path) -> dict[str, str]:
    """Save one figure as PNG and SVG with the run id and caption in their metadata."""
    import matplotlib as mpl

    title = f"{name} ({fit.run_id})"
    source = f"remitest run {fit.run_id}; ledger sha256 {fit.ledger.sha256}"
    png = {"Title": title, "Description": caption, "Source": source,
           "Software": f"remitest {__version__}"}
    svg = {"Title": title, "Description": caption, "Identifier": fit.run_id, "Source": source,
           "Creator": f"remitest {__version__}", "Date": None}
    files = {f"{name}.png": atomic_write(out / f"{name}.png", lambda tmp: _savefig(
        figure, tmp, format="png", dpi=PNG_DPI, metadata=png))}
    with mpl.rc_context({"svg.hashsalt": _SVG_HASH_SALT}):
        files[f"{name}.svg"] = atomic_write(out / f"{name}.svg", lambda tmp: _savefig(
            figure, tmp, format="svg", metadata=svg))
    return files


def _savefig(figure: Figure, path: str, **kwargs: Any) -> None:
    figure.savefig(path, **kwargs)


def _run_metadata(fit: Fit, claims_seed: int) -> dict[str, Any]:
    """``fit.metadata()`` plus what :func:`load_run` needs; no creation time (deterministic)."""
    metadata = fit.metadata()
    metadata["ledger_hosts"] = list(fit.ledger.hosts)
    metadata["claims_random_seed"] = claims_seed
    return metadata


def datapackage(fit: Fit, frames: dict[str, pd.DataFrame], files: dict[str, str],
                metadata: dict[str, Any]) -> dict[str, Any]:
    """Build the Frictionless data package descriptor of a run folder (as a dictionary)."""
    created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    resources = [
        {
            "name": name,
            "path": f"{name}.csv",
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "description": _TABLE_DESCRIPTIONS[name],
            "hash": f"sha256:{files[f'{name}.csv']}",
            "schema": table_schema(name, frames[name]),
        }
        for name in TABLES
    ]
    return {
        "profile": "data-package",
        "name": fit.run_id,
        "title": f"remitest run {fit.run_id}",
        "description": "Posterior products of one remitest fit: yearly series of workers abroad "
                       "and their remittances, reconciled from published claims. See the "
                       "'remitest' object for the run's metadata.",
        "version": __version__,
        "created": created,
        "resources": resources,
        "remitest": {**metadata, "created": created, "files": dict(sorted(files.items()))},
    }


# -- table schemas ----------------------------------------------------------------------------
_QUANTITY_VALUE = "in the unit of the row's quantity"
_COLUMNS: dict[str, tuple[str, str | None]] = {
    # name: (description, unit); the unit None means "no unit"
    "chain": ("MCMC chain index; with draw, identifies one joint posterior sample", None),
    "draw": ("draw index within the chain", None),
    "year": ("calendar year", None),
    "scope": ("'world' or a host country or region", None),
    "quantity": ("workers (persons abroad at a time in the year), remittances_usd (US$ per year "
                 "reaching the state) or per_worker_usd (US$ per worker per year)", None),
    "workers": ("North Korean workers abroad at a time in the year", "persons"),
    "remittances_usd": ("remittances reaching the state, nominal US$ per year "
                        "(= workers x per_worker_usd in every draw)", "USD per year"),
    "per_worker_usd": ("remittance per worker, nominal US$ per worker per year",
                       "USD per worker per year"),
    "mean": (f"posterior mean, {_QUANTITY_VALUE}", _BY_QUANTITY),
    "median": (f"posterior median, {_QUANTITY_VALUE}", _BY_QUANTITY),
    "sd": (f"posterior standard deviation, {_QUANTITY_VALUE}", _BY_QUANTITY),
    "q05": (f"posterior 5% quantile, {_QUANTITY_VALUE}", _BY_QUANTITY),
    "q25": (f"posterior 25% quantile, {_QUANTITY_VALUE}", _BY_QUANTITY),
    "q75": (f"posterior 75% quantile, {_QUANTITY_VALUE}", _BY_QUANTITY),
    "q95": (f"posterior 95% quantile, {_QUANTITY_VALUE}", _BY_QUANTITY),
    "hdi_low": (f"lower end of the 90% highest-density interval, {_QUANTITY_VALUE}", _BY_QUANTITY),
    "hdi_high": (f"upper end of the 90% highest-density interval, {_QUANTITY_VALUE}",
                 _BY_QUANTITY),
    "n_claims": ("number of original claims of the row's quantity whose reference period covers "
                 "the year and whose scope overlaps this scope", None),
    "evidence": ("what informs the year: 'claims' (a claim of this quantity and scope covers "
                 "it; per_worker_usd is one series for every host, so for it a claim of any "
                 "scope), 'identity' (none does, but remittances = workers x per-worker remittance "
                 "carries other claims to it: for per_worker_usd a claim on workers or "
                 "remittances, otherwise claims on both other quantities), 'no claim' (neither: "
                 "the walks carry the "
                 "series from the years around; the figures shade such years) or 'beyond fit' "
                 "(outside the fitted years)", None),
    "sd_ratio": ("posterior sd of the log series over its prior sd: near 1, the claims taught "
                 "that year little beyond the walks and priors", None),
    "prior_only": ("True for a host's workers and remittances when that host's share did not "
                   "move from its prior: the split shown is the prior's, not the claims'", None),
    "id": ("claim identifier, as in ledger.csv", None),
    "key": ("the claim's key: its position in ledger.csv (1 = first claim), the number that "
            "labels it on the figures of ledgers with more than 12 claims", None),
    "kind": ("point, range, lower_bound or upper_bound", None),
    "read_as": ("the kind as the fit reads the claim: its kind, except that a figure whose "
                "measure counts less than the whole from some year on (work permits from "
                "2020) is read as lower_bound, 'more than'", None),
    "estimator": ("who made the estimate", None),
    "estimator_type": ("government, intergovernmental, research_institute, media or anonymous",
                       None),
    "ref_start": ("first year the claim describes", None),
    "ref_end": ("last year the claim describes (inclusive)", None),
    "reported_value": ("the number the claim reports, by read_as: the figure of a point, the "
                       "geometric midpoint of a range, or the bound of a bound, "
                       f"{_QUANTITY_VALUE}",
                       _BY_QUANTITY),
    "used": ("True when the fit used the claim as evidence; False for repeats (derived_from) "
             "and claims not in the fit", None),
    "pit": ("posterior predictive percentile in [0, 1]: the predictive CDF at the reported "
            "value; for a bound read as censored, a seeded draw uniform over the side it states "
            "(F + V(1 - F) for 'more than', V F for 'as high as'), so that for every claim near 0 "
            "or 1 is surprising", None),
    "extrapolated": ("True when the claim's reference period reaches outside the fitted years: "
                     "it is predicted from walks extended with their posterior step sizes", None),
    "pred_q05": (f"5% quantile of the predicted reported value, {_QUANTITY_VALUE}", _BY_QUANTITY),
    "pred_q25": (f"25% quantile of the predicted reported value, {_QUANTITY_VALUE}",
                 _BY_QUANTITY),
    "pred_q50": (f"median of the predicted reported value, {_QUANTITY_VALUE}", _BY_QUANTITY),
    "pred_q75": (f"75% quantile of the predicted reported value, {_QUANTITY_VALUE}",
                 _BY_QUANTITY),
    "pred_q95": (f"95% quantile of the predicted reported value, {_QUANTITY_VALUE}",
                 _BY_QUANTITY),
    "host": ("host country or region", None),
    "outlet": ("the outlet that published the document, as in ledger.csv", None),
    "title": ("the document's title, as in ledger.csv", None),
    "date": ("the document's date at its stated precision (YYYY, YYYY-MM or YYYY-MM-DD)", None),
    "address": ("where the document can be found (a web address), where the ledger gives one",
                None),
    "note": ("why a claim was not used, e.g. 'repeat of <id>: adds no independent evidence'; "
             "empty for an original", None),
}
_PRIOR_POST = {
    "prior_mean": "prior mean", "prior_sd": "prior standard deviation",
    "prior_q05": "prior 5% quantile", "prior_q95": "prior 95% quantile",
    "post_mean": "posterior mean", "post_sd": "posterior standard deviation",
    "post_q05": "posterior 5% quantile", "post_q95": "posterior 95% quantile",
}
# Columns whose meaning depends on the table.
_TABLE_COLUMNS: dict[str, dict[str, tuple[str, str | None]]] = {
    "estimators": {
        "parameter": ("estimator_bias (an estimator's multiplicative bias on one quantity, as a "
                      "natural log: it reports exp(bias) times the truth) or noise_sd (an "
                      "estimator type's reporting noise, a log-scale standard deviation)", None),
        "estimator": ("who made the estimate; empty for noise_sd rows", None),
        "quantity": ("the quantity the bias applies to; empty for noise_sd rows", None),
        **{c: (f"{d} of the parameter (natural-log scale)", "log-ratio")
           for c, d in _PRIOR_POST.items()},
        "sd_ratio": ("post_sd / prior_sd: near 1, the claims taught the parameter nothing beyond "
                     "its prior", None),
        "n_claims": ("original claims that inform the parameter", None),
    },
    "host_shares": {
        **{c: (f"{d} of the host's share of the world series", "fraction")
           for c, d in _PRIOR_POST.items()},
        "sd_ratio": ("post_sd / prior_sd: near 1, the claims taught the share nothing beyond its "
                     "prior", None),
        "moved_from_prior": ("True when the share moved from its prior (sd_ratio < 0.9 or the "
                             "mean moved by more than half a prior sd); host outputs of a share "
                             "that did not move are the prior's split, not the data's", None),
        "n_claims": ("original claims below world level whose scope includes the host", None),
    },
    "parameters": {
        "parameter": ("the model's free variable (as in idata.nc's posterior), or, for a fixed "
                      "row, the configuration field (config.json) that sets the constant", None),
        "element": ("the variable's element: its coordinates joined by ', ' (a host, a year of "
                    "a step, an estimator and quantity ...); for a fixed row a hedge word or an "
                    "event; empty for a single value", None),
        "scale": ("the scale of the statistics: log (a positive parameter), log-odds (bias_rho) "
                  "or identity; empty for a fixed row", None),
        "fixed": ("True for a configuration constant that the model does not sample", None),
        "value": ("a fixed row's configured value; empty for a sampled parameter", None),
        **{c: (f"{d} of the parameter, on the scale named in 'scale'", None)
           for c, d in _PRIOR_POST.items()},
        "sd_ratio": ("post_sd / prior_sd on that scale: near 1, the claims taught the parameter "
                     "nothing beyond its prior", None),
        "moved_from_prior": ("True when the parameter moved from its prior (sd_ratio < 0.9 or "
                             "the mean moved by more than half a prior sd); False for fixed rows",
                             None),
    },
    "host_shares_by_year": {
        "year": ("calendar year", None),
        **{c: (f"{d} of the host's share of the world's workers in the year", "fraction")
           for c, d in _PRIOR_POST.items()},
        "sd_ratio": ("post_sd / prior_sd: near 1, the claims taught the share in that year "
                     "nothing beyond its prior", None),
        "moved_from_prior": ("True when the share in that year moved from its prior (sd_ratio < "
                             "0.9 or the mean moved by more than half a prior sd)", None),
        "n_claims": ("original claims below world level whose scope includes the host and whose "
                     "reference period covers the year", None),
    },
}


def _field_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    if pd.api.types.is_datetime64_any_dtype(series):
        return "date"
    return "string"


def describe_column(table: str, column: str) -> tuple[str, str | None]:
    """Return the description and unit of a column of one of the run's tables (None: no unit)."""
    known = _TABLE_COLUMNS.get(table, {}).get(column) or _COLUMNS.get(column)
    return known if known is not None else (column.replace("_", " "), None)


def table_schema(table: str, frame: pd.DataFrame) -> dict[str, Any]:
    """Frictionless table schema of one CSV: fields with type, description and unit."""
    fields = []
    for column in frame.columns:
        kind = _field_type(frame[column])
        description, unit = describe_column(table, column)
        field: dict[str, Any] = {"name": column, "type": kind, "description": description}
        if unit == _BY_QUANTITY:
            field["unit"] = "; ".join(f"{q}: {u}" for q, u in QUANTITY_UNITS.items())
            field["unitByQuantity"] = dict(QUANTITY_UNITS)
        elif unit is not None and kind in ("number", "integer"):
            field["unit"] = unit
        fields.append(field)
    schema: dict[str, Any] = {"fields": fields}
    keys = [c for c in _KEY_COLUMNS[table] if c in frame.columns]
    if keys and not frame.duplicated(keys).any():
        schema["primaryKey"] = keys
    return schema


_KEY_COLUMNS = {
    "draws": ("chain", "draw", "year", "scope"),
    "summary": ("year", "scope", "quantity"),
    "estimators": (),  # noise rows leave estimator and quantity empty: no key
    "host_shares": ("host",),
    "host_shares_by_year": ("host", "year"),
    "parameters": ("parameter", "element"),
    "claims": ("id",),
    "sources": ("key",),
}


# -- JSON -------------------------------------------------------------------------------------
def _json_ready(value: Any) -> Any:
    """Replace NaN and infinities (not JSON) by None, and numpy scalars by Python ones."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _dump_json(value: Any) -> str:
    return json.dumps(_json_ready(value), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"


def _listed_files(out: Path) -> set[str]:
    """Files that an existing ``datapackage.json`` in ``out`` lists (names only, no paths)."""
    try:
        package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
        listed = package["remitest"]["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return {name for name in listed if isinstance(name, str) and Path(name).name == name}


# -- loading ----------------------------------------------------------------------------------
class RunFolderError(ValueError):
    """A run folder is incomplete, or its files do not match its ``datapackage.json``."""


def run_config(text: str) -> ModelConfig:
    """The configuration a run folder's ``config.json`` was fitted with.

    A run writes its whole configuration, every prior included. One written before 0.6 has no
    ``priors.field_shift_log_sd``: it was fitted without the field's shift, which is 0 (the
    default, 0.15, would read its draws with readings it does not have).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return ModelConfig.from_json(text)  # raises the ConfigError that names the problem
    priors = data.get("priors") if isinstance(data, dict) else None
    if isinstance(priors, dict) and "field_shift_log_sd" not in priors:
        data = {**data, "priors": {**priors, "field_shift_log_sd": 0.0}}
    return ModelConfig.from_json(json.dumps(data))


def load_run(out_dir: str | os.PathLike[str]) -> Fit:
    """Load a run folder written by :func:`write_run` back as a :class:`~remitest.Fit`.

    Reads ``idata.nc``, ``ledger.csv``, ``config.json`` and the run metadata in
    ``datapackage.json``, after checking each file against the SHA-256 recorded there. The model
    structure is rebuilt from the ledger and configuration; the diagnostics keep the recorded
    verdict (divergences, failures) with the R-hat/ESS table recomputed from the draws. The PyMC
    model is not stored: ``fit.model`` is None.

    Parameters
    ----------
    out_dir : path-like

    Returns
    -------
    Fit

    Raises
    ------
    RunFolderError
        When a file is missing or differs from the one the run wrote.
    """
    folder = Path(out_dir)
    metadata = _read_metadata(folder)
    for name in ("idata.nc", "ledger.csv", "config.json"):
        _check_file(folder, name, metadata)
    ledger = load_ledger(folder / "ledger.csv", hosts=metadata.get("ledger_hosts"))
    config = run_config((folder / "config.json").read_text(encoding="utf-8"))
    idata = _read_idata(folder / "idata.nc")
    # The structure the run was fitted with: a cached compile may hold estimators that this
    # ledger no longer has (they stayed on their priors).
    recorded = metadata.get("structure")
    structure = (ModelStructure(**{**recorded, "years": tuple(recorded["years"]),
                                   "hosts": tuple(recorded["hosts"]),
                                   "estimators": tuple(recorded["estimators"]),
                                   "estimator_types": tuple(recorded["estimator_types"])},
                                config_json=config.to_json())
                 if recorded else model_structure(ledger, config))
    fit = Fit(
        idata=idata, ledger=ledger, config=config, structure=structure,
        diagnostics=_diagnostics(idata, config, metadata["diagnostics"]),
        random_seed=int(metadata["random_seed"]), sampler=str(metadata["sampler"]),
        n_draws=int(metadata["draws"]), n_tune=int(metadata["tune"]),
        n_chains=int(metadata["chains"]), model=None, recorded_run_id=str(metadata["run_id"]),
    )
    if metadata.get("remitest_version") != __version__:
        warnings.warn(
            f"run folder {str(folder)!r} ({metadata['run_id']}) was written by remitest "
            f"{metadata.get('remitest_version')}; this is remitest {__version__}",
            UserWarning, stacklevel=2,
        )
    return fit


def _read_idata(path: Path) -> xr.DataTree:
    """``idata.nc`` as a DataTree, read whole and closed (written by remitest 0.x or 1.x).

    ArviZ 0.x wrote ``InferenceData`` as one netCDF group per group, the layout xarray's DataTree
    reads; a file without the groups a run needs is refused with what to do.
    """
    import xarray as xr

    try:
        idata = xr.load_datatree(path, engine=NETCDF_ENGINE)
    except (OSError, ValueError) as err:
        raise RunFolderError(f"{str(path)!r} is not a readable netCDF posterior: {err}") from None
    if "posterior" not in idata.children:
        raise RunFolderError(
            f"{str(path)!r} has no posterior group (it has {sorted(idata.children) or 'none'}); "
            "it was not written by remitest's write_run: fit the ledger again and write the run"
        )
    return idata


def _read_metadata(folder: Path) -> dict[str, Any]:
    path = folder / "datapackage.json"
    try:
        package = json.loads(path.read_text(encoding="utf-8"))
        metadata = package["remitest"]
    except FileNotFoundError:
        raise RunFolderError(f"{str(folder)!r} is not a run folder: it has no datapackage.json"
                             ) from None
    except (ValueError, KeyError, TypeError) as err:
        raise RunFolderError(f"{str(path)!r} has no readable 'remitest' run metadata: {err}"
                             ) from None
    return metadata


def _check_file(folder: Path, name: str, metadata: dict[str, Any]) -> None:
    path = folder / name
    if not path.is_file():
        raise RunFolderError(f"run folder {str(folder)!r} lacks {name}")
    expected = metadata.get("files", {}).get(name)
    if expected is not None and sha256_file(path) != expected:
        raise RunFolderError(
            f"{str(path)!r} differs from the file the run {metadata.get('run_id')} wrote (its "
            "SHA-256 does not match datapackage.json): the folder was changed or a write was "
            "interrupted; write the run again"
        )


def _diagnostics(idata: xr.DataTree, config: ModelConfig, recorded: dict[str, Any]
                 ) -> Diagnostics:
    """Rebuild the recorded verdict, with the per-parameter table recomputed from the draws."""
    table = pd.DataFrame(columns=["r_hat", "ess_bulk", "ess_tail"], dtype=float)
    min_ebfmi = recorded.get("min_ebfmi")
    ebfmi = np.array([] if min_ebfmi is None else [min_ebfmi], dtype=float)
    if "sample_stats" in idata.children and "diverging" in idata["sample_stats"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # few-draw warnings from ArviZ say nothing new here
            recomputed = check_fit(idata, config.gate)
        table, ebfmi = recomputed.table, (recomputed.ebfmi if len(recomputed.ebfmi) else ebfmi)
    return Diagnostics(table=table, divergences=int(recorded.get("divergences", 0)),
                       ebfmi=ebfmi, failures=tuple(recorded.get("failures", ())))
