"""The app's shared job cache: bounded, oldest out first, results kept compressed and given
back equal to what went in (the charts' curves included)."""

from __future__ import annotations

import pickle

from sim import load_scenario
from sim.experiment.backends import Job, execute
from sim.experiment.curves import CHART_CURVES
from ui import experiment_guard


def test_cache_gives_back_what_went_in_compressed_and_bounded(monkeypatch) -> None:
    scenario = load_scenario("email_signup", {"duration": 5})
    jobs = [Job(scenario.model_dump_json(), "async", s, CHART_CURVES) for s in (1, 2, 3)]
    monkeypatch.setattr(experiment_guard, "CACHE_RUNS", 2)
    cache = experiment_guard.JobCache()
    first = execute(jobs[:1], "serial", cache=cache)
    stored = dict.__getitem__(cache, jobs[0])
    assert isinstance(stored, bytes) and len(stored) < len(pickle.dumps(first[0])) / 2
    seen: list[tuple[int, int]] = []
    assert execute(jobs[:1], "serial", cache=cache,
                   progress=lambda d, t: seen.append((d, t))) == first
    assert seen == [(1, 1)]  # a hit: counted as done at once, nothing run
    execute(jobs, "serial", cache=cache)
    assert list(cache) == jobs[1:]  # the oldest went first
    assert cache.get(jobs[0]) is None and cache.get(jobs[2])["summary"]["requests"]["arrived"]
