"""The knob <-> scenario mapping, the scenario catalogue and the new knobs on the Playground."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.scenario import apply_overrides, load_scenario
from ui.broker_knobs import broker_fields, field_choices, field_text
from ui.catalogue import catalogue, fault_lines, option_label, profile_text
from ui.knobs import BY_KEY, KNOBS, knob_value, open_groups, overrides_for
from ui.state import decode, encode

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def test_every_knob_has_units_or_words_and_reads_every_scenario() -> None:
    for knob in KNOBS:
        assert knob.help and len(knob.help) > 20, knob.key
    for sid, *_rest in catalogue():
        scenario = load_scenario(sid)
        assert overrides_for(scenario, {k.key: knob_value(scenario, k) for k in KNOBS}) == {}


@pytest.mark.parametrize(("key", "shown", "value"), [
    ("web_timeout", 5.0, 5.0), ("web_timeout", 0.0, None),
    ("rate_limit", 2.5, "2.5/s"), ("rate_limit", 0.0, None),
    ("soft_time_limit", 30.0, 30.0), ("ds_capacity", 4, 4), ("poison_rate", 0.05, 0.05),
])
def test_zero_means_none_and_rates_read_like_celery(key: str, shown: object,
                                                    value: object) -> None:
    base = load_scenario("email_signup", {"web.timeout": 8.0, "workers.rate_limit": "30/m"})
    knob = BY_KEY[key]
    changes = overrides_for(base, {key: shown})
    assert changes == {knob.path: value}
    changed = apply_overrides(base, changes)
    assert knob_value(changed, knob) == shown
    link = decode(encode("email_signup", 1, "both", changes))  # survives the URL
    assert link["overrides"] == changes
    assert knob_value(base, BY_KEY["rate_limit"]) == 0.5  # 30 per minute


def test_groups_open_where_the_scenario_is_about() -> None:
    assert open_groups(load_scenario("email_signup")) == {"Traffic", "Workers"}
    storm = open_groups(load_scenario("retry_storm"))
    assert {"Downstream service", "Users who give up", "Retry"} <= storm


def test_broker_settings_have_plain_labels_and_choices() -> None:
    fields = broker_fields("rabbitmq")
    assert field_choices(fields["overflow"]) == ["drop-head", "reject-publish",
                                                 "reject-publish-dlx"]
    for kind in ("rabbitmq", "redis", "kafka"):
        for name, field in broker_fields(kind).items():
            label, tip = field_text(kind, name, field)
            assert label and f"`{name}`" in tip and len(tip) > 40, (kind, name)


def test_catalogue_words_for_profiles_and_faults() -> None:
    assert option_label("broker_outage") == "Faults · The broker goes down for 15 seconds"
    spike = profile_text(load_scenario("traffic_spike"))
    assert spike is not None and "30/s from 60 s" in spike
    assert profile_text(load_scenario("email_signup")) is None
    crash = fault_lines(load_scenario("worker_crash_ack_modes"))
    assert crash == ["1 worker crashes at 60 s, back 20 s later — async only: the sync "
                     "design has no broker or workers"]


def app(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(params)
    return at.run()


def failed(at: AppTest) -> list[int]:
    return [int(m.value.replace(",", "")) for m in at.metric if m.label == "tasks failed or lost"]


def test_poison_tasks_fail_after_their_retries() -> None:
    at = app(mode="async", duration="30")
    assert failed(at) == [0]
    at.slider(key="pg_poison_rate").set_value(0.05).run()
    assert not at.exception and failed(at)[0] > 0
    assert at.query_params["task.poison_rate"] == "0.05"


def test_a_rate_limit_slows_the_workers_and_is_kept_in_the_link() -> None:
    at = app(mode="async", duration="30")
    before = next(m.value for m in at.metric if m.label == "p95 task latency")
    at.slider(key="pg_rate_limit").set_value(2.5).run()
    assert not at.exception and at.query_params["workers.rate_limit"] == "2.5/s"
    after = next(m.value for m in at.metric if m.label == "p95 task latency")
    assert after.endswith(" s") and after != before  # 5/s of capacity for 20 tasks/s: slow
    again = app(mode="async", duration="30", **{"workers.rate_limit": "2.5/s"})
    assert again.slider(key="pg_rate_limit").value == 2.5


def test_client_retries_without_a_timeout_name_the_field() -> None:
    at = app(scenario="retry_storm", mode="async", duration="30")
    at.slider(key="pg_web_timeout").set_value(0.0).run()
    assert not at.exception
    assert any("arrivals.client_retries" in e.value for e in at.error)
