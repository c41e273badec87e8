"""benchmarks/_seeds.py: the studies keep tuning and reporting seeds apart, and their files."""

import argparse

import pytest
from _benchmarks import load_benchmark

seeds = load_benchmark("_seeds")


def _parse(*argv: str) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ledgers", type=int, default=20)
    seeds.add_seed_arguments(parser)
    return parser, parser.parse_args(list(argv))


@pytest.mark.parametrize(("argv", "suffix", "text"), [
    ((), "", "reporting seeds 1000-1019"),
    (("--first-seed", "1"), "_tuning", "tuning seeds 1-20"),
    (("--bias-tail-nu", "5"), "_t5", "reporting seeds 1000-1019"),
    (("--first-seed", "3", "--bias-tail-nu", "5"), "_tuning_t5", "tuning seeds 3-22"),
])
def test_a_tuning_run_or_another_model_never_writes_the_reported_file(argv, suffix, text):
    parser, args = _parse(*argv)
    seeds.check_seeds(parser, args)
    assert seeds.result_suffix(args) == suffix
    assert seeds.seeds_text(args) == text
    assert (seeds.priors_of(args) is None) == ("--bias-tail-nu" not in argv)


@pytest.mark.parametrize("argv", [("--first-seed", "0"), ("--first-seed", "990")])
def test_seed_ranges_below_one_or_across_the_line_are_refused(argv):
    parser, args = _parse(*argv)
    with pytest.raises(SystemExit):
        seeds.check_seeds(parser, args)
