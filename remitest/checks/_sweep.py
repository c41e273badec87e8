"""Sweeps of fits: one picklable task per fit, run serially or through any ``Executor``.

A task is :func:`run_fit`, a module-level function of plain, picklable arguments (a ``Ledger``,
configuration JSON, the structure to compile, a seed and sampler sizes, and a module-level
``reduce`` function). It returns what ``reduce`` extracts from the fit -- a small table, never
the draws -- and the fit's diagnostics, so that ``concurrent.futures.ProcessPoolExecutor`` or a
``dask.distributed`` client's ``get_executor()`` can run it unchanged.

Every process keeps one :class:`remitest.Reconciler` per model structure
(:func:`reconciler_for`), compiled for the full structure of the sweep before any fit. With no
executor the whole sweep therefore runs through one compiled sampler and each refit only swaps
data; and a fit's draws depend only on its arguments, not on what the process fitted before, so a
serial run and an executor run with the same seeds give the same tables.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, as_completed
from typing import Any

import numpy as np
import pandas as pd

from remitest._threads import one_thread
from remitest.config import ModelConfig
from remitest.diagnostics import Diagnostics, DiagnosticsWarning
from remitest.fitrecord import Fit
from remitest.ledger import Ledger
from remitest.sampling import Reconciler
from remitest.structure import ModelStructure, model_structure

__all__ = ["FitTask", "run_fit", "run_tasks", "sweep_config", "reconciler_for", "warn_failed"]

# Sweeps evaluate the gate themselves (``gate_failures``) and warn once for the whole sweep;
# inside a task the fit must not warn, because ``warnings.catch_warnings`` is not thread-safe.
_OPEN_GATE = {
    "r_hat_max": math.inf,
    "ess_bulk_min": 0.0,
    "ess_tail_min": 0.0,
    "max_divergences": 2**31 - 1,
    "ebfmi_min": 0.0,
}
_CACHE_SIZE = 32
_LOCK = threading.Lock()
_RECONCILERS: OrderedDict[ModelStructure, Reconciler] = OrderedDict()


def sweep_config(config: ModelConfig, ledger: Ledger) -> ModelConfig:
    """``config`` with its years fixed to the ledger's (every fit of a sweep has the same years).

    Leaving claims out can move the default years (they run from two years before the earliest
    reference year to the latest publication year), which would change the years whose medians
    are compared and force a recompile. The pin year is fixed too: it is where the level prior
    sits, so moving it would change the prior, not only the data.
    """
    structure = model_structure(ledger, config)
    return config.replace(
        years=[structure.years[0], structure.years[-1]], pin_year=structure.pin_year
    )


def _task_config(config: ModelConfig) -> ModelConfig:
    return config.replace(gate=_OPEN_GATE)


def reconciler_for(structure: ModelStructure) -> Reconciler:
    """Return the Reconciler of this process for ``structure``, compiled on first use."""
    key = dataclasses.replace(structure, pin_year=0)
    with _LOCK:
        reconciler = _RECONCILERS.get(key)
        if reconciler is None:
            reconciler = Reconciler()
            reconciler.compiled_for(structure)
            _RECONCILERS[key] = reconciler
            while len(_RECONCILERS) > _CACHE_SIZE:
                _RECONCILERS.popitem(last=False)
        else:
            _RECONCILERS.move_to_end(key)
    return reconciler


@dataclasses.dataclass(frozen=True)
class FitTask:
    """Plain arguments of one fit of a sweep (picklable)."""

    ledger: Ledger
    config_json: str
    structure: ModelStructure
    random_seed: int
    draws: int
    tune: int
    chains: int = 4


def run_fit(task: FitTask, reduce: Callable[[Fit], Any]) -> tuple[Any, dict[str, Any]]:
    """Fit ``task.ledger`` and return ``(reduce(fit), diagnostics as a dict)``.

    The fit's gate is opened (see :func:`gate_failures`); the real gate, from the task's
    configuration, is applied to the returned diagnostics. A fit that fails it is retried once,
    with the same seed, twice the tuning and twice the draws (``RETRY_FACTOR``); the dict says
    so (``retried``), and ``passed`` is the retry's verdict. No study counts a failed fit.
    """
    config = ModelConfig.from_json(task.config_json)
    fitted = _fit_task(task, config, factor=1)
    failures = gate_failures(fitted.diagnostics, config)
    retried = bool(failures)
    if retried:
        fitted = _fit_task(task, config, factor=RETRY_FACTOR)
        failures = gate_failures(fitted.diagnostics, config)
    return reduce(fitted), {"passed": not failures, "failures": failures, "retried": retried}


def run_fit_one_thread(task: FitTask, reduce: Callable[[Fit], Any]) -> tuple[Any, dict[str, Any]]:
    """:func:`run_fit` with its block work on one thread (:func:`remitest._threads.one_thread`).

    What an executor's workers run: each already has a core of its own.
    """
    with one_thread():
        return run_fit(task, reduce)


#: How much longer a fit that failed the gate tunes and draws on its one retry.
RETRY_FACTOR = 2


def _fit_task(task: FitTask, config: ModelConfig, *, factor: int) -> Fit:
    return reconciler_for(task.structure).fit(
        task.ledger,
        _task_config(config),
        draws=task.draws * factor,
        tune=task.tune * factor,
        chains=task.chains,
        random_seed=task.random_seed,
        progressbar=False,
        structure=task.structure,
    )


def make_tasks(
    ledgers: Sequence[Ledger],
    config: ModelConfig,
    *,
    structure_ledger: Ledger,
    seeds: Sequence[int],
    draws: int,
    tune: int,
) -> list[FitTask]:
    """Tasks for ``ledgers`` under one configuration, all compiled for ``structure_ledger``."""
    structure = model_structure(structure_ledger, _task_config(config))
    return [
        FitTask(
            ledger=ledger,
            config_json=config.to_json(),
            structure=structure,
            random_seed=int(seed),
            draws=draws,
            tune=tune,
        )
        for ledger, seed in zip(ledgers, seeds, strict=True)
    ]


def run_tasks(
    tasks: Sequence[FitTask],
    reduce: Callable[[Fit], Any] | Sequence[Callable[[Fit], Any]],
    *,
    executor: Executor | None = None,
    done: Callable[[int], None] | None = None,
) -> list[tuple[Any, dict[str, Any]]]:
    """Run every task: serially in this process, or one ``executor.submit`` per fit.

    ``reduce`` is one function for every task, or one per task (each must be picklable for a
    process or cluster executor: a module-level function or a ``functools.partial`` of one).
    ``done``, if given, is called with each task's index as it finishes (for progress).
    """
    reducers = list(reduce) if isinstance(reduce, Sequence) else [reduce] * len(tasks)
    if executor is None:
        results = []
        for index, (task, r) in enumerate(zip(tasks, reducers, strict=True)):
            results.append(run_fit(task, r))
            if done is not None:
                done(index)
        return results
    futures = [executor.submit(run_fit_one_thread, task, r)
               for task, r in zip(tasks, reducers, strict=True)]  # fmt: skip
    if done is not None:
        index = {future: i for i, future in enumerate(futures)}
        for future in as_completed(futures):
            done(index[future])
    return [future.result() for future in futures]


def gate_failures(diagnostics: Diagnostics, config: ModelConfig) -> list[str]:
    """Short reasons why a fit falls short of ``config.gate`` (empty when it passes)."""
    return [reason.split(":")[0] for reason in diagnostics.against(config.gate).failures]


def warn_failed(check: str, labels: Sequence[str], diagnostics: Sequence[dict[str, Any]]) -> None:
    """One :class:`DiagnosticsWarning` for every fit of a sweep that failed its gate."""
    failed = [
        f"{label}: {', '.join(d['failures'])}"
        for label, d in zip(labels, diagnostics, strict=True)
        if not d["passed"]
    ]
    if failed:
        shown = failed[:5] + ([f"... and {len(failed) - 5} more"] if len(failed) > 5 else [])
        warnings.warn(
            f"{check}: {len(failed)} of {len(labels)} fits failed the diagnostics gate, also "
            "on a retry with twice the tuning and draws (their rows have diagnostics_passed "
            "False and no coverage counts them); use more draws and tuning:\n  "
            + "\n  ".join(shown),
            DiagnosticsWarning,
            stacklevel=3,
        )


def series_summary(fit: Fit, *, scope: str = "world") -> pd.DataFrame:
    """Median, 5% and 95% quantiles and the median's Monte Carlo error per year and quantity.

    Returns
    -------
    DataFrame
        Columns ``year, quantity, median, q05, q95, mcse_median`` in base units.
    """
    import arviz as az

    post = fit.idata.posterior
    frames = []
    for quantity in ("workers", "remittances_usd", "per_worker_usd"):
        if scope == "world" or quantity == "per_worker_usd":
            values = post[quantity]
        else:
            values = post[f"{quantity}_host"].sel(host=scope)
        values = values.transpose("chain", "draw", "year")
        q05, median, q95 = np.quantile(values.to_numpy(), [0.05, 0.5, 0.95], axis=(0, 1))
        mcse = az.mcse(values.to_dataset(name="v"), method="median")["v"].to_numpy()
        frames.append(
            pd.DataFrame(
                {
                    "year": fit.years,
                    "quantity": quantity,
                    "median": median,
                    "q05": q05,
                    "q95": q95,
                    "mcse_median": mcse,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
