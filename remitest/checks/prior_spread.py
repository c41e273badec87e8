"""What the priors of each claim-level term imply for a claim's spread around the truth.

A prior predictive check of the terms of the observation model, without a sampler: for a claim
by a new estimator, the factor ``claim / truth`` that each term alone implies under
``ModelConfig`` (5%, 50% and 95% quantiles, from seeded draws), and all of them together.

>>> from remitest.checks import claim_spread_prior
>>> bool(claim_spread_prior().set_index("term").loc["bias (new source), workers", "q95"] > 1)
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from remitest import forward
from remitest.config import ModelConfig

__all__ = ["claim_spread_prior"]


def claim_spread_prior(
    config: ModelConfig | None = None, *, n: int = 200_000, random_seed: int = 0
) -> pd.DataFrame:
    """Quantiles of ``claim / truth`` implied by each term's prior, and by all together.

    Returns
    -------
    DataFrame
        ``term, q05, q50, q95`` (factors; 1 means the claim equals the truth).
    """
    config = config or ModelConfig()
    p, interp = config.priors, config.interpretation
    rng = np.random.default_rng(random_seed)
    z = rng.standard_normal

    def bias() -> np.ndarray:
        spread = np.exp(np.log(p.bias_sd_median) + p.bias_sd_log_sd * z(n))
        if p.bias_tail_nu > 0:
            return spread * rng.standard_t(p.bias_tail_nu, n)
        return spread * z(n)

    noise = np.exp(np.log(p.noise_median) + p.noise_log_sd * z(n)) * z(n)
    floor = p.rounding_sd * z(n)
    rounding = p.rounding_sd_max * z(n)  # a figure as round as "100,000"
    ratio = np.log(interp.bound_ratio) + interp.bound_ratio_log_sd * z(n)
    terms = {
        "bias (new source), workers": bias(),
        "bias (new source), remittances_usd": bias(),
        "noise (one estimator type) and floor": noise + floor,
        "rounding of a round figure (capped)": rounding,
        "'as high as X': X over the belief's median": ratio,
    }
    for name, measure in config.measures.items():
        terms[f"measure {name!r}: figure over the reference"] = (
            np.log(measure.median) + measure.log_sd * z(n)
        )
    gross = bias()
    field = p.field_shift_log_sd * z(n)  # drawn last: the draws of 0.5's terms stay the same
    terms["the field's shift (every source of a quantity)"] = field
    outlier = 0.0
    if p.claim_outlier_weight > 0:  # after the others: the default's draws stay the same
        # the outlier's own extra spread: forward's draw of a claim of sd 0
        outlier = forward.claim_draw(np.zeros(n), np.zeros(n), rng,
                                     outlier_weight=p.claim_outlier_weight,
                                     outlier_sd=p.claim_outlier_sd)
        terms["an outlying claim (the option; its share of claims)"] = outlier
    terms["all together: a round point claim by a new source, workers"] = (
        terms["bias (new source), workers"] + noise + floor + rounding + field + outlier
    )
    terms["all together: gross earnings by a new source, remittances_usd"] = (
        gross + noise + floor + rounding + field + outlier
        + (terms["measure 'gross_earnings': figure over the reference"]
           if "gross_earnings" in config.measures else 0.0)
    )
    rows = []
    for term, log_factor in terms.items():
        q05, q50, q95 = np.exp(np.quantile(log_factor, [0.05, 0.5, 0.95]))
        rows.append({"term": term, "q05": q05, "q50": q50, "q95": q95})
    return pd.DataFrame(rows)
