"""The gate's vectorised R-hat, bulk ESS and tail ESS against ArviZ's own (no sampler)."""

import warnings

import arviz as az
import numpy as np
import pytest
import xarray as xr
from scipy import special, stats

from remitest import diagnostics
from remitest.diagnostics import diagnostics_table, gated_names, rank_diagnostics
from remitest.testing import fake_fit

RTOL = 1e-10


def _arviz(draws):
    """``az.rhat`` and ``az.ess`` (bulk, tail) of a (chain, draw, scalar) array, as the gate
    called them before, on an xarray Dataset."""
    data = xr.Dataset({"x": (("chain", "draw", "scalar"), draws)})
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # ArviZ's own warnings on constant or short chains
        return tuple(
            result["x"].to_numpy()
            for result in (az.rhat(data), az.ess(data, method="bulk"),
                           az.ess(data, method="tail"))
        )  # fmt: skip


def _ar1(rng, chains, draws, scalars, phi):
    x = np.empty((chains, draws, scalars))
    x[:, 0] = rng.normal(size=(chains, scalars))
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + rng.normal(size=(chains, scalars))
    return x


def _case(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    normal = rng.normal
    if name == "iid, 4 chains":
        return normal(size=(4, 500, 6))
    if name == "iid, 2 chains":
        return normal(size=(2, 300, 6))
    if name == "AR(1), high autocorrelation":
        return np.concatenate([_ar1(rng, 4, 1000, 3, 0.95), _ar1(rng, 4, 1000, 3, 0.995)], axis=-1)
    if name == "AR(1), antithetic":  # tau below its floor 1 / log10(size)
        return _ar1(rng, 4, 400, 4, -0.7)
    if name == "a chain stuck at a constant":
        x = normal(size=(4, 200, 4))
        x[2, :, 0] = 1.5
        x[:, :, 1] = -2.0  # every chain
        x[0, 50:, 2] = x[0, 49, 2]  # stuck half-way
        x[:, :, 3] = np.array([0.0, 0.0, 1.0, 1.0])[:, None]  # every chain stuck: R-hat huge
        return x
    if name == "chains with different means":
        return normal(size=(4, 300, 4)) + np.array([0.0, 0.2, 1.0, 5.0])[:, None, None]
    if name == "heavy tails":
        return np.concatenate([rng.standard_cauchy((4, 400, 3)),
                               rng.standard_t(1.5, (4, 400, 3))], axis=-1)  # fmt: skip
    if name == "10 draws":
        return normal(size=(4, 10, 5))
    if name == "odd and minimal draw counts":
        return normal(size=(3, 7, 4))
    if name == "4 draws":
        return normal(size=(2, 4, 3))
    if name == "3 draws (too few)":
        return normal(size=(4, 3, 2))
    if name == "one chain":
        return normal(size=(1, 200, 3))
    if name == "integer draws with ties":
        return np.concatenate([rng.poisson(0.3, (4, 300, 3)), rng.poisson(5.0, (4, 300, 3)),
                               rng.integers(0, 2, (4, 300, 2)),  # folded: constant
                               np.r_[np.zeros(600), np.ones(600)].reshape(4, 300, 1)],
                              axis=-1).astype(float)  # fmt: skip
    if name == "a NaN draw":
        x = normal(size=(4, 100, 3))
        x[1, 7, 0] = np.nan
        x[:, :, 2] = np.nan
        return x
    if name == "near-constant":
        return 1.0 + normal(size=(4, 100, 2)) * 1e-16
    if name == "many scalars, in blocks":  # more than one block of _BLOCK scalars, mixed kinds
        x = np.concatenate([normal(size=(4, 300, 40)), _ar1(rng, 4, 300, 20, 0.9),
                            rng.poisson(0.5, (4, 300, 10)).astype(float)], axis=-1)  # fmt: skip
        x[:, :, 45] = 3.0
        x[2, 9, 61] = np.nan
        return x
    raise KeyError(name)


CASES = ["iid, 4 chains", "iid, 2 chains", "AR(1), high autocorrelation", "AR(1), antithetic",
         "a chain stuck at a constant", "chains with different means", "heavy tails", "10 draws",
         "odd and minimal draw counts", "4 draws", "3 draws (too few)", "one chain",
         "integer draws with ties", "a NaN draw", "near-constant",
         "many scalars, in blocks"]  # fmt: skip


@pytest.mark.parametrize("name", CASES)
def test_rank_diagnostics_equal_arviz(name):
    draws = _case(name)
    mine = rank_diagnostics(draws)
    theirs = _arviz(draws)
    for label, m, t in zip(("r_hat", "ess_bulk", "ess_tail"), mine, theirs, strict=True):
        assert m.shape == t.shape == (draws.shape[-1],)
        np.testing.assert_allclose(m, t, rtol=RTOL, atol=0, equal_nan=True, err_msg=label)


def test_the_adversarial_cases_reach_every_branch():
    """The cases above do exercise NaN results, constant blocks and the tau floor."""
    r_hat, bulk, tail = rank_diagnostics(_case("a chain stuck at a constant"))
    assert np.isnan(r_hat[1]) and bulk[1] == tail[1] == 4 * 200  # constant: every draw counts
    assert r_hat[3] > 1e6  # within-chain variance zero up to rounding
    r_hat, bulk, _ = rank_diagnostics(_case("one chain"))
    assert np.isnan(r_hat).all() and np.isfinite(bulk).all()
    _, bulk, _ = rank_diagnostics(_case("AR(1), antithetic"))
    assert (bulk > 4 * 400).all()
    assert all(np.isnan(v).all() for v in rank_diagnostics(_case("3 draws (too few)")))
    assert _case("many scalars, in blocks").shape[-1] > 2 * diagnostics._BLOCK


def _label(name, sel):
    return f"{name}[{', '.join(str(v) for v in sel)}]" if sel else name


def test_diagnostics_table_matches_arviz_cell_by_cell():
    fit = fake_fit(chains=4, draws=150, random_seed=3)
    posterior = fit.idata["posterior"].to_dataset()
    posterior = posterior[gated_names(posterior)]
    table = diagnostics_table(posterior)

    assert list(table.columns) == ["r_hat", "ess_bulk", "ess_tail"]
    assert (table.dtypes == np.float64).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        arviz = {"r_hat": az.rhat(posterior), "ess_bulk": az.ess(posterior, method="bulk"),
                 "ess_tail": az.ess(posterior, method="tail")}  # fmt: skip
    labels, expected = [], []
    for name in posterior.data_vars:
        cells = arviz["r_hat"][name]
        for index in np.ndindex(cells.shape):
            sel = {dim: cells[dim].values[i] for dim, i in zip(cells.dims, index, strict=True)}
            labels.append(_label(name, sel.values()))
            expected.append([float(arviz[column][name].sel(sel)) for column in table.columns])
    assert list(table.index) == labels  # az.summary's labels, in its order
    np.testing.assert_allclose(table.to_numpy(), np.array(expected), rtol=RTOL, atol=0)


def test_labels_follow_each_variable_s_own_dimension_order():
    """A variable whose dims run in another order than the Dataset's keeps its cells' labels
    (``az.summary`` stacks by the Dataset's order and labels by the variable's)."""
    rng = np.random.default_rng(5)
    posterior = xr.Dataset(
        {"a": (("chain", "draw", "year"), rng.normal(size=(2, 50, 3))),
         "b": (("chain", "draw", "host", "year"), rng.normal(size=(2, 50, 2, 3))
               * np.arange(1, 7).reshape(2, 3))},
        coords={"year": [2001, 2002, 2003], "host": ["x", "y"]},
    )  # fmt: skip
    table = diagnostics_table(posterior)
    bulk = az.ess(posterior, method="bulk")["b"]
    for host in ("x", "y"):
        for year in (2001, 2002, 2003):
            assert table.loc[f"b[{host}, {year}]", "ess_bulk"] == pytest.approx(
                float(bulk.sel(host=host, year=year)), rel=RTOL
            )


def test_blocks_and_threads_do_not_change_a_number(monkeypatch):
    """Blocks of 32 scalars on two threads give the one-piece, one-thread numbers exactly."""
    from remitest._threads import one_thread

    draws = _case("many scalars, in blocks")
    blocked = rank_diagnostics(draws)
    monkeypatch.setattr(diagnostics, "_BLOCK", 10**6)
    with one_thread():
        whole = rank_diagnostics(draws)
    for b, w in zip(blocked, whole, strict=True):
        np.testing.assert_array_equal(b, w)


def _mean_ranks(row):
    """Ranks 1..n of a row, equal values sharing their mean rank; NaNs last, each its own."""
    order = np.argsort(row)
    ordered = row[order]
    ranks = np.empty(len(row))
    start = 0
    while start < len(row):
        stop = start + 1
        while stop < len(row) and ordered[stop] == ordered[start]:
            stop += 1
        ranks[order[start:stop]] = (start + stop + 1) / 2
        start = stop
    return ranks


def _with_infinities():
    x = np.random.default_rng(11).normal(size=(4, 100, 3))
    x[:, :60, 0] = np.inf  # median infinite: distances inf and NaN
    x[:2, :10, 1], x[2:, :10, 1] = -np.inf, np.inf  # infinities on both sides, median finite
    x[:, ::2, 2] = 1.0  # half the draws tied at one value
    return x


@pytest.mark.parametrize("name", [*CASES, "infinite draws"])
def test_one_sort_gives_the_normal_scores_of_two(name):
    """The bulk and folded scores from one sort and a merge equal the plain definition (each
    row ranked on its own, ties at their mean rank, then ``ndtri``) bit for bit, for the split
    draws and their distances to the median (ties, constants, infinities, an odd draw count)."""
    x = _with_infinities() if name == "infinite draws" else _case(name)
    x = np.moveaxis(np.where(np.isnan(x), 0.0, x), -1, 0)  # the gate zeroes a NaN scalar first
    if x.shape[-1] < 4:
        pytest.skip("too few draws: the gate returns NaN before ranking")
    x = np.concatenate([x, x[..., :-1].round(1)], axis=-1)  # an odd count, with many ties
    split = diagnostics._split_chains(x)
    flat = split.reshape(x.shape[0], -1)
    median = np.median(flat, axis=-1)
    with np.errstate(invalid="ignore"):
        both = np.stack([flat, np.abs(flat - median[:, None])])
    ranks = np.apply_along_axis(_mean_ranks, -1, both)
    if np.isfinite(both).all():  # scipy's own ranks agree where they are defined
        np.testing.assert_array_equal(ranks, stats.rankdata(both, axis=-1))
    c = 3 / 8
    expected = special.ndtri((ranks - c) / (flat.shape[-1] - 2 * c + 1))
    order = np.argsort(flat, axis=-1)
    got = diagnostics._normal_scores(order, np.take_along_axis(flat, order, -1), median)
    np.testing.assert_array_equal(got, expected)
