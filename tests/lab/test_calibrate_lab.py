"""The calibration lab end to end, against a real redis-server and a real Celery worker.

``python -m sim calibrate --quick`` (about 100 s) must fit positive overheads and predict the
real worker's waits better with them than without. Both checks compare paired runs (the same
trace) and pool all six load × ack-mode cells, so a busy machine that slows the real worker
makes both models look worse but does not flip the comparison. Every process the command
started must be gone afterwards, also after Ctrl-C.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.calibrate.harness import install_hint, missing_tools

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def tools() -> None:
    missing = missing_tools()
    if missing and not os.environ.get("CI"):  # CI installs them (.ci/run): never skip there
        pytest.skip(install_hint(missing))


def processes_in(path: Path) -> list[int]:
    """Live processes working in ``path`` (the lab runs redis-server and the worker there)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if Path(os.readlink(proc / "cwd")).is_relative_to(path):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def calibrate(out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", "calibrate", "--broker", "redis",
                             "--quick", "--out", str(out), *extra], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def quick(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("calibration")
    proc = calibrate(out)
    try:
        stdout, stderr = proc.communicate(timeout=400)
    finally:
        proc.kill()
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr), out


def test_quick_calibration_fits_overheads_that_beat_the_plain_model(quick):
    done, out = quick
    assert done.returncode == 0, done.stderr[-3000:]
    assert "mean queue wait" in done.stdout and "Erlang" in done.stdout
    for name in ("overheads.yaml", "calibration.json", "table.txt", "measurements.csv",
                 "calibration.html"):
        assert (out / name).stat().st_size > 0, name
    record = json.loads((out / "calibration.json").read_text())
    fit, figures = record["fit"], record["fit"]["figures"]
    assert fit["dispatch_delay"]["mean"] > 0
    assert fit["task_overhead"]["mean"] > 0
    # with acks_late a slot spends task_overhead_acks_late plus the fetch of the next message
    # (a dispatch delay) beyond each task: positive as a whole, the split may be near 0
    assert figures["slot_overhead_late_s"] > 0
    assert fit["task_overhead_acks_late"].get("mean", fit["task_overhead_acks_late"].get(
        "value")) >= 0
    assert len(record["cells"]) == 6
    assert record["log_error"]["fitted"] < record["log_error"]["plain"], record["log_error"]
    assert processes_in(out) == []


def test_overheads_yaml_is_a_valid_scenario_fragment(quick):
    import yaml

    from sim.scenario import from_dict, load_scenario

    done, out = quick
    assert done.returncode == 0
    fragment = yaml.safe_load((out / "overheads.yaml").read_text())
    data = load_scenario("celery_redis_measured").to_dict()
    for section, keys in fragment.items():
        data[section].update(keys)
    scenario = from_dict(data)
    assert scenario.broker.dispatch_delay.mean == fragment["broker"]["dispatch_delay"]["mean"]


def test_ctrl_c_stops_redis_and_the_worker(tmp_path):
    proc = calibrate(tmp_path)
    deadline = time.monotonic() + 120
    while not processes_in(tmp_path / "lab") and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(2.0)  # redis-server and the worker (with its pool) are up
    assert processes_in(tmp_path / "lab")
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr[-2000:]
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert processes_in(tmp_path) == []
