"""The command line: output formats, exit codes, files written."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True, text=True,
                          timeout=120)


def test_json_both_prints_one_object_with_both_modes():
    out = run_cli("run", "email_signup", "--mode", "both", "--json", "--set", "duration=20")
    assert out.returncode == 0, out.stderr
    payload = json.loads(out.stdout)
    assert set(payload) == {"sync", "async"}
    for summary in payload.values():
        assert {"requests", "response_time_s", "throughput_rps", "tasks", "task_latency_s",
                "queue_wait_s", "utilization", "warnings"} <= set(summary)


@pytest.mark.parametrize(("args", "field"), [
    (["run", "email_signup", "--set", "workers.count=0"], "workers.count"),
    (["run", "email_signup", "--set", "workers.cuont=2"], "workers.cuont"),
    (["run", "email_signup", "--set", "arrivals.rate=-1"], "arrivals.rate"),
    (["run", "email_signup", "--set", "arrivals.rate=abc"], "arrivals.rate"),
    (["run", "email_signup", "--set", "noequals"], "KEY=VALUE"),
    (["run", "no_such_scenario"], "no_such_scenario"),
    (["run", "missing.yaml"], "missing.yaml"),
    (["run", "email_signup", "--mode", "both-ways"], "--mode"),
    (["run", "email_signup", "--seed", "-5"], "--seed"),
    (["run", "email_signup", "--charts", "png"], "--charts"),
    (["run", "email_signup", "--set", "duration=5", "--out", "/dev/null/x"], "/dev/null/x"),
])
def test_bad_input_exits_2_with_one_line(args, field, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and field in err and "Traceback" not in err


def test_malformed_yaml_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("arrivals: {rate: 5\n")
    assert main(["validate", str(path)]) == 2
    assert "malformed YAML" in capsys.readouterr().err


def test_validate_and_list(tmp_path, capsys):
    path = tmp_path / "ok.yaml"
    path.write_text("id: mine\nduration: 10\narrivals: {rate: 2}\n")
    assert main(["validate", str(path)]) == 0
    assert main(["list"]) == 0
    assert "email_signup" in capsys.readouterr().out


def test_table_output_shows_both_modes(capsys):
    assert main(["run", "email_signup", "--mode", "both", "--set", "duration=10"]) == 0
    out = capsys.readouterr().out
    assert "sync" in out and "async" in out and "response_time_s.p95" in out
    assert "user_wait_s.p95" in out and "requests.answered_share" in out
    assert "theory.queue_wait_s" in out and "theory.note (sync): M/G/c" in out


def test_out_dir_has_records_and_the_effective_scenario(tmp_path):
    assert main(["run", "email_signup", "--seed", "9", "--set", "workers.count=3",
                 "--set", "duration=15", "--out", str(tmp_path), "--json"]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    requests = pd.read_csv(tmp_path / "requests.csv")
    assert len(requests) == summary["requests"]["arrived"]
    assert requests["user_wait"].max() == pytest.approx(summary["user_wait_s"]["max"])
    assert (~requests["gave_up"]).mean() == pytest.approx(summary["requests"]["answered_share"])
    assert set(summary["theory"]) == {"model", "queue_wait_s", "applies", "note"}
    for name in ("attempts.csv", "timeseries.csv", "tasks.csv"):
        assert (tmp_path / name).stat().st_size > 0
    effective = yaml.safe_load((tmp_path / "scenario.yaml").read_text())
    assert effective["seed"] == 9 and effective["workers"]["count"] == 3
    # the effective scenario reproduces the run
    assert main(["run", str(tmp_path / "scenario.yaml"), "--out", str(tmp_path / "again")]) == 0
    again = json.loads((tmp_path / "again" / "summary.json").read_text())
    assert again == summary


def test_a_closed_pipe_ends_quietly_with_status_0():
    """`python -m sim list | head -1`: the reader goes away; no "error: Broken pipe"."""
    proc = subprocess.Popen([sys.executable, "-m", "sim", "list"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parents[2])
    first = proc.stdout.readline()
    proc.stdout.close()  # like `head -1` after its line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0 and first and err == ""


def test_the_async_lab_console_script_is_python_m_sim():
    import sim.cli

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["build-system"]["build-backend"]
    module, _, name = project["project"]["scripts"]["async-lab"].partition(":")
    assert getattr(__import__(module, fromlist=[name]), name) is sim.cli.main
