"""Draw docs/prior.png, and print the numbers that README.md and docs/design.md quote about it.

The shipped record at seed 1, as ``make run`` fits it: the prior depends only on its years, hosts,
pin year and configuration; the moved/fixed counts are ``fit.parameters()`` of that fit.

    PYTHONPATH=. MPLBACKEND=Agg python docs/make_prior_figure.py
"""

from pathlib import Path

import remitest as rt
from remitest.plots import plot_prior_series

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Fit the record at seed 1, save the figure, print the quoted numbers."""
    fit = rt.fit(rt.load_ledger("record"), random_seed=1, progressbar=False)
    fig = plot_prior_series(fit, random_seed=0)
    fig.savefig(HERE / "prior.png", dpi=150, metadata={"Software": None})
    pin = fit.structure.pin_year
    for quantity, scope in (("workers", "world"), ("workers", "china"), ("workers", "russia"),
                            ("workers", "rest_of_world"), ("remittances_usd", "world")):
        table = fit.series(quantity, scope, prior=True)
        first, last = table.index[0], table.index[-1]
        print(f"{quantity} {scope}: pin {pin} median {table.loc[pin, 'median']:,.0f} "
              f"90% {table.loc[pin, 'q05']:,.0f}-{table.loc[pin, 'q95']:,.0f}; "
              f"{first} median {table.loc[first, 'median']:,.0f} "
              f"90% {table.loc[first, 'q05']:,.0f}-{table.loc[first, 'q95']:,.0f}; "
              f"{last} median {table.loc[last, 'median']:,.0f} "
              f"90% {table.loc[last, 'q05']:,.0f}-{table.loc[last, 'q95']:,.0f}")
    table = fit.parameters()
    sampled = table[~table["fixed"]]
    moved = sampled.groupby("parameter", sort=False).agg(
        elements=("element", "size"), moved=("moved_from_prior", "sum"),
        sd_ratio_min=("sd_ratio", "min"), sd_ratio_median=("sd_ratio", "median"))
    print(moved.round(2).to_string())
    fixed = table[table["fixed"]]
    print(fixed[["parameter", "element", "value"]].to_string())
    hyper = sampled["parameter"].isin(["bias_rho", "bias_sd", "reading_z", "noise_sd"])
    print(sampled[hyper].round(2).to_string())


if __name__ == "__main__":
    main()
