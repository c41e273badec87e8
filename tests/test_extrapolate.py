"""Years beyond the fit: walks extended with their posterior step sizes."""

import numpy as np
import pytest

from remitest.extrapolate import event_scales, extend
from remitest.testing import fake_fit


@pytest.fixture(scope="module")
def fit():
    return fake_fit(chains=2, draws=2_000, random_seed=5)


def test_extended_fit_keeps_the_fitted_draws_and_labels_the_new_years(fit):
    first, last = int(fit.years[0]), int(fit.years[-1])
    wider = extend(fit, range(first - 3, last + 4), random_seed=1)
    assert wider.extrapolated_years == (*range(first - 3, first), *range(last + 1, last + 4))
    post, old = wider.idata.posterior, fit.idata.posterior
    np.testing.assert_allclose(
        post["workers"].sel(year=list(fit.years)), old["workers"], rtol=1e-12
    )
    np.testing.assert_allclose(post["workers_host"].sum("host"), post["workers"], rtol=1e-12)
    np.testing.assert_allclose(
        post["remittances_usd"], post["workers"] * post["per_worker_usd"], rtol=1e-12
    )
    assert extend(fit, fit.years) is fit


def test_intervals_widen_with_the_distance_from_the_fit(fit):
    last = int(fit.years[-1])
    wider = extend(fit, range(last, last + 8), random_seed=1)
    log_w = np.log(wider.idata.posterior["workers"].sel(year=list(range(last, last + 8))))
    spread = log_w.std(("chain", "draw")).to_numpy()
    assert np.all(np.diff(spread) > 0)


def test_extension_is_seeded(fit):
    a = extend(fit, [2030], random_seed=3).idata.posterior["workers"]
    b = extend(fit, [2030], random_seed=3).idata.posterior["workers"]
    c = extend(fit, [2030], random_seed=4).idata.posterior["workers"]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a.sel(year=2030), c.sel(year=2030))


def test_series_with_years_labels_extrapolated_rows(fit):
    last = int(fit.years[-1])
    table = fit.series("workers", years=range(last - 1, last + 3))
    assert list(table.index) == list(range(last - 1, last + 3))
    assert list(table["extrapolated"]) == [False, False, True, True]
    assert not fit.series("workers")["extrapolated"].any()


def test_event_scales_name_their_hosts(fit):
    world, host = event_scales(fit.config, fit.hosts, np.arange(2017, 2026))
    years = list(range(2017, 2026))
    china = fit.hosts.index("china")
    assert world[years.index(2024)] == 1.0 and host[china, years.index(2024)] == 2.0
    # the deadline scales the world's step 3x and every host's share step 4x
    assert world[years.index(2020)] == 3.0 and (host[:, years.index(2020)] == 4.0).all()
    assert world[years.index(2018)] == 3.0 and (host[:, years.index(2018)] == 2.0).all()


def test_event_host_step_scale_defaults_to_step_scale_and_is_checked():
    from remitest.config import ConfigError, Event, ModelConfig

    assert Event("e", 2020, step_scale=2.0).host_scale == 2.0
    assert Event("e", 2020, step_scale=2.0, host_step_scale=4.0).host_scale == 4.0
    config = ModelConfig().replace(events=[{"name": "named", "year": 2022, "step_scale": 2.0,
                                            "host_step_scale": 6.0, "hosts": ["russia"]}])
    _, host = event_scales(config, ("china", "russia"), np.arange(2021, 2024))
    assert host[1, 1] == 6.0 and host[0, 1] == 1.0
    assert ModelConfig.from_json(config.to_json()) == config
    with pytest.raises(ConfigError, match="host_step_scale = -1"):
        ModelConfig().replace(events=[{"name": "bad", "year": 2020, "host_step_scale": -1}])


def test_predict_claims_two_years_outside_the_fit_are_finite_and_wider(fit):
    import pandas as pd

    from remitest import predictive
    from remitest.ledger import Ledger

    frame = fit.ledger.originals().to_frame()
    base = frame[frame["id"] == "usstate2017-workers"].iloc[0].to_dict()
    first, last = int(fit.years[0]), int(fit.years[-1])
    rows = []
    for year in (first - 2, first, last, last + 2):
        rows.append({**base, "id": f"at-{year}", "ref_start": year, "ref_end": year,
                     "published": pd.Timestamp(f"{max(year, 2000)}-01-01")})
    table = predictive.predict_claims(fit, Ledger.from_frame(pd.DataFrame(rows)),
                                      random_seed=3).set_index("id")
    assert list(table["extrapolated"]) == [True, False, False, True]
    width = np.log(table["pred_q95"] / table["pred_q05"])
    assert np.isfinite(width).all()
    assert width[f"at-{first - 2}"] > width[f"at-{first}"]
    assert width[f"at-{last + 2}"] > width[f"at-{last}"]
