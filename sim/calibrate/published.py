"""The calibration that ships with the project: the overheads in the bundled
``celery_redis_measured`` scenario and the record of the lab run that measured them
(``docs/calibration/celery_redis.json``, written by ``python -m sim calibrate``), as plain
data and sentences for the About page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sim.dists import cv_of, mean_of
from sim.scenario import load_scenario

SCENARIO_ID = "celery_redis_measured"
RECORD = Path(__file__).resolve().parents[2] / "docs" / "calibration" / "celery_redis.json"


def _ms(spec: Any) -> str:
    if spec is None:
        return "same as task_overhead"
    cv = cv_of(spec)
    return f"{mean_of(spec) * 1000:.1f} ms mean" + (f" (cv {cv:.2f})" if cv else "")


def measured_overheads() -> dict[str, str]:
    """The bundled scenario's overhead keys, in words: key -> "5.2 ms mean (cv 1.4)"."""
    scenario = load_scenario(SCENARIO_ID)
    return {"broker.dispatch_delay": _ms(scenario.broker.dispatch_delay),
            "workers.task_overhead": _ms(scenario.workers.task_overhead),
            "workers.task_overhead_acks_late": _ms(scenario.workers.task_overhead_acks_late)}


def published_record() -> dict[str, Any]:
    """The calibration record behind the bundled values."""
    return json.loads(RECORD.read_text(encoding="utf-8"))


def comparison_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per load and ack mode: real vs simulated mean queue wait (ms)."""
    return [{"acks_late": "on" if c["acks_late"] else "off", "ρ": c["rho"],
             "tasks": c["tasks"],
             "real wait (ms)": round(c["mean_wait_s"]["real"] * 1000, 1),
             "simulated, no overheads (ms)": round(c["mean_wait_s"]["plain"] * 1000, 1),
             "simulated, measured overheads (ms)": round(c["mean_wait_s"]["fitted"] * 1000, 1),
             "error with overheads": f"{c['wait_error']['fitted'] * 100:+.0f} %"}
            for c in record["cells"]]
