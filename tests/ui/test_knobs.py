"""The knob <-> scenario mapping, the scenario catalogue and the new knobs on the Playground."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.scenario import apply_overrides, bundled_ids, load_scenario
from tests.ui.test_scenarios import unfold
from ui.broker_knobs import broker_fields, field_choices, field_text
from ui.catalogue import catalogue, fault_lines, option_label, profile_text
from ui.knobs import (
    BY_KEY,
    CELERY_ONLY,
    KNOBS,
    knob_value,
    open_groups,
    overrides_for,
    rate_scale,
    saturation,
)
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
    at = unfold(app(mode="async", duration="30"), "Task")
    assert failed(at) == [0]
    at.slider(key="pg_poison_rate").set_value(0.05).run()
    assert not at.exception and failed(at)[0] > 0
    assert at.query_params["task.poison_rate"] == "0.05"


def test_a_rate_limit_slows_the_workers_and_is_kept_in_the_link() -> None:
    at = unfold(app(mode="async", duration="30"), "Worker limits")
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


@pytest.mark.parametrize("sid", bundled_ids())
def test_the_arrival_rate_slider_is_fitted_to_the_scenarios_capacity(sid: str) -> None:
    """The track runs to about 150 % of the first saturation, in fine steps: the whole hockey
    stick is spread over the slider instead of squeezed into a few pixels."""
    scenario = load_scenario(sid)
    low, high, step, fmt = rate_scale(scenario)
    first = saturation(scenario)
    rate = scenario.arrivals.rate
    assert low <= rate <= high and low == step
    assert first is not None and 1.45 * first <= high <= 2.2 * first
    assert (high - low) / step >= 100 and step <= rate / 10  # fine steps
    assert round(rate / step, 6).is_integer()  # the scenario's rate is on the grid
    assert fmt == f"%.{max(0, -math.floor(math.log10(step) + 1e-9))}f"


def test_email_signup_rate_slider_and_its_rho_readout() -> None:
    low, high, step, _fmt = rate_scale(load_scenario("email_signup"))
    assert (low, high, step) == (0.2, 40.0, 0.2)  # saturation at ~24 req/s sits at 60 %
    at = app(mode="both")
    rho = next(c.value for c in at.caption if c.value.startswith("ρ at 20 req/s"))
    assert "sync 0.84 (web threads)" in rho and "async 0.77 (workers)" in rho
    at.slider(key="pg_rate").set_value(30.0).run()
    rho = next(c.value for c in at.caption if c.value.startswith("ρ at 30 req/s"))
    assert "sync 1.26" in rho  # overloaded: the readout says so before anyone looks at a chart


def test_a_slow_scenario_shows_its_real_rate_and_moves_in_small_steps() -> None:
    at = app(scenario="report_generation", mode="async")
    rate = at.slider(key="pg_rate")
    assert not at.exception and rate.value == pytest.approx(0.07)
    assert rate.proto.format == "%.3f" and rate.step == pytest.approx(0.001)
    assert rate.min == pytest.approx(0.001)
    rate.set_value(round(rate.value + rate.step, 3)).run()  # one step to the right
    assert not at.exception and not at.error
    assert at.slider(key="pg_rate").value == pytest.approx(0.071)
    assert float(at.query_params["arrivals.rate"]) == pytest.approx(0.071)


def test_celery_only_knobs_are_off_with_kafka_and_say_why() -> None:
    at = unfold(app(scenario="kafka_partitions_hot_key", mode="async", duration="30"),
                "Worker limits")
    assert not at.exception
    for key in CELERY_ONLY:
        widget = at.slider(key=f"pg_{key}") if BY_KEY[key].kind != "bool" \
            else at.toggle(key=f"pg_{key}")
        assert widget.disabled and "Kafka" in widget.help, key
    assert not at.slider(key="pg_workers").disabled
    assert any("Kafka consumers do not use" in c.value for c in at.caption)
    at.selectbox(key="pg_broker_kind").set_value("rabbitmq").run()
    assert not at.exception
    assert not at.slider(key="pg_prefetch").disabled and not at.toggle(key="pg_acks_late").disabled
    assert not any("Kafka consumers do not use" in c.value for c in at.caption)


def test_knobs_that_do_nothing_here_are_off_and_say_why() -> None:
    at = unfold(app(mode="both", duration="20"), "Retry", "Web tier")
    at.toggle(key="pg_acks_late").set_value(True).run()
    assert not at.toggle(key="pg_reject_on_lost").disabled
    at.toggle(key="pg_acks_late").set_value(False).run()
    reject = at.toggle(key="pg_reject_on_lost")
    assert reject.disabled and "Acknowledge late" in reject.help
    at.selectbox(key="pg_backoff").set_value("none").run()
    for key in ("pg_base", "pg_cap"):
        assert at.slider(key=key).disabled and "no back-off" in at.slider(key=key).help
    assert at.selectbox(key="pg_jitter").disabled
    at.radio(key="pg_mode").set_value("sync").run()
    assert at.slider(key="pg_workers").disabled and "sync-only" in at.slider(key="pg_workers").help
    assert not at.slider(key="pg_web_workers").disabled
