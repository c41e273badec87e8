"""Simulated ledgers with known truths: one from the model, two written as the field publishes.

``from_model``
    :func:`simulate_ledger`: a template ledger's claims redrawn from the model's own generative
    process (parameter recovery, simulation-based calibration).
``synthetic``
    :func:`synthetic_ledger`: realistic ledgers from a process that is deliberately *not* the
    model's (the yardstick of cross-validation and the truth checks).
``field``
    :func:`field_ledger`: the second yardstick, with switchable departures from the model's
    assumptions.
"""

from remitest.simulate.field import DEPARTURES, FIELD_HOSTS, field_ledger
from remitest.simulate.from_model import SimulatedLedger, draw_prior, simulate_ledger
from remitest.simulate.synthetic import SYNTHETIC_HOSTS, SyntheticLedger, synthetic_ledger

__all__ = [
    "SimulatedLedger", "simulate_ledger", "draw_prior", "SyntheticLedger", "synthetic_ledger",
    "SYNTHETIC_HOSTS", "field_ledger", "DEPARTURES", "FIELD_HOSTS",
]
