"""The numba kernel against the PyMC model it reproduces: log density, gradient, expansion."""

from __future__ import annotations

import ctypes
import dataclasses
import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytest

from remitest import kernel
from remitest.config import ModelConfig
from remitest.ledger import DEFAULT_HOSTS, QUANTITIES, Ledger, load_ledger
from remitest.model import _step_scale, build_model, model_data, model_structure
from remitest.simulate import simulate_ledger, synthetic_ledger

DEFAULT = ModelConfig()
EXTRA_HOST_CONFIG = DEFAULT.replace(
    hosts=[*DEFAULT_HOSTS, "vietnam"],
    priors={
        "host_share_concentration": {**DEFAULT.priors.host_share_concentration, "vietnam": 1.0}
    },
)
DETERMINISTICS = (
    "workers",
    "remittances_usd",
    "per_worker_usd",
    "host_share",
    "host_share_by_year",
    "workers_host",
    "remittances_usd_host",
    "estimator_bias",
    "bias_sd",
    "bias_rho",
    "noise_sd",
    "reading_factor",
)


def extra_host_ledger() -> Ledger:
    frame = load_ledger("seeds").to_frame()
    rows = pd.DataFrame(
        [
            {
                **frame.iloc[5].to_dict(),
                "id": "vn-workers",
                "scope": "vietnam",
                "low": 20_000.0,
                "high": 30_000.0,
                "kind": "range",
            },
            {
                **frame.iloc[2].to_dict(),
                "id": "vn-remittances",
                "scope": "vietnam",
                "quantity": "remittances_usd",
                "low": 5e7,
                "high": np.nan,
                "kind": "lower_bound",
            },
        ]
    )
    return Ledger.from_frame(pd.concat([frame, rows], ignore_index=True), hosts=["vietnam"])


_SYNTHETIC = synthetic_ledger(60, random_seed=1)


def seeds_ledger():
    return load_ledger("seeds")


CASES = {
    "shipped_default": (seeds_ledger, DEFAULT),
    "both_bounds_censored": (
        seeds_ledger,
        DEFAULT.replace(interpretation={"upper_bound": "censored", "lower_bound": "censored"}),
    ),
    "lower_bound_interval_end": (
        seeds_ledger,
        DEFAULT.replace(interpretation={"lower_bound": "interval_end"}),
    ),
    "extra_host": (extra_host_ledger, EXTRA_HOST_CONFIG),
    "simulated": (lambda: simulate_ledger(seeds_ledger(), DEFAULT, random_seed=7).ledger, DEFAULT),
    "constant_host_shares": (seeds_ledger, DEFAULT.replace(host_shares="constant")),
    "student_t_biases": (seeds_ledger, DEFAULT.replace(priors={"bias_tail_nu": 5.0})),
    # each claim a mixture with an outlier's wider normal, in both blocks
    "claim_outliers": (
        seeds_ledger,
        DEFAULT.replace(priors={"claim_outlier_weight": 0.1, "claim_outlier_sd": 0.8},
                        interpretation={"upper_bound": "censored", "lower_bound": "censored"}),
    ),
    "claim_outliers_simulated": (
        lambda: simulate_ledger(seeds_ledger(), DEFAULT, random_seed=7).ledger,
        DEFAULT.replace(priors={"claim_outlier_weight": 0.03}),
    ),
    # events that say which way they push: the world, a named host, the reference host
    "expected_changes": (
        seeds_ledger,
        DEFAULT.replace(events=[
            {"name": "world down", "year": 2018, "expected_change": 0.7},
            {"name": "russia down", "year": 2020, "step_scale": 3.0, "hosts": ["russia"],
             "expected_change": 0.5},
            {"name": "rest up", "year": 2016, "step_scale": 2.0, "hosts": ["rest_of_world"],
             "expected_change": 1.3},
        ]),
    ),
    # the bound ratio and permits with no uncertainty (zero loadings; the field's shift stays)
    "readings_fixed_and_wide": (
        lambda: _SYNTHETIC.ledger,
        _SYNTHETIC.config.replace(
            interpretation={"bound_ratio_log_sd": 0.0, "upper_bound": "interval_end",
                            "lower_bound": "interval_end"},
            measures={"permits": {"quantity": "workers", "median": 0.8, "log_sd": 0.0}},
        ),
    ),
    # host events, a non-default pin, per-worker claims, measures, permits read as bounds
    "synthetic_host_events_pin": (
        lambda: _SYNTHETIC.ledger,
        _SYNTHETIC.config.replace(
            pin_year=2014,
            events=[
                {"name": "world", "year": 2018, "step_scale": 2.0},
                {"name": "russia", "year": 2020, "step_scale": 5.0, "hosts": ["russia"]},
                {"name": "two hosts", "year": 2024, "step_scale": 3.0,
                 "hosts": ["china", "middle_east"]},
            ],
        ),
    ),
}


@cache
def setup(case: str, field_shift: bool = True):
    make_ledger, config = CASES[case]
    if not field_shift:  # the model of 0.5 (no shift shared by the field)
        config = config.replace(priors={"field_shift_log_sd": 0.0})
    ledger = make_ledger()
    structure = model_structure(ledger, config)
    model = build_model(ledger, config)
    layout = kernel.layout_for(structure)
    kdata = kernel.kernel_data(
        model_data(ledger, structure, config), structure, config, _step_scale(structure, config)
    )
    return ledger, structure, model, layout, kdata


def random_x(layout: kernel.Layout, rng: np.random.Generator, lead=()) -> np.ndarray:
    x = 0.5 * rng.standard_normal((*lead, layout.n_dim))
    sl = layout.slices()
    x[..., sl["log_workers_pinned"]] += np.log(80_000)
    x[..., sl["log_per_worker_pinned"]] += np.log(5_000)
    return x


def as_point(x: np.ndarray, layout: kernel.Layout) -> dict[str, np.ndarray]:
    sl = layout.slices()
    return {name: x[sl[name]].reshape(shape) for name, shape in layout.shapes().items()}


def deterministics_fn(model: pm.Model):
    outs = model.replace_rvs_by_values([model[n] for n in DETERMINISTICS])
    fn = model.compile_fn(
        outs, inputs=model.value_vars, on_unused_input="ignore", mode="FAST_COMPILE"
    )
    return lambda point: dict(zip(DETERMINISTICS, fn(point), strict=True))


# -- layout -------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ["shipped_default", "extra_host"])
def test_layout_matches_value_vars(case):
    _, structure, model, layout, _ = setup(case)
    names = [v.name for v in model.value_vars]
    assert names == list(layout.shapes()) == list(kernel.VALUE_VARS)
    start = model.initial_point()
    for name, shape in layout.shapes().items():
        assert np.shape(start[name]) == shape, name
    assert layout.n_dim == sum(np.size(v) for v in start.values())
    assert (layout.n_years, layout.n_hosts, layout.n_estimators) == (
        len(structure.years),
        len(structure.hosts),
        len(structure.estimators),
    )
    slices = list(layout.slices().values())
    assert slices[0].start == 0 and slices[-1].stop == layout.n_dim
    assert all(a.stop == b.start for a, b in zip(slices, slices[1:], strict=False))


# -- log density and gradient -------------------------------------------------------------------
@pytest.mark.parametrize("case", list(CASES))
def test_kernel_matches_pymc_logp_and_gradient(case):
    ledger, _, model, layout, kdata = setup(case)
    if case == "extra_host":
        assert layout.n_hosts == 4
    bounds = ledger.originals().to_frame()["kind"].str.endswith("_bound").sum()
    if case == "both_bounds_censored":
        assert len(kdata.cens_int) == bounds == 3
        assert len(kdata.gauss_int) == len(ledger.originals()) - bounds
    if case == "lower_bound_interval_end":
        assert len(kdata.cens_int) == 0
    # FAST_COMPILE: the same graph, evaluated without the C backend's costly rewrites
    logp_fn = model.compile_logp(mode="FAST_COMPILE")
    dlogp_fn = model.compile_dlogp(mode="FAST_COMPILE")
    rng = np.random.default_rng(list(CASES).index(case))
    grad = np.empty(layout.n_dim)
    for _ in range(10):
        x = random_x(layout, rng)
        point = as_point(x, layout)
        logp = kernel.logp_dlogp(x, grad, *kdata.args())
        np.testing.assert_allclose(logp, logp_fn(point), rtol=1e-8, atol=1e-6)
        np.testing.assert_allclose(grad, dlogp_fn(point), rtol=0, atol=1e-6)


@pytest.mark.parametrize("case", ["shipped_default", "extra_host", "synthetic_host_events_pin"])
def test_packed_c_entry_point(case):
    _, _, _, layout, kdata = setup(case)
    logp_cfunc, expand_cfunc = kernel.cfuncs()
    buf = kernel.pack(kdata)
    assert buf.dtype == np.float64 and buf.flags.c_contiguous
    assert int(buf[0]) == buf.size

    def ptr(a):
        return a.ctypes.data_as(ctypes.POINTER(ctypes.c_double))

    rng = np.random.default_rng(1)
    expected_grad = np.empty(layout.n_dim)
    for _ in range(5):
        x = np.ascontiguousarray(random_x(layout, rng))
        out, logp = np.empty(layout.n_dim), np.empty(1)
        rc = logp_cfunc.ctypes(
            layout.n_dim, ptr(x), ptr(out), ptr(logp), buf.ctypes.data_as(ctypes.c_void_p)
        )
        assert rc == 0
        expected = kernel.logp_dlogp(x, expected_grad, *kdata.args())
        np.testing.assert_allclose(logp[0], expected, rtol=1e-13)
        np.testing.assert_allclose(out, expected_grad, rtol=1e-13, atol=1e-13)

    # a point whose density is not finite is reported, not returned as a number
    x = np.ascontiguousarray(random_x(layout, rng))
    x[layout.slices()["log_workers_pinned"]] = 1e6
    out, logp = np.empty(layout.n_dim), np.empty(1)
    rc = logp_cfunc.ctypes(
        layout.n_dim, ptr(x), ptr(out), ptr(logp), buf.ctypes.data_as(ctypes.c_void_p)
    )
    assert rc in (3, 4)

    # the expand callback hands the unconstrained draw through unchanged
    x = np.ascontiguousarray(random_x(layout, rng))
    expanded = np.full(layout.n_dim, np.nan)
    rc = expand_cfunc.ctypes(
        layout.n_dim, layout.n_dim, ptr(x), ptr(expanded), buf.ctypes.data_as(ctypes.c_void_p)
    )
    assert rc == 0
    np.testing.assert_array_equal(expanded, x)

    # a buffer whose header's sizes do not add up to its length is refused, not read past
    for field in (2, 8, 9):  # hosts, measurement rows, variance rows
        bad = buf.copy()
        bad[field] += 1
        rc = logp_cfunc.ctypes(
            layout.n_dim, ptr(x), ptr(out), ptr(logp), bad.ctypes.data_as(ctypes.c_void_p)
        )
        assert rc == 1, field


# -- expansion of draws -------------------------------------------------------------------------
def check_expansion(model, layout, kdata, seed):
    evaluate = deterministics_fn(model)
    x = random_x(layout, np.random.default_rng(seed), lead=(2, 3))
    expanded = kernel.expand_draws(x, layout, kdata)
    for name in DETERMINISTICS:
        assert expanded[name].shape[:2] == (2, 3), name
    for chain in range(2):
        for draw in range(3):
            expected = evaluate(as_point(x[chain, draw], layout))
            for name in DETERMINISTICS:
                np.testing.assert_allclose(
                    expanded[name][chain, draw],
                    expected[name],
                    rtol=1e-12,
                    atol=1e-14,
                    err_msg=name,
                )


@pytest.mark.parametrize(
    "case", ["shipped_default", "extra_host", "expected_changes", "constant_host_shares",
             "synthetic_host_events_pin"])
def test_expand_draws_matches_pymc_deterministics(case):
    _, _, model, layout, kdata = setup(case)
    check_expansion(model, layout, kdata, seed=5)


def test_expand_draws_with_another_pin_year():
    """The pin year travels as data: kernel and PyMC model agree for a non-default pin."""
    ledger, structure, _, layout, _ = setup("shipped_default")
    pinned = dataclasses.replace(structure, pin_year=structure.years[1])
    assert pinned.pin_year != structure.pin_year
    model = build_model(ledger, DEFAULT, structure=pinned)
    kdata = kernel.kernel_data(
        model_data(ledger, pinned, DEFAULT), pinned, DEFAULT, _step_scale(pinned, DEFAULT)
    )
    check_expansion(model, layout, kdata, seed=6)
    # at the pin year each series equals exp of its level
    x = random_x(layout, np.random.default_rng(0), lead=(4,))
    expanded = kernel.expand_draws(x, layout, kdata)
    np.testing.assert_allclose(
        expanded["workers"][:, 1], np.exp(x[:, layout.slices()["log_workers_pinned"]][:, 0])
    )


# -- far in the tails ---------------------------------------------------------------------------
def tail_x(layout: kernel.Layout, rng: np.random.Generator, kind: str) -> np.ndarray:
    """A point far from where the posterior sits: ``kind`` says in which direction."""
    sl = layout.slices()
    centre = random_x(layout, rng) if kind != "scaled" else None
    if kind == "scaled":  # every coordinate 4x further from the prior centre
        x = random_x(layout, rng)
        x[sl["log_workers_pinned"]] -= np.log(80_000)
        x[sl["log_per_worker_pinned"]] -= np.log(5_000)
        unscaled = x.copy()
        x *= 4.0
        # but not the log step sizes: e^8 per step overflows a 17-year walk (both sides -inf)
        for name in ("workers_step_sd_log__", "per_worker_step_sd_log__"):
            x[sl[name]] = unscaled[sl[name]]
        x[sl["log_workers_pinned"]] += np.log(80_000)
        x[sl["log_per_worker_pinned"]] += np.log(5_000)
        return x
    x = centre
    if kind == "bias":  # estimators far off, with a wide bias scale
        x[sl["estimator_bias_z"]] += 4.0 * rng.choice([-1.0, 1.0], sl["estimator_bias_z"].stop
                                                      - sl["estimator_bias_z"].start)
        x[sl["bias_sd_log__"]] += 1.0
    elif kind == "host_step":  # hosts collapsing: large negative steps, lopsided weights
        x[sl["host_step_z"]] -= 6.0
        x[sl["host_weight_log__"]] += np.linspace(-3.0, 3.0, layout.n_hosts)
    elif kind == "level":  # the world level far from every claim, with tight noise
        x[sl["log_workers_pinned"]] += 3.0 * rng.choice([-1.0, 1.0])
        x[sl["log_per_worker_pinned"]] -= 2.0
        x[sl["noise_sd_log__"]] -= 1.0
    elif kind == "level_beyond_30":  # further still: bounds at u < -30
        x[sl["log_workers_pinned"]] -= 4.0
        x[sl["log_per_worker_pinned"]] -= 3.0
        x[sl["noise_sd_log__"]] -= 2.0
    else:
        raise ValueError(kind)
    return x


TAIL_KINDS = ("scaled", "bias", "host_step", "level")


def check_tail_points(case: str, kinds, n_points: int, seed: int) -> None:
    _, _, model, layout, kdata = setup(case)
    logp_fn = model.compile_logp(mode="FAST_COMPILE")
    dlogp_fn = model.compile_dlogp(mode="FAST_COMPILE")
    rng = np.random.default_rng(seed)
    grad = np.empty(layout.n_dim)
    for kind in kinds:
        for _ in range(n_points):
            x = tail_x(layout, rng, kind)
            point = as_point(x, layout)
            logp = kernel.logp_dlogp(x, grad, *kdata.args())
            expected = logp_fn(point)
            assert np.isfinite(expected), kind
            np.testing.assert_allclose(logp, expected, rtol=1e-6, atol=1e-6, err_msg=kind)
            expected_grad = dlogp_fn(point)
            scale = max(1.0, np.abs(expected_grad).max())
            np.testing.assert_allclose(grad, expected_grad, rtol=0, atol=1e-6 * scale,
                                       err_msg=kind)


@pytest.mark.parametrize(
    "case", ["shipped_default", "both_bounds_censored", "synthetic_host_events_pin",
             "claim_outliers"]
)
def test_kernel_matches_pymc_far_in_the_tails(case):
    """Logp and gradient agree far from the posterior (censored bounds down to u = -30).

    Gradients there reach thousands, so they are compared relative to their largest element.
    Censored bounds go through PyMC's erfcx-based normal log-CDF, which agrees with scipy's to
    ~1e-7 relative (``CENSORED_RTOL`` in ``tests/test_model.py``); the logp tolerance is 1e-6.
    """
    check_tail_points(case, TAIL_KINDS, n_points=3, seed=100 + list(CASES).index(case))


def test_log_ndtr_beyond_minus_30_matches_scipy():
    """Below u = -30 the kernel uses the Mills-ratio series (a one-term version was 3.6e-6 off)."""
    from scipy import special

    u = np.array([-30.1, -35.0, -50.0])
    got = np.array([kernel._log_ndtr(v) for v in u])
    log_cdf = special.log_ndtr(u)
    mills = np.exp(-0.5 * u**2 - 0.5 * np.log(2 * np.pi) - log_cdf)
    np.testing.assert_allclose(got[:, 0], log_cdf, rtol=1e-12)
    np.testing.assert_allclose(got[:, 1], mills, rtol=1e-9)


def test_kernel_matches_pymc_beyond_minus_30():
    """A censored bound at u < -30: the kernel agrees with PyMC's erfcx-based log-CDF."""
    check_tail_points("shipped_default", ["level_beyond_30"], n_points=10, seed=100)


# -- what the new parameters do ---------------------------------------------------------------
def test_readings_are_shared_parameters_loaded_on_their_claims():
    """A measure's offset, the bound ratio and the field's shift are one parameter each."""
    ledger, structure, model, layout, kdata = setup("synthetic_host_events_pin")
    names = list(model.coords["reading"])
    measures = sorted(_SYNTHETIC.config.measures)
    field = [f"field_{q}" for q in QUANTITIES]
    assert names == ["bound_ratio", *measures, *field]
    loadings = np.vstack([kdata.gauss_reading, kdata.cens_reading])
    frame = ledger.originals().to_frame()
    # the field's shift of a quantity is loaded on every claim of that quantity, and only there
    quantity = np.concatenate([kdata.gauss_int[:, 0], kdata.cens_int[:, 0]])  # claim ints: q first
    tau = _SYNTHETIC.config.priors.field_shift_log_sd
    for i, q in enumerate(QUANTITIES):
        column = loadings[:, names.index(f"field_{q}")]
        np.testing.assert_array_equal(column, np.where(quantity == i, tau, 0.0))
        assert (quantity == i).sum() > 1
    shared = 0
    for name in measures:
        used = (frame["measure"] == name).sum()
        sd = _SYNTHETIC.config.measures[name].log_sd
        column = loadings[:, names.index(name)]
        assert (column == sd).sum() == used  # every claim of the measure, one parameter
        assert (column != 0).sum() == used
        shared += used > 1
    assert shared  # some measure is used by several claims
    # moving one reading moves every claim that uses it, by its loading
    x = random_x(layout, np.random.default_rng(0))
    grad = np.empty(layout.n_dim)
    kernel.logp_dlogp(x, grad, *kdata.args())
    used = np.abs(loadings).sum(axis=0) > 0
    assert np.all(grad[layout.slices()["reading_z"]][used] != 0)


def test_bias_correlation_is_one_factor():
    """bias = bias_sd (sqrt(rho) u + sqrt(1 - rho) z): rho near 1 ties an estimator's biases."""
    _, _, _, layout, kdata = setup("shipped_default")
    sl = layout.slices()
    x = random_x(layout, np.random.default_rng(2), lead=(2,))
    x[:, sl["bias_rho_logodds__"]] = [[-30.0], [30.0]]
    x[:, sl["bias_sd_log__"]] = 0.0
    out = kernel.expand_draws(x, layout, kdata)
    u = x[:, sl["estimator_bias_u"]]
    z = x[:, sl["estimator_bias_z"]].reshape(2, -1, 3)
    np.testing.assert_allclose(out["estimator_bias"][0], z[0], atol=1e-6)
    np.testing.assert_allclose(out["estimator_bias"][1], np.repeat(u[1][:, None], 3, 1),
                               atol=1e-6)


def test_the_nutpie_record_is_the_one_the_kernel_sampler_fills(monkeypatch):
    # fitting fills nutpie's CompiledPyMCModel itself (its public API takes no ready C
    # callbacks); a nutpie whose record has other fields is refused with what to install
    from nutpie.compile_pymc import CompiledPyMCModel

    from remitest import sampling

    assert {f.name for f in dataclasses.fields(CompiledPyMCModel)} == sampling._NUTPIE_FIELDS
    monkeypatch.setattr(sampling, "_NUTPIE_FIELDS", sampling._NUTPIE_FIELDS | {"old_field"})
    with pytest.raises(ImportError, match=r"gone: \['old_field'\].*'nutpie>=0.16.11,<0.17'"):
        sampling._nutpie_record()


def _one_row_per_claim(kdata: kernel.KernelData) -> kernel.KernelData:
    """The same data with no row shared: each claim its own measurement and variance."""
    ints = np.vstack([kdata.gauss_int, kdata.cens_int])
    measure, variance = ints[:, 3].astype(int), ints[:, 4].astype(int)
    own = ints.copy()
    own[:, 3] = own[:, 4] = np.arange(len(ints))
    n_g = len(kdata.gauss_int)
    return dataclasses.replace(
        kdata,
        gauss_int=np.ascontiguousarray(own[:n_g]),
        cens_int=np.ascontiguousarray(own[n_g:]),
        measure_int=kdata.measure_int[measure],
        measure_window=kdata.measure_window[measure],
        measure_scope=kdata.measure_scope[measure],
        variance=kdata.variance[variance],
    )


@pytest.mark.parametrize("case", ["shipped_default", "synthetic_host_events_pin"])
def test_shared_measurement_rows_change_no_bit(case):
    """Claims alike share a measurement and a variance row; the density and gradient are the
    ones each claim computing its own gives, bit for bit."""
    ledger, _, _, layout, kdata = setup(case)
    n_claims = len(kdata.gauss_int) + len(kdata.cens_int)
    assert len(kdata.measure_int) <= n_claims and len(kdata.variance) <= n_claims
    if case == "synthetic_host_events_pin":  # many claims measure what another does
        assert len(kdata.measure_int) < 0.8 * n_claims and len(kdata.variance) < 0.7 * n_claims
    own = _one_row_per_claim(kdata)
    rng = np.random.default_rng(4)
    shared_grad, own_grad = np.empty(layout.n_dim), np.empty(layout.n_dim)
    for _ in range(5):
        x = random_x(layout, rng)
        shared = kernel.logp_dlogp(x, shared_grad, *kdata.args())
        assert shared == kernel.logp_dlogp(x, own_grad, *own.args())
        np.testing.assert_array_equal(shared_grad, own_grad)


@pytest.mark.parametrize(
    "case", ["shipped_default", "both_bounds_censored", "student_t_biases",
             "synthetic_host_events_pin"]
)  # fmt: skip
def test_density_and_gradient_as_the_kernel_of_0_5_0_gave_them(case):
    """Values written by the kernel at commit 6c32f3d (0.5.0's arithmetic) at three points per
    case, as float.hex: the faster kernel gave them bit for bit on the machine that wrote them.
    Held here to 1e-12, not to the bit, since libm may round otherwise on another CPU; any
    change to the arithmetic beyond rounding still shows. 0.6 added the field's shift: with its
    prior at 0 (no shift) the model is 0.5's."""
    reference = json.loads((Path(__file__).parent / "data" / "kernel_reference_6c32f3d.json")
                           .read_text())[case]  # fmt: skip
    _, _, _, layout, kdata = setup(case, field_shift=False)
    rng = np.random.default_rng(99)
    grad = np.empty(layout.n_dim)
    for point in reference:
        logp = kernel.logp_dlogp(random_x(layout, rng), grad, *kdata.args())
        np.testing.assert_allclose(logp, float.fromhex(point["logp"]), rtol=1e-12, atol=0)
        expected = np.array([float.fromhex(v) for v in point["grad"]])
        np.testing.assert_allclose(grad, expected, rtol=1e-12, atol=1e-12)
