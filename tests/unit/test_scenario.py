"""Scenario schema: defaults, bundled files, overrides, and one-line errors naming the field."""

from __future__ import annotations

import pytest

from sim.scenario import (
    Scenario,
    ScenarioError,
    apply_overrides,
    bundled_ids,
    from_dict,
    load_scenario,
    parse_assignment,
)


def error_of(data) -> str:
    with pytest.raises(ScenarioError) as info:
        from_dict(data)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_defaults_are_valid_and_frozen():
    scenario = Scenario()
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError on frozen
        scenario.duration = 5  # type: ignore[misc]


@pytest.mark.parametrize("scenario_id", bundled_ids())
def test_every_bundled_scenario_loads_and_has_a_description(scenario_id):
    scenario = load_scenario(scenario_id)
    assert scenario.id == scenario_id
    assert scenario.description.strip()


@pytest.mark.parametrize(("data", "expected"), [
    ({"workers": {"count": 0}}, "workers.count: must be ≥ 1, got 0"),
    ({"arrivals": {"rate": -3}}, "arrivals.rate: must be > 0"),
    ({"task": {"failure_rate": 1.5}}, "task.failure_rate: must be ≤ 1"),
    ({"workers": {"cuont": 2}}, "workers.cuont: unknown key; allowed keys in workers: acks_late"),
    ({"task": {"service": {"dist": "gamma", "mean": 1}}}, "task.service: must be one of"),
    ({"task": {"service": {"dist": "lognormal", "mean": 1, "sd": 2}}},
     "task.service.sd: unknown key; allowed keys in task.service: cv, dist, mean"),
    ({"task": {"service": {"dist": "exponential"}}}, "task.service.mean: is required"),
    ({"retry": {"jitter": "half"}}, "retry.jitter: must be one of 'none', 'full'"),
    ({"broker": {"kind": "sqs"}}, "broker: must be one of"),
    ({"arrivals": {"rate": "fast"}}, "arrivals.rate: must be a number, got 'fast'"),
    ({"web": {"service": {"dist": "uniform", "low": 2, "high": 1}}},
     "web.service.high: must be ≥ low (2), got 1"),
    ({"duration": 10, "warmup": 20}, "warmup: must be < duration (10), got 20"),
    ({"workers": 3}, "workers: must be a mapping of keys"),
    ({"faults": [{"kind": "worker_crash", "at": 1, "scope": "pod"}]},
     "faults.0.scope: must be one of 'child' or 'worker', got 'pod'"),
    ({"broker": {"kind": "kafka"}, "faults": [{"kind": "worker_crash", "at": 1,
                                               "scope": "child"}]},
     "faults.0.scope: child needs a Celery broker (rabbitmq or redis), got kafka"),
    ({"faults": [{"kind": "worker_crash", "at": 1, "scope": "child", "restart_after": 5}]},
     "faults.0.restart_after: not with scope: child"),
    ({"broker": {"kind": "redis", "restore_interval": 0}},
     "broker.restore_interval: must be > 0, got 0"),
    ({"broker": {"kind": "kafka", "session_timeout": -1}},
     "broker.session_timeout: must be ≥ 0, got -1"),
    ({"broker": {"kind": "rabbitmq", "publish_retry_window": -1}},
     "broker.publish_retry_window: must be ≥ 0, got -1"),
    ({"retry": {"jitter": "equal", "jitter_whole_seconds": True}},
     "retry.jitter_whole_seconds: needs jitter: full, got jitter: equal"),
    ({"task": {"retry_on_soft_time_limit": "maybe"}},
     "task.retry_on_soft_time_limit: must be a"),
])
def test_errors_name_the_field_and_what_is_allowed(data, expected):
    assert error_of(data).startswith(expected)


def test_overrides_make_a_validated_copy():
    base = load_scenario("email_signup")
    changed = apply_overrides(base, {"workers.count": 4, "task.service.mean": 0.5})
    assert changed.workers.count == 4
    assert changed.task.service.mean == 0.5
    assert base.workers.count == 2  # untouched
    with pytest.raises(ScenarioError, match=r"workers\.count: must be ≥ 1"):
        apply_overrides(base, {"workers.count": 0})


def test_override_switching_distribution_kind_needs_its_parameters():
    base = load_scenario("email_signup")
    with pytest.raises(ScenarioError, match=r"task\.service"):
        apply_overrides(base, {"task.service.dist": "constant"})
    ok = load_scenario("email_signup", {"task.service": {"dist": "constant", "value": 0.4}})
    assert ok.task.service.value == 0.4


@pytest.mark.parametrize(("text", "expected"), [
    ("workers.count=4", ("workers.count", 4)),
    ("task.service.mean=0.5", ("task.service.mean", 0.5)),
    ("workers.acks_late=true", ("workers.acks_late", True)),
    ("retry.jitter=full", ("retry.jitter", "full")),
])
def test_set_values_are_read_as_yaml_scalars(text, expected):
    assert parse_assignment(text) == expected


def test_bad_assignment_is_a_clear_error():
    with pytest.raises(ScenarioError, match="KEY=VALUE"):
        parse_assignment("workers.count")


def test_malformed_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("workers: [1, 2\n")
    with pytest.raises(ScenarioError, match="malformed YAML at line"):
        load_scenario(bad)
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario(tmp_path / "missing.yaml")
    unsafe = tmp_path / "unsafe.yaml"
    unsafe.write_text("duration: !!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(ScenarioError, match=r"YAML tags .* are not allowed"):
        load_scenario(unsafe)
