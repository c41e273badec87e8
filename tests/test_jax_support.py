"""The optional JAX path (sampler="numpyro"). Skipped where jax and numpyro are not installed
(CI installs neither; run ``pip install jax numpyro`` to include these tests)."""

import numpy as np
import pytest
from scipy import special

jax = pytest.importorskip("jax", reason="the JAX path is optional: pip install jax numpyro")
pytest.importorskip("numpyro", reason="the JAX path is optional: pip install jax numpyro")
jax.config.update("jax_enable_x64", True)

from remitest.jax_support import erfcx  # noqa: E402


def test_erfcx_matches_scipy_across_the_switch():
    x = np.concatenate([np.linspace(-3, 30, 500), [24.999, 25.0, 25.001, 100.0, 1e4]])
    # exp(x^2) * erfc(x) loses a few digits just below the switch: ~4e-11 relative at worst.
    np.testing.assert_allclose(np.asarray(erfcx(x)), special.erfcx(x), rtol=1e-9)


def test_erfcx_gradient_is_finite_and_right():
    grad = jax.vmap(jax.grad(erfcx))(np.array([0.5, 5.0, 30.0]))
    # d/dx erfcx(x) = 2 x erfcx(x) - 2 / sqrt(pi)
    x = np.array([0.5, 5.0, 30.0])
    np.testing.assert_allclose(np.asarray(grad), 2 * x * special.erfcx(x) - 2 / np.sqrt(np.pi),
                               rtol=1e-8)


@pytest.mark.sampler
@pytest.mark.filterwarnings("ignore::remitest.diagnostics.DiagnosticsWarning")
@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::UserWarning",
                            "ignore::FutureWarning")
def test_numpyro_path_agrees_with_the_default_sampler():
    import remitest as rt

    ledger = rt.load_ledger("seeds")
    jax_fit = rt.fit(ledger, sampler="numpyro", random_seed=1, draws=500, tune=500,
                     progressbar=False)
    default = rt.fit(ledger, random_seed=1, draws=500, tune=500, progressbar=False)
    assert jax_fit.sampler == "numpyro"
    a = jax_fit.idata.posterior["workers"].median(("chain", "draw"))
    b = default.idata.posterior["workers"].median(("chain", "draw"))
    np.testing.assert_allclose(a, b, rtol=0.05)
