"""The default kernel path and stock ``pm.sample`` draw from the same posterior.

The log-density parity tests (``tests/test_kernel.py``) compare the two writings of the model
point by point; this test compares what the two samplers make of them. For each scalar quantity
below, its 5%, 50% and 95% posterior quantiles from the two fits must agree within four standard
errors of their difference, each standard error the Monte Carlo standard error of that quantile
(``az.mcse(method="quantile")``).
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest

import remitest as rt

pytestmark = pytest.mark.sampler

PROBS = (0.05, 0.5, 0.95)
# (variable, selection): scalar posterior quantities on both sides of the model.
SCALARS = (
    ("workers", {"year": 2016}),
    ("workers", {"year": 2022}),
    ("remittances_usd", {"year": 2016}),
    ("remittances_usd", {"year": 2022}),
    ("per_worker_usd", {"year": 2019}),
    ("bias_sd", {"quantity": "workers"}),
    ("bias_sd", {"quantity": "remittances_usd"}),
    ("bias_sd", {"quantity": "per_worker_usd"}),
    ("noise_sd", {"estimator_type": "research_institute"}),
    ("host_share", {"host": "china"}),
)
DRAWS, TUNE, CHAINS, SEED = 1000, 1000, 4, 11


def quantile_gaps(kernel_fit: rt.Fit, pymc_fit: rt.Fit) -> list[dict]:
    """One row per scalar and probability: both quantiles, their gap and its standard error."""
    rows = []
    for name, selection in SCALARS:
        draws = {
            label: fitted.idata.posterior[name].sel(selection)
            for label, fitted in (("kernel", kernel_fit), ("pymc", pymc_fit))
        }
        for prob in PROBS:
            quantile = {k: float(v.quantile(prob)) for k, v in draws.items()}
            mcse = {
                k: float(az.mcse(v.to_numpy(), method="quantile", prob=prob))
                for k, v in draws.items()
            }
            rows.append({
                "scalar": f"{name}{selection}", "prob": prob,
                "kernel": quantile["kernel"], "pymc": quantile["pymc"],
                "gap": abs(quantile["kernel"] - quantile["pymc"]),
                "se": float(np.hypot(mcse["kernel"], mcse["pymc"])),
            })  # fmt: skip
    return rows


def test_kernel_and_stock_pymc_posterior_quantiles_agree():
    ledger = rt.load_ledger("seeds")
    sizes = {"draws": DRAWS, "tune": TUNE, "chains": CHAINS, "random_seed": SEED}
    kernel_fit = rt.fit(ledger, **sizes, progressbar=False)
    pymc_fit = rt.fit(ledger, **sizes, sampler="pymc", progressbar=False)
    assert (kernel_fit.sampler, pymc_fit.sampler) == ("nutpie", "pymc")
    assert kernel_fit.diagnostics.passed and pymc_fit.diagnostics.passed
    rows = quantile_gaps(kernel_fit, pymc_fit)
    assert len(rows) == len(SCALARS) * len(PROBS)
    assert all(row["se"] > 0 for row in rows)
    failed = [row for row in rows if not row["gap"] < 4 * row["se"]]
    assert not failed, "quantiles differ by more than 4 standard errors:\n" + "\n".join(
        f"  {r['scalar']} q{r['prob']:.2f}: kernel {r['kernel']:.6g}, pymc {r['pymc']:.6g}, "
        f"gap {r['gap']:.3g} = {r['gap'] / r['se']:.1f} se"
        for r in failed
    )
