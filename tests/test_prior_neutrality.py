"""The prior is neutral (issue 17): with no claim, no series drifts and no interval is lopsided.

0.3 summed host walks into the world, and the sum of log-symmetric walks drifted upwards (prior
median x1.36 by 2020). Now the world is one walk and the hosts split it, so the prior median of
every world and host series stays within +-10% of its pin-year median in every year, and the
intervals are symmetric on the log scale.
"""

from types import SimpleNamespace

import numpy as np
import pytest

import remitest as rt
from remitest.posterior import prior_series_draws
from remitest.structure import model_structure


def _prior(ledger, config):
    structure = model_structure(ledger, config)
    stand_in = SimpleNamespace(config=config, structure=structure,
                               years=np.asarray(structure.years), hosts=structure.hosts)
    return structure, prior_series_draws(stand_in, 20_000, random_seed=3)


@pytest.mark.parametrize("which", ["shipped", "synthetic", "constant"])
def test_prior_median_of_every_series_stays_within_10_percent_of_the_pin_year(which):
    if which == "synthetic":
        sim = rt.synthetic_ledger(60, random_seed=1)
        ledger, config = sim.ledger, sim.config
    else:
        ledger = rt.load_ledger()
        config = rt.ModelConfig(host_shares="constant" if which == "constant" else "walk")
    structure, draws = _prior(ledger, config)  # (n, quantity, scope, year), log scale
    pin = structure.pin_year - structure.years[0]
    # workers in every scope, and world remittances
    series = {f"workers {s}": draws[:, 0, i] for i, s in enumerate(("world", *structure.hosts))}
    series["remittances world"] = draws[:, 1, 0]
    for name, log in series.items():
        median = np.median(log, axis=0)
        ratio = np.exp(median - median[pin])
        assert np.all(np.abs(ratio - 1) <= 0.10), (name, np.round(ratio, 3))
        # log-symmetric intervals of the ratio to the pin year, away from the pin
        change = np.delete(log - log[:, pin : pin + 1], pin, axis=1)
        q05, q50, q95 = np.quantile(change, [0.05, 0.5, 0.95], axis=0)
        lopsided = (q95 - q50) / (q50 - q05)
        assert np.all((lopsided > 0.8) & (lopsided < 1.25)), (name, np.round(lopsided, 2))


def test_the_world_prior_is_its_walk():
    """World workers are exp(world walk): the median ratio to the pin year is 1 in every year."""
    structure, draws = _prior(rt.load_ledger(), rt.ModelConfig())
    pin = structure.pin_year - structure.years[0]
    change = draws[:, 0, 0] - draws[:, 0, 0, pin : pin + 1]
    assert np.all(np.abs(np.median(change, axis=0)) < 0.02)
