"""Fixtures shared by several test modules (a module's own fixture of the same name wins).

Helpers that tests import as functions stay in modules of their own: ``_claims.py`` (a minimal
valid claim), ``_synthetic.py`` (large ledgers for figure and CLI tests) and ``_benchmarks.py``
(loads a benchmark script).
"""

import pytest

import remitest as rt
from remitest.testing import fake_fit


@pytest.fixture(scope="module")
def ledger():
    """The ten seed claims (``load_ledger("seeds")``)."""
    return rt.load_ledger("seeds")


@pytest.fixture(scope="module")
def reconciler():
    """One compiled-sampler cache per test module."""
    return rt.Reconciler()


@pytest.fixture(scope="module")
def fit():
    """A fake fit of the seeds with a known posterior: 2 chains x 300 draws, seed 3."""
    return fake_fit(chains=2, draws=300, random_seed=3)
