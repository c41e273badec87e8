import dataclasses
import json

import pytest

from remitest.config import (
    ConfigError,
    Event,
    Gate,
    Interpretation,
    ModelConfig,
    Priors,
)
from remitest.ledger import DEFAULT_GROUPS, DEFAULT_HOSTS


# -- defaults -------------------------------------------------------------------------------
def test_defaults():
    cfg = ModelConfig()
    assert cfg.years is None
    assert cfg.pin_year is None
    assert cfg.hosts == DEFAULT_HOSTS == ("china", "russia", "rest_of_world")
    assert cfg.scope_groups == {"china_russia": ("china", "russia")}
    assert cfg.scope_groups == {k: tuple(v) for k, v in DEFAULT_GROUPS.items()}
    assert cfg.target_accept == 0.97
    assert cfg.priors == Priors()
    assert cfg.interpretation == Interpretation()
    assert cfg.gate == Gate()
    # the documented default readings of each claim kind
    assert cfg.interpretation.range_coverage == 0.8
    assert cfg.interpretation.upper_bound == "interval_end"
    assert cfg.interpretation.lower_bound == "censored"
    assert cfg.interpretation.bound_ratio > 1
    # the documented diagnostics gate
    assert (cfg.gate.r_hat_max, cfg.gate.ess_bulk_min, cfg.gate.ess_tail_min) == (1.01, 400, 400)
    assert (cfg.gate.max_divergences, cfg.gate.ebfmi_min) == (0, 0.3)
    # every default host has a share concentration, and China + Russia hold the majority
    conc = cfg.priors.host_share_concentration
    assert set(conc) == set(cfg.hosts)
    assert (conc["china"] + conc["russia"]) / sum(conc.values()) > 0.5
    # the known events of the design notes: UNSCR 2397, the deadline / border closure, 2024
    years = {e.year for e in cfg.events}
    assert {2018, 2020, 2024} <= years
    assert all(isinstance(e, Event) and e.step_scale > 0 for e in cfg.events)


def test_defaults_do_not_share_mutable_state():
    a, b = ModelConfig(), ModelConfig()
    assert a.scope_groups is not b.scope_groups
    assert a.priors.host_share_concentration is not b.priors.host_share_concentration


# -- serialisation --------------------------------------------------------------------------
def test_json_round_trip_defaults():
    cfg = ModelConfig()
    text = cfg.to_json()
    assert json.loads(text) == json.loads(json.dumps(cfg.to_dict()))
    assert list(json.loads(text)) == sorted(json.loads(text))  # canonical: sorted keys
    again = ModelConfig.from_json(text)
    assert again == cfg
    assert again.to_json() == text


def test_json_round_trip_changed_nested_values_and_events():
    cfg = ModelConfig().replace(
        years=(2010, 2025),
        pin_year=2017,
        hosts=("china", "russia", "rest_of_world", "vietnam"),
        scope_groups={"china_russia": ["china", "russia"], "asia": ["china", "vietnam"]},
        events=(Event("something", 2019, 2.0), Event("another", 2022)),
        target_accept=0.9,
        priors={
            "rounding_sd": 0.07,
            "host_share_concentration": {
                "china": 4.0,
                "russia": 3.0,
                "rest_of_world": 1.0,
                "vietnam": 0.5,
            },
        },
        interpretation={
            "upper_bound": "censored",
            "lower_bound": "interval_end",
            "bound_ratio": 2.0,
        },
        gate={"max_divergences": 3},
    )
    text = cfg.to_json()
    again = ModelConfig.from_json(text)
    assert again == cfg
    assert again.to_json() == text
    assert again.events == (Event("something", 2019, 2.0), Event("another", 2022, 3.0))
    assert again.years == (2010, 2025)
    assert again.scope_groups["asia"] == ("china", "vietnam")
    assert again.priors.host_share_concentration["vietnam"] == 0.5
    assert again.interpretation.bound_ratio == 2.0
    assert again.gate.max_divergences == 3
    # dict round trip too
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg


def test_lists_and_tuples_compare_equal():
    a = ModelConfig(hosts=["china", "russia", "rest_of_world"], years=[2010, 2020])
    b = ModelConfig(hosts=("china", "russia", "rest_of_world"), years=(2010, 2020))
    assert a == b
    assert a.to_json() == b.to_json()


def test_empty_events_round_trip():
    cfg = ModelConfig(events=())
    assert ModelConfig.from_json(cfg.to_json()) == cfg
    assert ModelConfig.from_json(cfg.to_json()).events == ()


# -- overrides ------------------------------------------------------------------------------
def test_replace_merges_nested_sections_key_by_key():
    base = ModelConfig()
    cfg = base.replace(priors={"rounding_sd": 0.1})
    assert cfg.priors.rounding_sd == 0.1
    # every other prior kept its default
    for f in dataclasses.fields(Priors):
        if f.name != "rounding_sd":
            assert getattr(cfg.priors, f.name) == getattr(base.priors, f.name)
    assert cfg.interpretation == base.interpretation
    assert cfg.gate == base.gate
    assert base.priors.rounding_sd == Priors().rounding_sd  # the original is untouched
    # chained replaces accumulate
    cfg2 = cfg.replace(interpretation={"upper_bound": "censored"})
    assert cfg2.priors.rounding_sd == 0.1
    assert cfg2.interpretation.upper_bound == "censored"
    assert cfg2.interpretation.lower_bound == "censored"


def test_replace_accepts_section_objects():
    cfg = ModelConfig().replace(gate=Gate(max_divergences=5))
    assert cfg.gate == Gate(max_divergences=5)


def test_from_dict_and_from_json_merge_over_defaults():
    cfg = ModelConfig.from_dict(
        {"interpretation": {"lower_bound": "interval_end"}, "target_accept": 0.9}
    )
    assert cfg.interpretation.lower_bound == "interval_end"
    assert cfg.interpretation.upper_bound == Interpretation().upper_bound
    assert cfg.interpretation.range_coverage == Interpretation().range_coverage
    assert cfg.target_accept == 0.9
    assert cfg.priors == Priors()
    assert cfg.hosts == DEFAULT_HOSTS
    assert ModelConfig.from_json('{"gate": {"ess_bulk_min": 100}}').gate == Gate(ess_bulk_min=100)
    assert ModelConfig.from_dict({}) == ModelConfig()


# -- errors ---------------------------------------------------------------------------------
def test_config_error_is_value_error():
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize(
    "data, names",
    [
        ({"bogus": 1}, ["bogus", "hosts", "priors", "target_accept"]),
        ({"priors": {"rounding": 0.1}}, ["priors.rounding", "priors.rounding_sd"]),
        (
            {"interpretation": {"upper": "censored"}},
            ["interpretation.upper", "interpretation.upper_bound"],
        ),
        ({"gate": {"rhat": 1.0}}, ["gate.rhat", "gate.r_hat_max"]),
    ],
)
def test_unknown_keys_list_valid_keys(data, names):
    with pytest.raises(ConfigError) as err:
        ModelConfig.from_dict(data)
    message = str(err.value)
    assert "valid keys" in message
    for name in names:
        assert name in message


def test_unknown_key_in_replace():
    with pytest.raises(ConfigError, match="bogus"):
        ModelConfig().replace(priors={"bogus": 1.0})


def test_from_json_rejects_non_objects():
    with pytest.raises(ConfigError, match="JSON"):
        ModelConfig.from_json("{not json")
    with pytest.raises(ConfigError, match="object"):
        ModelConfig.from_json("[1, 2]")


@pytest.mark.parametrize(
    "changes, field, value",
    [
        ({"interpretation": {"range_coverage": 1.0}}, "interpretation.range_coverage", "1.0"),
        ({"interpretation": {"range_coverage": 0.0}}, "interpretation.range_coverage", "0.0"),
        ({"interpretation": {"bound_coverage": 1.5}}, "interpretation.bound_coverage", "1.5"),
        ({"interpretation": {"bound_coverage": -0.2}}, "interpretation.bound_coverage", "-0.2"),
        ({"interpretation": {"bound_ratio": 1.0}}, "interpretation.bound_ratio", "1.0"),
        ({"interpretation": {"bound_ratio": 0.5}}, "interpretation.bound_ratio", "0.5"),
        ({"interpretation": {"upper_bound": "ceiling"}}, "interpretation.upper_bound", "'ceiling'"),
        ({"interpretation": {"lower_bound": "floor"}}, "interpretation.lower_bound", "'floor'"),
        (
            {"hosts": ["china", "russia", "rest_of_world", "vietnam"]},
            "priors.host_share_concentration",
            "vietnam",
        ),
        ({"scope_groups": {"asia": ["china", "mongolia"]}}, "scope_groups['asia']", "mongolia"),
        ({"years": [2020, 2010]}, "years", "(2020, 2010)"),
        ({"years": [2020, 2020]}, "years", "(2020, 2020)"),
        ({"target_accept": 1.0}, "target_accept", "1.0"),
        ({"target_accept": 0.3}, "target_accept", "0.3"),
        ({"priors": {"rounding_sd": -0.1}}, "priors.rounding_sd", "-0.1"),
        ({"priors": {"workers_step_sd": 0.0}}, "priors.workers_step_sd", "0.0"),
        (
            {
                "priors": {
                    "host_share_concentration": {"china": 1.0, "russia": 0.0, "rest_of_world": 1.0}
                }
            },
            "priors.host_share_concentration",
            "0.0",
        ),
        (
            {"events": [{"name": "bad event", "year": 2019, "step_scale": 0.0}]},
            "step_scale",
            "bad event",
        ),
    ],
)
def test_bad_values_name_field_and_value(changes, field, value):
    with pytest.raises(ConfigError) as err:
        ModelConfig().replace(**changes)
    message = str(err.value)
    assert field in message
    assert value in message


def test_bad_values_also_rejected_by_constructor():
    with pytest.raises(ConfigError, match="interpretation.bound_ratio"):
        ModelConfig(interpretation=Interpretation(bound_ratio=1.0))
    with pytest.raises(ConfigError, match="scope_groups"):
        ModelConfig(scope_groups={"china_russia": ("china", "russia", "mars")})


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as err:
        ModelConfig().replace(
            target_accept=2.0, interpretation={"bound_ratio": 0.9}, years=[2020, 2000]
        )
    message = str(err.value)
    assert "target_accept" in message
    assert "bound_ratio" in message
    assert "years" in message


def test_hosts_extended_with_concentration_is_valid():
    cfg = ModelConfig().replace(
        hosts=[*DEFAULT_HOSTS, "vietnam"],
        priors={
            "host_share_concentration": {
                "china": 5.0,
                "russia": 3.5,
                "rest_of_world": 1.5,
                "vietnam": 1.0,
            }
        },
    )
    assert cfg.hosts[-1] == "vietnam"


def test_scope_group_dropped_with_its_host():
    # dropping a host that a group names is an error unless the group goes too
    with pytest.raises(ConfigError, match="china_russia"):
        ModelConfig(hosts=("china", "rest_of_world"))
    cfg = ModelConfig(hosts=("china", "rest_of_world"), scope_groups={})
    assert cfg.hosts == ("china", "rest_of_world")


# -- immutability, equality -----------------------------------------------------------------
def test_frozen():
    cfg = ModelConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.target_accept = 0.8
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.priors.rounding_sd = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.interpretation.upper_bound = "censored"


def test_equality_and_canonical_json():
    assert ModelConfig() == ModelConfig()
    changed = ModelConfig().replace(priors={"rounding_sd": 0.06})
    assert changed != ModelConfig()
    assert changed.to_json() != ModelConfig().to_json()
    assert changed == ModelConfig().replace(priors={"rounding_sd": 0.06})
    # the canonical JSON is a usable hashable key (this is what ModelStructure holds)
    assert len({ModelConfig().to_json(), ModelConfig().to_json(), changed.to_json()}) == 2


def test_hashable():
    assert hash(ModelConfig()) == hash(ModelConfig())
    assert len({ModelConfig(), ModelConfig()}) == 1


def test_unknown_key_in_event_is_config_error():
    with pytest.raises(ConfigError, match="valid keys"):
        ModelConfig.from_dict({"events": [{"name": "x", "year": 2019, "scale": 2.0}]})


def test_non_numeric_prior_is_config_error():
    with pytest.raises(ConfigError, match="priors.rounding_sd"):
        ModelConfig().replace(priors={"rounding_sd": "abc"})


def test_years_need_two_values():
    with pytest.raises(ConfigError, match="years"):
        ModelConfig.from_dict({"years": [2010]})


def test_non_numeric_interpretation_names_the_field():
    with pytest.raises(ConfigError, match="interpretation.bound_ratio"):
        ModelConfig().replace(interpretation={"bound_ratio": "abc"})


def test_event_expected_change_round_trips_and_is_checked():
    cfg = ModelConfig().replace(events=[{"name": "down", "year": 2020, "expected_change": 0.7,
                                         "hosts": ["russia"]}])
    assert cfg.events[0].expected_change == 0.7
    again = ModelConfig.from_json(cfg.to_json())
    assert again == cfg and again.events[0].expected_change == 0.7
    assert Event("e", 2020).expected_change == 1.0  # no direction by default
    assert all(e.expected_change == 1.0 for e in ModelConfig().events)
    for bad in (0.0, -1.0):
        with pytest.raises(ConfigError, match="expected_change"):
            ModelConfig().replace(events=[{"name": "x", "year": 2020, "expected_change": bad}])
    with pytest.raises(ConfigError, match="expected_change"):
        ModelConfig().replace(events=[{"name": "x", "year": 2020, "expected_change": "down"}])
