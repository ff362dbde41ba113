"""Hostile values through the schema and the safe loader (in process, fast): every numeric key
refuses NaN, infinities and absurd sizes; every section refuses unknown keys; every corpus file
gets one short line naming what was refused, never its content."""

from __future__ import annotations

import pytest

from sim.scenario import ScenarioError, from_dict, parse_yaml
from tests.hostile.corpus import corpus, numeric_paths, with_value

NUMERIC = numeric_paths()
BAD_NUMBERS = [float("nan"), float("inf"), float("-inf"), 1e308, -1e308]


def one_line(message: str, limit: int = 400) -> None:
    assert "\n" not in message and len(message) <= limit, message


def test_the_corpus_reaches_every_section() -> None:
    paths = {p for p, _ in NUMERIC}
    for expected in ("duration", "arrivals.profile.0.rate", "web.service.mean", "task.service.high",
                     "broker.partitions", "broker.visibility_timeout", "faults.0.duration",
                     "limits.max_drain", "limits.max_events", "retry.cap", "workers.time_limit"):
        assert expected in paths


@pytest.mark.parametrize(("path", "tags"), NUMERIC, ids=[p for p, _ in NUMERIC])
def test_every_numeric_key_refuses_nan_inf_and_absurd_sizes(path: str, tags: dict) -> None:
    for value in BAD_NUMBERS:
        with pytest.raises(ScenarioError) as info:
            from_dict(with_value(path, value, tags))
        one_line(str(info.value))
        name = path.split(".")[-1]
        assert name in str(info.value) or "seed" in str(info.value), (path, value, info.value)


@pytest.mark.parametrize(("path", "tags"), NUMERIC, ids=[p for p, _ in NUMERIC])
def test_unknown_keys_are_refused_at_every_level(path: str, tags: dict) -> None:
    parent = path.rsplit(".", 1)[0] + "." if "." in path else ""
    with pytest.raises(ScenarioError, match="zz_unknown: unknown key") as info:
        from_dict(with_value(f"{parent}zz_unknown", 1, tags))
    one_line(str(info.value))


@pytest.mark.parametrize(("name", "text"), corpus(), ids=[n for n, _ in corpus()])
def test_every_hostile_file_is_refused_in_one_short_line(name: str, text: str | bytes) -> None:
    with pytest.raises(ScenarioError) as info:
        from_dict(parse_yaml(text, "hostile.yaml"))
    message = str(info.value)
    one_line(message)
    assert "lol" not in message and "xxxxxxxxxx" not in message and "quick brown" not in message


def test_a_long_value_is_quoted_short() -> None:
    with pytest.raises(ScenarioError) as info:
        from_dict({"arrivals": {"rate": "z" * 3_000_000}})
    assert len(str(info.value)) < 200 and str(info.value).startswith("arrivals.rate:")


def test_parse_errors_give_line_and_column() -> None:
    with pytest.raises(ScenarioError, match=r"malformed YAML at line \d+, column \d+"):
        parse_yaml("duration: 10\nworkers: {count: 2\n")


def test_a_file_that_is_not_a_scenario_is_named_so_without_echo() -> None:
    for text in ("Some text: with a secret line\n", "root:x:0:0:root:/root:/bin/bash\n"):
        with pytest.raises(ScenarioError, match="not a scenario") as info:
            from_dict(parse_yaml(text))
        assert "secret" not in str(info.value) and "root" not in str(info.value)


def test_a_mistyped_key_is_still_named() -> None:
    with pytest.raises(ScenarioError, match="durration: unknown key"):
        from_dict({"durration": 10})


def test_long_profiles_and_fault_lists_are_refused() -> None:
    steps = [{"at": i, "rate": 1} for i in range(1001)]
    with pytest.raises(ScenarioError, match=r"arrivals\.profile"):
        from_dict({"arrivals": {"rate": 1, "profile": steps}})
    faults = [{"kind": "broker_outage", "at": i, "duration": 1} for i in range(101)]
    with pytest.raises(ScenarioError, match="faults"):
        from_dict({"faults": faults})


@pytest.mark.parametrize("key", ["max_in_system", "max_drain", "max_requests", "max_events"])
def test_every_limit_has_a_finite_maximum(key: str) -> None:
    from sim.schema import Limits

    field = Limits.model_fields[key]
    assert any(getattr(m, "le", None) is not None for m in field.metadata), key
