"""The heavy-tailed host step option (``priors.host_event_tail_nu``): where an event scales a
host's share step, the standardised step is a Student-t of unit variance. No sampler.

The PyMC model and the numba kernel agree on it through tests/test_kernel.py's parity case
``host_event_tails``; the prior's neutrality with it is in tests/test_prior_neutrality.py.
"""

import numpy as np
import pytest
from scipy import stats

import remitest as rt
from remitest import forward
from remitest.model import build_model
from remitest.structure import host_step_scale, model_structure


def test_with_no_tail_the_steps_are_the_normal_models_bit_for_bit():
    event = np.array([[False, True, False, True]])
    z = forward.host_step_z(np.random.default_rng(5), (3, 1, 4), event, 0.0)
    np.testing.assert_array_equal(z, np.random.default_rng(5).standard_normal((3, 1, 4)))


def test_event_steps_are_t_of_unit_variance_and_the_rest_unchanged():
    event = np.array([[False, True]])
    n = 400_000
    z = forward.host_step_z(np.random.default_rng(1), (n, 1, 2), event, 5.0)
    plain = np.random.default_rng(1).standard_normal((n, 1, 2))
    np.testing.assert_array_equal(z[..., 0], plain[..., 0])  # the normal steps keep their draws
    tailed = z[:, 0, 1]
    scale = np.sqrt(3.0 / 5.0)
    assert forward.unit_variance_t_scale(5.0) == pytest.approx(scale)
    grid = np.array([-3.0, -1.0, 0.0, 0.5, 2.5])
    np.testing.assert_allclose((tailed[:, None] <= grid).mean(axis=0),
                               stats.t(5, scale=scale).cdf(grid), atol=0.003)
    assert tailed.var() == pytest.approx(1.0, abs=0.05)
    # the same spread as the normal, with heavier tails
    assert (np.abs(tailed) > 4).mean() > 10 * 2 * stats.norm.sf(4)


def test_the_model_reads_event_steps_as_t_and_the_others_as_normal():
    ledger = rt.load_ledger("seeds")
    config = rt.ModelConfig().replace(priors={"host_event_tail_nu": 3.0})
    model = build_model(ledger, config)
    event = forward.event_steps(host_step_scale(model_structure(ledger, config), config))
    assert event.any() and not event.all()
    x = np.random.default_rng(0).normal(0.0, 2.0, event.shape)
    value = model.rvs_to_values[model["host_step_z"]]
    logp = model.compile_fn(model.logp(vars=[model["host_step_z"]], sum=False)[0],
                            inputs=[value])({value.name: x})
    expected = np.where(event, stats.t(3.0, scale=np.sqrt(1 / 3)).logpdf(x), stats.norm.logpdf(x))
    np.testing.assert_allclose(logp, expected, rtol=1e-8)  # PyMC's t constant: 4e-9 off scipy


@pytest.mark.parametrize("nu", [-1.0, 1.5, 2.0])
def test_the_degrees_of_freedom_are_checked(nu):
    with pytest.raises(rt.ConfigError,
                       match=r"host_event_tail_nu = .*: must be 0 \(normal\) or > 2"):
        rt.ModelConfig().replace(priors={"host_event_tail_nu": nu})
