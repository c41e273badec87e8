"""Score a fit against the truth of a simulated ledger, beside a naive reading of the claims.

Cross-validation scores claims predicting other claims; it cannot see an error that every source
shares. Where the truth is known (a simulated ledger), :func:`score_truth` scores every series
the truth holds -- the world and each host, for workers, remittances and remittance per worker --
year by year, on the natural-log scale:

* coverage of the central 50% and 90% intervals;
* the interval score of the 90% interval (Gneiting & Raftery 2007, eq. 43):
  ``(u - l) + (2 / 0.1) * ((l - y)+ + (y - u)+)``, lower is better, which punishes width as well as
  misses, so intervals far too wide do not pass;
* the CRPS of the draws (``E|X - y| - E|X - X'| / 2``).

The **naive reading** (:func:`naive_reading`) is what a careful analyst does by hand, scored the
same way: per year, the geometric mean of the original claims of that quantity and scope whose
reference period covers the year, as a normal on the log scale with sd = their log spread (so its
90% interval is the centre ± 1.645 sd). A claim's value is its figure, a range's geometric
midpoint, a bound's bound. See :func:`naive_reading` for years with one claim or none.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from remitest.checks.result import CheckResult, cluster_band
from remitest.fitrecord import Fit
from remitest.ledger import QUANTITIES, Ledger
from remitest.posterior import _scope_series, _scopes

__all__ = ["naive_reading", "score_truth", "interval_score", "crps_draws", "crps_normal",
           "TRUTH_COLUMNS", "truth_summary"]  # fmt: skip

TRUTH_COLUMNS = (
    "quantity", "scope", "year", "truth", "n_claims", "years_from_pin",
    "q05", "q25", "q50", "q75", "q95", "in_50", "in_90", "interval_score", "crps",
    "naive_centre", "naive_log_sd", "naive_carried", "naive_in_50", "naive_in_90",
    "naive_interval_score", "naive_crps",
)  # fmt: skip
Z90, Z50 = stats.norm.ppf(0.95), stats.norm.ppf(0.75)
#: The naive spread never falls below this log-sd: identical figures (a repeat) are not certainty.
NAIVE_MIN_LOG_SD = 0.05
#: The naive spread when the ledger has fewer than two figures of the quantity.
NAIVE_DEFAULT_LOG_SD = 0.5


def interval_score(low: Any, high: Any, truth: Any, alpha: float = 0.1) -> np.ndarray:
    """Interval score of central ``1 - alpha`` intervals (Gneiting & Raftery 2007); lower is better.

    Examples
    --------
    >>> float(interval_score(1.0, 2.0, 1.5))
    1.0
    >>> float(interval_score(1.0, 2.0, 3.0))  # width 1, missed by 1: 1 + 20 * 1
    21.0
    """
    low, high, truth = (np.asarray(a, float) for a in (low, high, truth))
    return ((high - low) + (2 / alpha) * np.clip(low - truth, 0, None)
            + (2 / alpha) * np.clip(truth - high, 0, None))  # fmt: skip


def crps_draws(draws: np.ndarray, truth: Any) -> np.ndarray:
    """CRPS of an ensemble, ``draws`` with samples on axis 0, against ``truth`` (broadcast).

    ``E|X - y| - E|X - X'| / 2``, the second term from the sorted draws in O(n log n).

    Examples
    --------
    >>> float(crps_draws(np.array([0.0, 1.0]), 0.0))  # 0.5 - 0.5 * 0.5
    0.25
    """
    x = np.sort(np.asarray(draws, float), axis=0)
    n = x.shape[0]
    first = np.abs(x - np.asarray(truth, float)).mean(axis=0)
    weights = (2 * np.arange(1, n + 1) - n - 1).reshape((n,) + (1,) * (x.ndim - 1))
    return first - (weights * x).sum(axis=0) / n**2


def crps_normal(mean: Any, sd: Any, truth: Any) -> np.ndarray:
    """CRPS of a normal distribution (Gneiting & Raftery 2007, eq. 21).

    Examples
    --------
    >>> round(float(crps_normal(0.0, 1.0, 0.0)), 4)
    0.2337
    """
    mean, sd, truth = (np.asarray(a, float) for a in (mean, sd, truth))
    z = (truth - mean) / sd
    return sd * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


def _claim_values(frame: pd.DataFrame) -> np.ndarray:
    """The figure a naive reading takes from each claim: a range's geometric midpoint."""
    low, high = frame["low"].to_numpy(float), frame["high"].to_numpy(float)
    return np.where(np.isnan(low), high, np.where(np.isnan(high), low, np.sqrt(low * high)))


def naive_reading(ledger: Ledger, quantity: str, scope: str, years: Any) -> pd.DataFrame:
    """The careful analyst's reading of one series: per year, the claims' geometric mean ± spread.

    Parameters
    ----------
    ledger : Ledger
        Repeats (``derived_from``) are left out, as an analyst who knows of them would.
    quantity, scope : str
        Only claims of exactly this quantity and scope count (no sums, no measures undone).
    years : iterable of int

    Returns
    -------
    DataFrame
        Indexed by year: ``centre`` (base units, the geometric mean), ``log_sd``, ``n_claims``
        (claims whose reference period covers the year) and ``carried`` (True where no claim
        covers the year and the nearest year's reading is carried, ties to the earlier year).
        ``log_sd`` is the sample sd of the year's log figures when it has two or more; else the
        series' pooled within-year sd; else the sd of every figure of the quantity in the ledger;
        else ``NAIVE_DEFAULT_LOG_SD``; never below ``NAIVE_MIN_LOG_SD``. A series with no claim
        has ``centre`` NaN in every year.

    Examples
    --------
    >>> from remitest import load_ledger
    >>> naive_reading(load_ledger("seeds"), "workers", "world", [2016])["n_claims"].item()
    2
    """
    years = np.asarray(sorted({int(y) for y in years}))
    frame = ledger.originals().to_frame()
    of_quantity = frame[frame["quantity"] == quantity]
    series = of_quantity[of_quantity["scope"] == scope]
    logs = np.log(_claim_values(series))
    start, end = series["ref_start"].to_numpy(int), series["ref_end"].to_numpy(int)
    covers = (start[None, :] <= years[:, None]) & (end[None, :] >= years[:, None])  # (year, claim)
    n = covers.sum(axis=1)
    centre = np.where(n > 0, (covers * logs).sum(axis=1) / np.maximum(n, 1), np.nan)
    squares = (covers * (logs[None, :] - centre[:, None]) ** 2).sum(axis=1)
    within = np.where(n >= 2, squares / np.maximum(n - 1, 1), np.nan)
    all_logs = np.log(_claim_values(of_quantity))
    if (n >= 2).any():
        fallback = float(np.sqrt(np.nanmean(within)))
    elif len(all_logs) >= 2:
        fallback = float(np.std(all_logs, ddof=1))
    else:
        fallback = NAIVE_DEFAULT_LOG_SD
    log_sd = np.maximum(np.where(n >= 2, np.sqrt(within), fallback), NAIVE_MIN_LOG_SD)
    carried = n == 0
    if (~carried).any() and carried.any():
        informed = np.flatnonzero(~carried)
        distance = np.abs(years[carried][:, None] - years[informed][None, :])
        nearest = informed[np.argmin(distance, axis=1)]  # argmin takes the first: the earlier
        centre[carried], log_sd[carried] = centre[nearest], log_sd[nearest]
    return pd.DataFrame({"centre": np.exp(centre), "log_sd": log_sd, "n_claims": n,
                         "carried": carried}, index=pd.Index(years, name="year"))  # fmt: skip


def _truth_frame(truth: Any) -> pd.DataFrame:
    series = truth.truth["series"] if hasattr(truth, "truth") else (
        truth["series"] if isinstance(truth, dict) else truth)
    missing = {"year", "scope", "quantity", "value"} - set(series.columns)
    if missing:
        raise ValueError(f"truth: columns {sorted(missing)} missing; expected year, scope, "
                         "quantity, value (a SyntheticLedger's truth['series'])")
    return series


def score_truth(fit: Fit, truth: Any, *, ledger: Ledger | None = None) -> CheckResult:
    """Score every series and year of ``truth`` that the fit models, beside the naive reading.

    Parameters
    ----------
    fit : Fit
    truth : SyntheticLedger, dict or DataFrame
        A simulated ledger, its ``truth`` dict, or a frame ``year, scope, quantity, value`` in
        base units. Scopes the fit does not model, and years outside the fitted ones, are skipped;
        per-worker remittance is scored once (world), since the model shares it across hosts.
    ledger : Ledger, optional
        The claims the naive reading reads; default the fit's own.

    Returns
    -------
    CheckResult
        ``table``: one row per quantity, scope and year (``TRUTH_COLUMNS``; intervals and
        scores on the log scale, quantiles in base units). ``passed``: the model's mean 90%
        interval score is below the naive reading's over the series-years both score. ``text``:
        one sentence. See :func:`truth_summary` for coverage by series and year band.
    """
    series = _truth_frame(truth)
    ledger = fit.ledger if ledger is None else ledger
    scopes, years = _scopes(fit), fit.years.astype(int)
    pin = int(fit.structure.pin_year)
    frames = []
    for quantity in QUANTITIES:
        draws = _scope_series(fit, quantity)
        samples = np.log(draws.reshape(-1, *draws.shape[2:]))  # (sample, scope, year)
        quantiles = np.quantile(samples, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        for s, scope in enumerate(scopes):
            if quantity == "per_worker_usd" and scope != "world":
                continue
            true = series[(series["quantity"] == quantity) & (series["scope"] == scope)]
            true = true.set_index("year")["value"].reindex(years)
            if true.isna().all():
                continue
            y = np.log(true.to_numpy(float))
            q = quantiles[:, s, :]
            naive = naive_reading(ledger, quantity, scope, years)
            mu, sd = np.log(naive["centre"].to_numpy()), naive["log_sd"].to_numpy()
            frames.append(pd.DataFrame({
                "quantity": quantity, "scope": scope, "year": years, "truth": np.exp(y),
                "n_claims": naive["n_claims"].to_numpy(), "years_from_pin": np.abs(years - pin),
                **{f"q{p:02d}": np.exp(q[i]) for i, p in enumerate((5, 25, 50, 75, 95))},
                "in_50": (q[1] <= y) & (y <= q[3]), "in_90": (q[0] <= y) & (y <= q[4]),
                "interval_score": interval_score(q[0], q[4], y),
                "crps": crps_draws(samples[:, s, :], y),
                "naive_centre": np.exp(mu), "naive_log_sd": sd,
                "naive_carried": naive["carried"].to_numpy(),
                "naive_in_50": np.abs(y - mu) <= Z50 * sd,
                "naive_in_90": np.abs(y - mu) <= Z90 * sd,
                "naive_interval_score": interval_score(mu - Z90 * sd, mu + Z90 * sd, y),
                "naive_crps": crps_normal(mu, sd, y),
            }))  # fmt: skip
    table = pd.concat(frames, ignore_index=True)[list(TRUTH_COLUMNS)]
    both = table["naive_interval_score"].notna()
    model_is = float(table.loc[both, "interval_score"].mean())
    naive_is = float(table.loc[both, "naive_interval_score"].mean())
    ratio = model_is / naive_is if naive_is > 0 else np.nan
    text = (f"90% intervals cover the truth in {table['in_90'].mean():.0%} of "
            f"{len(table)} series-years (naive reading {table.loc[both, 'naive_in_90'].mean():.0%} "
            f"of {int(both.sum())}); "
            f"interval score {ratio:.2f}x the naive reading's.")
    return CheckResult(name="truth", passed=bool(ratio < 1), table=table, text=text)


def _series_group(row: pd.Series) -> str:
    if row["quantity"] == "per_worker_usd":
        return "per worker"
    what = "workers" if row["quantity"] == "workers" else "remittances"
    return f"{what}, {'world' if row['scope'] == 'world' else 'hosts'}"


#: Columns that tell apart the ledgers of different studies in one table (ledger seeds repeat).
_STUDY_COLUMNS = ("simulator", "variant")


def _cluster_band(part: pd.DataFrame, column: str, cluster: str, rng: np.random.Generator,
                  n_bootstrap: int) -> tuple[float, float]:
    """5% and 95% quantiles of the mean of ``column`` over resamples of whole clusters."""
    if cluster not in part.columns:
        return np.nan, np.nan
    keys = [c for c in _STUDY_COLUMNS if c in part.columns and c != cluster] + [cluster]
    index = part.groupby(keys, sort=True).ngroup().to_numpy()
    if index.max() < 1:
        return np.nan, np.nan
    hits = np.bincount(index, weights=part[column].to_numpy(float))
    counts = np.bincount(index)
    return cluster_band(hits, counts, rng.integers(len(counts), size=(n_bootstrap, len(counts))))


YEAR_BANDS = ((0, 2017, "to 2017"), (2018, 2019, "2018-19"), (2020, 2024, "2020-24"),
              (2025, 9999, "2025 on"))  # fmt: skip


def truth_summary(table: pd.DataFrame, by: tuple[str, ...] = ("series",), *,
                  cluster: str = "ledger", n_bootstrap: int = 2000,
                  random_seed: int = 0) -> pd.DataFrame:
    """Coverage and mean scores of a :func:`score_truth` table (or several concatenated).

    Parameters
    ----------
    table : DataFrame
        ``TRUTH_COLUMNS``, from one or more ledgers.
    by : tuple of str
        Grouping columns among ``series`` (workers/remittances x world/hosts, per worker),
        ``band`` (``YEAR_BANDS``), ``quantity``, ``scope`` and any column of the table.
    cluster : str
        The column whose values are resampled, with all their rows, for the band of ``cover_90``
        (default ``"ledger"``: the series-years of one ledger share its draws of every shared
        error, so they miss together). Ledgers of different simulators or variants
        (``simulator``, ``variant`` columns) are told apart even where their seeds are the same.
        Without that column, or with one cluster in a group, the band is NaN.
    n_bootstrap : int
    random_seed : int
        Seeds the bootstrap, with each group's name: a group's band is the same whatever other
        groups the table holds.

    Returns
    -------
    DataFrame
        Per group: ``n`` series-years, ``cover_50`` / ``cover_90``, ``cover_90_low`` /
        ``cover_90_high`` (5% and 95% quantiles of ``cover_90`` over ``n_bootstrap`` resamples of
        the clusters with replacement), the naive reading's coverage, ``is_ratio`` (mean
        interval score over the naive one's, where both score) and ``crps_ratio`` likewise.
    """
    frame = table.assign(
        series=table.apply(_series_group, axis=1),
        band=pd.cut(table["year"], [b[0] - 0.5 for b in YEAR_BANDS] + [10_000],
                    labels=[b[2] for b in YEAR_BANDS]).astype(str),
    )  # fmt: skip
    rows = []
    for key, part in frame.groupby(list(by), sort=True):
        both = part["naive_interval_score"].notna()
        # a generator per group, seeded by its name: a group's band does not depend on the others
        rng = np.random.default_rng([random_seed, zlib.crc32(repr(key).encode())])
        low, high = _cluster_band(part, "in_90", cluster, rng, n_bootstrap)
        rows.append({
            **dict(zip(by, key if isinstance(key, tuple) else (key,), strict=True)),
            "n": len(part), "cover_50": part["in_50"].mean(), "cover_90": part["in_90"].mean(),
            "cover_90_low": low, "cover_90_high": high,
            "naive_cover_50": part.loc[both, "naive_in_50"].mean(),
            "naive_cover_90": part.loc[both, "naive_in_90"].mean(),
            "is_ratio": part.loc[both, "interval_score"].mean()
            / part.loc[both, "naive_interval_score"].mean(),
            "crps_ratio": part.loc[both, "crps"].mean() / part.loc[both, "naive_crps"].mean(),
        })  # fmt: skip
    return pd.DataFrame(rows)
