"""``python -m sim sweep | plan`` and ``run --reps``: files written, tables, exit codes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from sim.cli import main

FAST = ["--set", "duration=10", "--backend", "serial"]


@pytest.mark.parametrize(("args", "field"), [
    (["sweep", "email_signup", "--vary", "arrivals.rate=5:60"], "--vary arrivals.rate"),
    (["sweep", "email_signup", "--vary", "arrivals.rate=5:60:0"], "COUNT"),
    (["sweep", "email_signup", "--vary", "noequals"], "--vary noequals"),
    (["sweep", "email_signup", "--vary", "workers.cuont=1,2"], "workers.cuont"),
    (["sweep", "email_signup", "--vary", "workers.count=0,1"], "workers.count"),
    (["sweep", "email_signup"], "--vary"),
    (["sweep", "email_signup", "--vary", "workers.count=1", "--reps", "0"], "--reps"),
    (["sweep", "email_signup", "--vary", "workers.count=1", "--backend", "mpi"], "--backend"),
    (["sweep", "email_signup", "--vary", "workers.count=1", "--backend", "serial",
      "--scheduler", "tcp://127.0.0.1:9"], "--scheduler"),
    (["sweep", "email_signup", "--vary", "workers.count=1", "--charts", "png"], "--charts"),
    (["plan", "email_signup", "--slo", "fast"], "--slo fast"),
    (["plan", "email_signup", "--slo", "response_time_s.p95=2", "--range", "8:1"], "--range"),
    (["plan", "email_signup", "--slo", "response_time_s.p95=2", "--knob", "broker.kind"],
     "--knob"),
    (["plan", "email_signup", "--slo", "response_time_s.p95=2", "--mode", "both"], "--mode"),
    (["run", "email_signup", "--reps", "two"], "--reps"),
])
def test_bad_input_exits_2_with_one_line(args: list[str], field: str, capsys) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and field in err and "Traceback" not in err


def test_unreachable_scheduler_exits_2(capsys) -> None:
    args = ["sweep", "email_signup", "--vary", "workers.count=1", "--reps", "1",
            "--set", "duration=5", "--scheduler", "tcp://127.0.0.1:9"]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "tcp://127.0.0.1:9" in err and "Dask" in err


def test_sweep_writes_points_summary_scenario_and_chart(tmp_path, capsys) -> None:
    out = tmp_path / "sweep"
    args = ["sweep", "email_signup", "--vary", "arrivals.rate=5:20:2", "--vary",
            "workers.count=1,2", "--mode", "both", "--reps", "2", "--out", str(out),
            "--charts", "html", *FAST]
    assert main(args) == 0
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 2 * 2 * 2 * 2
    assert {"arrivals.rate", "workers.count", "mode", "rep", "seed", "overloaded",
            "response_time_s.p95"} <= set(points.columns)
    summary = pd.read_csv(out / "summary.csv")
    assert {"mean", "ci_low", "ci_high", "half_width", "n", "metric"} <= set(summary.columns)
    assert yaml.safe_load((out / "scenario.yaml").read_text())["duration"] == 10
    assert (out / "sweep.html").stat().st_size > 10_000
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 + 2 * 2 * 2 and "±" in lines[1]


def test_plan_prints_the_points_and_the_answer(capsys) -> None:
    args = ["plan", "email_signup", "--slo", "queue_wait_s.p95=1", "--knob", "workers.count",
            "--range", "1:8", "--reps", "2", "--mode", "async", "--json", *FAST]
    assert main(args) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["answer"] in {p["value"] for p in payload["points"] if p["meets"]}
    assert all(not p["meets"] for p in payload["points"] if p["value"] < payload["answer"])


def test_run_reps_prints_means_with_intervals(capsys) -> None:
    assert main(["run", "email_signup", "--mode", "both", "--reps", "3", *FAST]) == 0
    out = capsys.readouterr().out
    assert "3 replications" in out and "response_time_s.p95" in out and "±" in out
    assert main(["run", "email_signup", "--reps", "2", "--json", *FAST]) == 0
    payload = json.loads(capsys.readouterr().out)
    p95 = payload["async"]["response_time_s.p95"]
    assert p95["n"] == 2 and p95["ci_low"] <= p95["mean"] <= p95["ci_high"]
