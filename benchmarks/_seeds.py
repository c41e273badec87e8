"""The studies' seeds: tuning seeds 1-999 choose defaults, reporting seeds 1000 on measure them.

See docs/checks.md, "Seeds kept apart". Shared by ``truth_study.py`` and ``cv_synthetic.py``.
"""

from __future__ import annotations

import argparse

FIRST_REPORTING_SEED = 1000


def add_seed_arguments(parser: argparse.ArgumentParser) -> None:
    """``--first-seed``, ``--bias-tail-nu``, ``--claim-outlier-weight``: a tuning run's options."""
    parser.add_argument("--first-seed", type=int, default=FIRST_REPORTING_SEED,
                        help="first ledger seed (reporting seeds start at 1000; 1-999 tune)")
    parser.add_argument("--bias-tail-nu", type=float, default=None,
                        help="Student-t biases with this many degrees of freedom (the option)")
    parser.add_argument("--claim-outlier-weight", type=float, default=None,
                        help="each claim a mixture with an outlier's wider normal, this weight "
                             "(priors.claim_outlier_weight, the option)")


def check_seeds(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse a first seed below 1, and a range that runs from tuning into reporting seeds."""
    if args.first_seed < 1:
        parser.error(f"--first-seed {args.first_seed}: seeds start at 1")
    if args.first_seed < FIRST_REPORTING_SEED < args.first_seed + args.ledgers:
        parser.error(f"--first-seed {args.first_seed} with --ledgers {args.ledgers} mixes tuning "
                     f"seeds (1-999) with reporting seeds ({FIRST_REPORTING_SEED} on)")


def is_tuning(args: argparse.Namespace) -> bool:
    return args.first_seed < FIRST_REPORTING_SEED


def seeds_text(args: argparse.Namespace) -> str:
    """``"tuning seeds 1-20"`` or ``"reporting seeds 1000-1119"``."""
    kind = "tuning" if is_tuning(args) else "reporting"
    return f"{kind} seeds {args.first_seed}-{args.first_seed + args.ledgers - 1}"


def priors_of(args: argparse.Namespace) -> dict | None:
    """The prior overrides the options ask for (None: the default model)."""
    priors = {}
    if args.bias_tail_nu:
        priors["bias_tail_nu"] = args.bias_tail_nu
    if args.claim_outlier_weight:
        priors["claim_outlier_weight"] = args.claim_outlier_weight
    return priors or None


def options_text(args: argparse.Namespace) -> str:
    """The model options of a run, as command-line flags (empty for the default model)."""
    return ((f" --bias-tail-nu {args.bias_tail_nu:g}" if args.bias_tail_nu else "")
            + (f" --claim-outlier-weight {args.claim_outlier_weight:g}"
               if args.claim_outlier_weight else ""))


def result_suffix(args: argparse.Namespace) -> str:
    """A tuning run or a non-default model never overwrites the reported study."""
    return (("_tuning" if is_tuning(args) else "")
            + (f"_t{args.bias_tail_nu:g}" if args.bias_tail_nu else "")
            + (f"_out{args.claim_outlier_weight:g}" if args.claim_outlier_weight else ""))
