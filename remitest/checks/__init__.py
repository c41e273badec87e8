"""Statistical checks of a fit: do the claims fit the model, and can the fit be trusted.

Each check returns a :class:`CheckResult`: ``name``, a verdict ``passed`` (True, False, or None
for a check that only informs), ``table`` (pandas DataFrame), ``text`` (what a report prints) and
``figures`` (name -> matplotlib Figure, drawn on first access). The result classes of the checks
(``CrossValidationResult`` ...) are CheckResults that keep their own fields and ``.plot(*,
ax=None)``. ``cross_validate`` (leave out each estimator, claim or later year, predict
it, and count the coverage of the predictive intervals) is the headline check. Sweeps
(``cross_validate``, ``influence``, ``sensitivity``, ``sbc``) take
``executor=`` (any ``concurrent.futures.Executor``: a ``ProcessPoolExecutor`` or a
``dask.distributed`` client's ``get_executor()``) and submit one picklable task per fit; with
None they fit serially in this process through one compiled sampler. ``run_all`` writes them all
into one folder with a ``report.md``, one loop over the results. See ``docs/checks.md``.
"""

from remitest.checks.cross_validation import (
    CrossValidationResult,
    coverage_table,
    cross_validate,
    cv_folds,
    subgroup_coverage,
)
from remitest.checks.held_out import HeldOutResult, default_cutoff, held_out
from remitest.checks.influence import InfluenceResult, influence
from remitest.checks.loo import LooResult, loo, pointwise_log_likelihood
from remitest.checks.posterior_predictive import posterior_predictive
from remitest.checks.prior_spread import claim_spread_prior
from remitest.checks.report import run_all
from remitest.checks.result import CheckResult
from remitest.checks.sbc import SBCResult, sbc, sbc_config
from remitest.checks.sensitivity import (
    SensitivityResult,
    interpretation_grid,
    prior_grid,
    sensitivity,
)
from remitest.checks.truth import naive_reading, score_truth, truth_summary

__all__ = [
    "cross_validate", "cv_folds", "coverage_table", "CrossValidationResult", "claim_spread_prior",
    "pointwise_log_likelihood", "loo", "LooResult", "posterior_predictive",
    "held_out", "default_cutoff", "HeldOutResult",
    "influence", "InfluenceResult",
    "sensitivity", "interpretation_grid", "prior_grid", "SensitivityResult",
    "sbc", "sbc_config", "SBCResult",
    "score_truth", "naive_reading", "truth_summary", "subgroup_coverage", "CheckResult",
    "run_all",
]  # fmt: skip
