"""Sampling: drive the sampler to a fit record -- compile once, refit many, never hide a bad fit.

This module was ``remitest.fitting`` before 0.5. It returns the plain record
:class:`remitest.fitrecord.Fit`; the user's ``remitest.fit`` and ``remitest.Reconciler``
(``remitest.api``) return the same with the user's methods.

``fit(ledger)`` is all most users need. It uses a module-level :class:`Reconciler`, which keeps
one compiled sampler per model structure (years, hosts, estimators with their types, and the
configuration). A ledger with the same structure -- claims changed, added or removed -- only swaps
the data. A new estimator, host or year range is a new structure and is compiled anew (for the
default sampler that costs well under a second once numba's on-disk cache is warm).

Samplers (``sampler=``):

``"auto"`` / ``"nutpie"``
    nutpie's Rust NUTS driving the numba kernel of :mod:`remitest.kernel` (fastest, measured in
    ``benchmarks/bench_fit.py``).
``"pymc"``
    stock ``pm.sample`` on the PyMC model (the reference; recompiles on every call).
``"numpyro"``
    ``pm.sample(nuts_sampler="numpyro")``, the JAX path for a GPU; needs ``jax`` and ``numpyro``
    installed, imported only when asked for.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import xarray as xr
from arviz_base import make_attrs

from remitest import kernel
from remitest.config import ConfigError, ModelConfig
from remitest.diagnostics import check_fit, enforce
from remitest.fitrecord import Fit
from remitest.ledger import ESTIMATOR_TYPES, QUANTITIES, Ledger
from remitest.model import build_model
from remitest.reading import ClaimArrays, reading_names
from remitest.structure import (
    ModelStructure,
    _step_scale,
    blocks_data,
    claim_blocks,
    model_coords,
    model_structure,
)

__all__ = ["fit", "Reconciler", "SAMPLERS"]

SAMPLERS = ("auto", "nutpie", "pymc", "numpyro")
#: Least time (seconds) between two lines of progress handed to a ``progressbar`` callable.
PROGRESS_INTERVAL_S = 1.0


@dataclass
class _Compiled:
    """One compiled sampler for one structure."""

    structure: ModelStructure
    layout: kernel.Layout
    nutpie_model: Any


def _draw_seed(random_seed: Any) -> int:
    if random_seed is None:
        return int(np.random.SeedSequence().entropy % (2**31))
    if isinstance(random_seed, np.random.Generator):
        return int(random_seed.integers(2**31))
    return int(random_seed)


def _initial_point(layout: kernel.Layout, config: ModelConfig, seed: int) -> np.ndarray:
    """PyMC's "jitter+adapt" start: each prior's centre, plus Uniform(-1, 1) jitter."""
    p = config.priors
    centre = np.zeros(layout.n_dim)
    sl = layout.slices()
    centre[sl["log_workers_pinned"]] = np.log(p.workers_median)
    centre[sl["log_per_worker_pinned"]] = np.log(p.per_worker_median_usd)
    centre[sl["workers_step_sd_log__"]] = np.log(p.workers_step_sd)
    centre[sl["per_worker_step_sd_log__"]] = np.log(p.per_worker_step_sd)
    centre[sl["noise_sd_log__"]] = np.log(p.noise_median)
    centre[sl["bias_sd_log__"]] = np.log(p.bias_sd_median)
    rng = np.random.default_rng(seed)
    return centre + rng.uniform(-1.0, 1.0, layout.n_dim)


# nutpie's public API builds a sampler from a PyMC model (``nutpie.compile_pymc_model``, which
# compiles the model through PyTensor's numba backend: 12-60 s, and again for every structure) or
# from Python callables (``nutpie.compiled_pyfunc.from_pyfunc``, one Python call per gradient).
# Neither takes ready C callbacks, which is what makes a fit cost well under a second here. So the
# kernel sampler fills nutpie's ``CompiledPyMCModel`` record itself, private fields included
# (``_n_dim``, ``_shapes``, ``_coords``; ``shared_var_keys`` since 0.16.11). Those fields are
# nutpie's internals: the pin ``nutpie>=0.16.11,<0.17`` in pyproject.toml is the range this was
# tested with, and ``_nutpie_record`` refuses clearly when the record's fields differ.
_NUTPIE_FIELDS = frozenset({
    "dims", "reparameterized_names", "compiled_logp_func", "compiled_expand_func",
    "initial_point_func", "shared_data", "shared_var_keys", "user_data", "n_expanded",
    "shape_info", "logp_func", "expand_func", "_n_dim", "_shapes", "_coords",
    "_transform_adapt_args",
})


def _nutpie_record(**values: Any) -> Any:
    """The ``CompiledPyMCModel`` of nutpie over ready C callbacks, after checking its fields."""
    import nutpie
    from nutpie.compile_pymc import CompiledPyMCModel

    fields = {f.name for f in dataclasses.fields(CompiledPyMCModel)}
    if fields != _NUTPIE_FIELDS:
        raise ImportError(
            f"nutpie {nutpie.__version__}'s CompiledPyMCModel has fields that remitest does not "
            f"know (new: {sorted(fields - _NUTPIE_FIELDS)}, gone: "
            f"{sorted(_NUTPIE_FIELDS - fields)}); remitest's kernel sampler was tested with "
            "nutpie 0.16.11: pip install 'nutpie>=0.16.11,<0.17', or fit with sampler='pymc'"
        )
    return CompiledPyMCModel(**values)


def _compile_kernel_sampler(structure: ModelStructure, config: ModelConfig) -> _Compiled:
    """A nutpie model over the numba kernel's C callbacks; data travel in ``user_data``."""
    layout = kernel.layout_for(structure, config)
    logp_c, expand_c = kernel.cfuncs()
    n = layout.n_dim
    # Built with no claims; each fit swaps in its own packed data (``_sample_kernel``).
    placeholder = kernel.pack(
        kernel.kernel_data(
            _empty_data(structure), structure, config, _step_scale(structure, config)
        )
    )
    nutpie_model = _nutpie_record(
        dims={"unconstrained": ("unconstrained_param",)},
        compiled_logp_func=logp_c,
        compiled_expand_func=expand_c,
        initial_point_func=lambda seed: _initial_point(layout, config, seed),
        shared_data={},
        shared_var_keys={},
        user_data=placeholder,
        n_expanded=n,
        shape_info=(["unconstrained"], [slice(0, n)], [(n,)]),
        logp_func=None,
        expand_func=None,
        _n_dim=n,
        _shapes={"unconstrained": (n,)},
        _coords={"unconstrained_param": [str(i) for i in range(n)]},
    )
    return _Compiled(structure=structure, layout=layout, nutpie_model=nutpie_model)


def _empty_data(structure: ModelStructure) -> dict[str, np.ndarray]:
    """Model data arrays with no claims, of the right widths for ``structure``."""
    n_years, n_hosts, n_est = len(structure.years), len(structure.hosts), len(structure.estimators)
    out = {}
    for block in ("gaussian", "censored"):
        for name in ("value", "spread", "lower", "upper"):
            out[f"{block}_{name}"] = np.zeros(0)
        out[f"{block}_quantity"] = np.zeros((0, len(QUANTITIES)))
        out[f"{block}_estimator"] = np.zeros((0, n_est))
        out[f"{block}_estimator_type"] = np.zeros((0, len(ESTIMATOR_TYPES)))
        out[f"{block}_window"] = np.zeros((0, n_years))
        out[f"{block}_scope"] = np.zeros((0, n_hosts))
        out[f"{block}_reading"] = np.zeros((0, len(reading_names(structure.configuration))))
    return out


@dataclass
class Reconciler:
    """Holds compiled samplers so that refits of the same structure only swap data.

    Examples
    --------
    >>> rec = Reconciler()                                         # doctest: +SKIP
    >>> first = rec.fit(ledger, random_seed=1)                     # compiles
    >>> again = rec.fit(ledger.drop("kinu-workers"), random_seed=1)  # swaps data only
    """

    config: ModelConfig = field(default_factory=ModelConfig)
    _compiled: list[_Compiled] = field(default_factory=list, repr=False)
    compiles: int = 0
    #: The class of what :meth:`fit` returns: the record here; :class:`remitest.api.Reconciler`
    #: (``remitest.Reconciler``) returns the user's :class:`remitest.api.Fit`.
    record_type: ClassVar[type[Fit]] = Fit

    def compiled_for(self, structure: ModelStructure) -> _Compiled:
        """The cached compiled sampler of exactly ``structure`` (or a new one).

        Only the pin year may differ: it reaches the compiled density as data. A cached structure
        that merely covers this one (more estimators) is *not* reused, since its parameter vector,
        and with it the draws for a given seed, would depend on what this process fitted before.
        """
        key = dataclasses.replace(structure, pin_year=0)
        for entry in self._compiled:
            if dataclasses.replace(entry.structure, pin_year=0) == key:
                return entry
        entry = _compile_kernel_sampler(structure, structure.configuration)
        self._compiled.append(entry)
        self.compiles += 1
        return entry

    def fit(
        self,
        ledger: Ledger,
        config: ModelConfig | None = None,
        *,
        draws: int = 2000,
        tune: int = 1000,
        chains: int = 4,
        random_seed: Any = None,
        sampler: str = "auto",
        strict: bool = False,
        progressbar: bool | Callable[[str], Any] = True,
        cores: int | None = None,
        structure: ModelStructure | None = None,
    ) -> Fit:
        """Fit ``ledger``; see :func:`remitest.fit` for the parameters.

        ``structure`` (optional) fits the ledger under a given structure that covers it, e.g.
        one shared by every fold of a sweep on purpose; by default the ledger's own structure.
        """
        config = config or self.config
        if sampler not in SAMPLERS:
            raise ValueError(f"sampler = {sampler!r}: must be one of {SAMPLERS}")
        seed = _draw_seed(random_seed)
        if random_seed is None and progressbar:
            print(f"remitest: random_seed=None, drew seed {seed}", file=sys.stderr)
        timings: dict[str, float] = {}
        start = time.perf_counter()
        wanted = model_structure(ledger, config)
        if structure is not None:
            if not structure.covers(wanted):
                raise ConfigError(
                    "the given structure does not cover this ledger (its years, hosts, "
                    "configuration or estimators differ); fit without structure="
                )
            wanted = dataclasses.replace(structure, pin_year=wanted.pin_year)
        model = None
        if sampler in ("auto", "nutpie"):
            entry = self.compiled_for(wanted)
            structure = wanted
            timings["compile"] = time.perf_counter() - start
            idata = _sample_kernel(
                entry,
                structure,
                ledger,
                config,
                draws=draws,
                tune=tune,
                chains=chains,
                seed=seed,
                progressbar=progressbar,
                cores=cores,
                timings=timings,
            )
            used = "nutpie"
        else:
            structure = wanted
            model = build_model(ledger, config, structure=structure)
            timings["compile"] = time.perf_counter() - start
            idata = _sample_pymc(
                model,
                sampler,
                draws=draws,
                tune=tune,
                chains=chains,
                seed=seed,
                progressbar=progressbar,
                cores=cores,
                target_accept=config.target_accept,
                timings=timings,
            )
            used = sampler
        t = time.perf_counter()
        diagnostics = check_fit(idata, config.gate)
        timings["diagnostics"] = time.perf_counter() - t
        result = self.record_type(
            idata=idata,
            ledger=ledger,
            config=config,
            structure=structure,
            diagnostics=diagnostics,
            random_seed=seed,
            sampler=used,
            n_draws=draws,
            n_tune=tune,
            n_chains=chains,
            model=model,
            timings=timings,
        )
        idata.posterior.attrs.update(_flat_attrs(result.metadata()))
        timings["total"] = time.perf_counter() - start
        enforce(diagnostics, strict=strict)
        return result


def _flat_attrs(metadata: dict[str, Any]) -> dict[str, Any]:
    """NetCDF attributes must be scalars or strings: nest as JSON text."""
    import json

    return {
        k: (json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v)
        for k, v in metadata.items()
    }


# Dims of each posterior variable the kernel's expansion returns, as in the PyMC model
# (tests/test_model.py checks the two agree).
POSTERIOR_DIMS = {
    "workers_step_z": ("step",),
    "per_worker_step_z": ("step",),
    "host_weight": ("host",),
    "host_step_z": ("walking_host", "step"),
    "host_share_by_year": ("host", "year"),
    "bias_sd": ("quantity",),
    "bias_rho": (),
    "estimator_bias_u": ("estimator",),
    "estimator_bias_z": ("estimator", "quantity"),
    "reading_z": ("reading",),
    "reading_factor": ("reading",),
    "noise_sd": ("estimator_type",),
    "workers": ("year",),
    "per_worker_usd": ("year",),
    "remittances_usd": ("year",),
    "host_share": ("host",),
    "workers_host": ("host", "year"),
    "remittances_usd_host": ("host", "year"),
    "estimator_bias": ("estimator", "quantity"),
}


def _sample_kernel(
    entry: _Compiled,
    structure: ModelStructure,
    ledger: Ledger,
    config: ModelConfig,
    *,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    progressbar: bool | Callable[[str], Any],
    cores: int | None,
    timings: dict[str, float],
) -> xr.DataTree:
    import nutpie

    t = time.perf_counter()
    blocks = claim_blocks(ledger, structure, config)  # read once: data and observed ids
    data = blocks_data(*blocks, structure)
    kdata = kernel.kernel_data(data, structure, config, _step_scale(structure, config))
    # The buffer must outlive sampling: the replaced model holds the only reference to it.
    sampler = dataclasses.replace(entry.nutpie_model, user_data=kernel.pack(kdata))
    progress: dict[str, Any] = {}
    if callable(progressbar):  # nutpie's public progress callback, its bar off
        lines = _ProgressLines(progressbar, chains * (tune + draws))
        progress = {"progress_callback": _NutpieProgress(lines),
                    "progress_rate": max(1, int(lines.interval * 1000))}
    raw = nutpie.sample(
        sampler,
        draws=draws,
        tune=tune,
        chains=chains,
        seed=seed,
        cores=cores or min(chains, os.cpu_count() or 1),
        progress_bar=progressbar is True,
        target_accept=config.target_accept,
        save_warmup=False,
        return_raw_trace=True,  # read below: nutpie's ArviZ conversion cost 60 ms a refit
        **progress,
    )
    timings["sampling"] = time.perf_counter() - t
    t = time.perf_counter()
    x, stat_values = _trace_arrays(raw, entry.layout.n_dim, _STATS)
    expanded = kernel.expand_draws(x, entry.layout, kdata)
    coords = {
        "chain": np.arange(x.shape[0]),
        "draw": np.arange(x.shape[1]),
        **model_coords(structure),
    }
    posterior = xr.Dataset(
        {
            name: (("chain", "draw", *POSTERIOR_DIMS.get(name, ())), value)
            for name, value in expanded.items()
        },
        coords=coords,
    )
    stats = xr.Dataset(
        {_STATS[name]: (("chain", "draw"), value) for name, value in stat_values.items()},
        coords={"chain": coords["chain"], "draw": coords["draw"]},
        # ArviZ's provenance, as nutpie's conversion wrote it (less nutpie's settings, which
        # the raw trace does not carry; the fit's own sampling settings are the posterior's)
        attrs=make_attrs(inference_library=nutpie, sample_dims=["chain", "draw"]),
    )
    idata = xr.DataTree.from_dict(
        {"posterior": posterior, "sample_stats": stats, "observed_data": _observed(*blocks)}
    )
    timings["postprocess"] = time.perf_counter() - t
    return idata


# nutpie's sampler statistics that a fit keeps, under the names of ArviZ's conventions
_STATS = {
    "diverging": "diverging",
    "energy": "energy",
    "step_size": "step_size",
    "n_steps": "n_steps",
    "logp": "logp",
    "mean_tree_accept": "acceptance_rate",
    "energy_error": "energy_error",
}


def _trace_arrays(
    raw: Any, dim: int, stats: Iterable[str]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The draws after tuning from nutpie's raw trace (``return_raw_trace=True``).

    Returns the ``unconstrained`` draws, shape (chain, draw, ``dim``), and each named statistic,
    shape (chain, draw), in the dtypes nutpie's own conversion to ArviZ gives them (each Arrow
    column's pandas dtype). Chains that stopped early (an interrupted fit) are padded as nutpie
    pads them: NaN, or zero for integers and booleans.
    """
    import nutpie
    import pyarrow

    draw_batches, stat_batches = raw.get_arrow_trace()
    tuned, kept = [], []
    for draw, stat in zip(draw_batches, stat_batches, strict=True):
        n_tune = int(pyarrow.array(stat.column("tuning")).to_numpy(False).sum())
        tuned.append(n_tune)
        kept.append(draw.num_rows - n_tune)
    n_chain, n_draw = len(kept), max(kept, default=0)

    def column(batches: list, name: str, shape: tuple[int, ...]) -> np.ndarray:
        out = None
        for chain, batch in enumerate(batches):
            if name not in batch.column_names:
                raise RuntimeError(
                    f"nutpie {nutpie.__version__}'s trace has no {name!r}; remitest was tested "
                    "with nutpie 0.16.11: pip install 'nutpie>=0.16.11,<0.17'"
                )
            col = pyarrow.array(batch.column(name)).slice(tuned[chain])
            if col.null_count:
                raise RuntimeError(f"nutpie's trace has missing values of {name!r}")
            if hasattr(col, "flatten"):
                col = col.flatten()
            if out is None:
                dtype = np.dtype(col.type.to_pandas_dtype())
                fill = np.nan if dtype.kind == "f" else 0
                out = np.full((n_chain, n_draw, *shape), fill, dtype=dtype)
            out[chain, : kept[chain]] = col.to_numpy(False).reshape(kept[chain], *shape)
        return out

    x = column(draw_batches, "unconstrained", (dim,))
    return x, {name: column(stat_batches, name, ()) for name in stats}


def _observed(gaussian: ClaimArrays, censored: ClaimArrays) -> xr.Dataset:
    """The claims as the likelihood saw them (log scale), each block labelled by claim id."""
    return xr.Dataset(
        {
            "gaussian_claims": ("gaussian_claim", gaussian.value),
            "censored_claims": ("censored_claim", censored.value),
        },
        coords={"gaussian_claim": gaussian.ids, "censored_claim": censored.ids},
    )


def _sample_pymc(
    model: Any,
    sampler: str,
    *,
    draws: int,
    tune: int,
    chains: int,
    seed: int,
    progressbar: bool | Callable[[str], Any],
    cores: int | None,
    target_accept: float,
    timings: dict[str, float],
) -> xr.DataTree:
    import pymc as pm

    t = time.perf_counter()
    kwargs: dict[str, Any] = {}
    if sampler == "numpyro":
        try:
            import jax  # noqa: F401
            import numpyro  # noqa: F401
        except ImportError as err:  # pragma: no cover - depends on the machine
            raise ImportError(
                "sampler='numpyro' needs jax and numpyro: pip install jax numpyro "
                "(or jax[cuda12] on a GPU machine)"
            ) from err
        import remitest.jax_support  # noqa: F401  (registers erfcx for PyTensor's JAX backend)

        kwargs["nuts_sampler"] = "numpyro"
    elif callable(progressbar):
        kwargs["callback"] = _PyMCProgress(_ProgressLines(progressbar, chains * (tune + draws)))
    with model:
        idata = pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            cores=cores or min(chains, 2),
            random_seed=seed,
            progressbar=progressbar is True,
            target_accept=target_accept,
            compute_convergence_checks=False,
            **kwargs,
        )
    timings["sampling"] = time.perf_counter() - t
    return idata


# -- sampling progress as lines of text (progressbar=callable) ----------------------------------
class _ProgressLines:
    """Turns a sampler's progress into one line of text, handed on at most once an interval.

    The clock starts at the sampler's first report (after PyMC's compile, for instance); the
    first line comes an interval later (a fit that samples in under a second prints none), and
    each next one at least an interval after the last.
    """

    def __init__(self, report: Callable[[str], Any], total: int, *,
                 interval: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.report, self.total, self.clock = report, total, clock
        self.interval = PROGRESS_INTERVAL_S if interval is None else interval
        self.start: float | None = None
        self.last = 0.0

    def update(self, done: int, divergences: int, tuning: bool) -> None:
        now = self.clock()
        if self.start is None:
            self.start = self.last = now
        if now - self.last < self.interval or done <= 0:
            return
        self.last = now
        elapsed = now - self.start
        left = elapsed * max(self.total - done, 0) / done
        self.report(f"sampling: {done:,}/{self.total:,} draws ({100 * done / self.total:.0f}%)"
                    f"{', tuning' if tuning else ''}, {divergences} divergences, "
                    f"{elapsed:.0f} s elapsed, about {left:.0f} s left")


class _NutpieProgress:
    """``nutpie.sample(progress_callback=...)``: the chains' draws and divergences, summed.

    nutpie calls it on a thread of its own with one ``nutpie.ChainProgress`` per chain; draws
    count the tuning ones, as the total does.
    """

    def __init__(self, lines: _ProgressLines):
        self._lines = lines

    def __call__(self, chains: Any) -> None:
        try:
            self._lines.update(sum(int(c.finished_draws) for c in chains),
                               sum(int(c.divergences) for c in chains),
                               any(bool(c.tuning) for c in chains))
        except Exception:  # progress must never stop a fit, nor print nutpie's traceback
            pass


class _PyMCProgress:
    """``pm.sample(callback=...)``: count each chain's draws (tuning included) and divergences."""

    def __init__(self, lines: _ProgressLines):
        self._lines = lines
        self._done: dict[int, int] = {}
        self._tuning: dict[int, bool] = {}
        self._divergences = 0

    def __call__(self, trace: Any, draw: Any) -> None:
        self._done[draw.chain] = draw.draw_idx + 1
        self._tuning[draw.chain] = bool(draw.tuning)
        stats = draw.stats if isinstance(draw.stats, list | tuple) else [draw.stats]
        self._divergences += any(bool(s.get("diverging", False)) for s in stats
                                 if isinstance(s, dict))
        self._lines.update(sum(self._done.values()), self._divergences,
                           any(self._tuning.values()))


_DEFAULT = Reconciler()


def fit(
    ledger: Ledger,
    config: ModelConfig | None = None,
    *,
    draws: int = 2000,
    tune: int = 1000,
    chains: int = 4,
    random_seed: Any = None,
    sampler: str = "auto",
    strict: bool = False,
    progressbar: bool | Callable[[str], Any] = True,
) -> Fit:
    """Fit the reconciliation model to a ledger; the record of the fit (no user methods).

    The parameters are :func:`remitest.fit`'s (:func:`remitest.api.fit`), which wraps this
    record in the user's :class:`remitest.api.Fit`. Uses a module-level :class:`Reconciler`: the
    second fit of a ledger with the same structure reuses the compiled sampler and only swaps the
    data.
    """
    return _DEFAULT.fit(
        ledger,
        config,
        draws=draws,
        tune=tune,
        chains=chains,
        random_seed=random_seed,
        sampler=sampler,
        strict=strict,
        progressbar=progressbar,
    )
