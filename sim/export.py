"""Files out of a run: summary JSON, record CSVs, the effective scenario YAML.

``write_run(results, out_dir)`` writes ``summary.json``, ``requests.csv``, ``attempts.csv``,
``tasks.csv``, ``timeseries.csv`` and ``scenario.yaml`` (with the seed used), so a run can be
reproduced from its folder; a run with services also writes ``services.csv`` (one row each).
With both modes the CSVs go to ``sync/`` and ``async/``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from sim.metrics import gave_up, user_wait_of
from sim.runner import Result
from sim.service_metrics import service_rows


def clean(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become None."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summary_json(results: dict[str, Result]) -> str:
    """One JSON object: the summary, or ``{"sync": ..., "async": ...}`` for several modes."""
    if len(results) == 1:
        payload = next(iter(results.values())).summary
    else:
        payload = {mode: r.summary for mode, r in results.items()}
    return json.dumps(clean(payload), indent=2, allow_nan=False)


def effective_yaml(result: Result) -> str:
    """The scenario as run, with the seed that was used."""
    return result.scenario.model_copy(update={"seed": result.seed}).to_yaml()


RECORDS = ("requests", "tasks", "attempts", "timeseries")


def records_csv(result: Result, name: str) -> str:
    """One record frame as CSV; requests also get each user's ``user_wait`` (seconds until
    answered or gave up, see :func:`sim.metrics.user_wait_of`) and ``gave_up``."""
    frame = getattr(result, name)
    if name == "requests" and len(frame):
        end = result.summary.get("run", {}).get("end_time_s", float("nan"))
        frame = frame.assign(user_wait=user_wait_of(frame, end, result.scenario.web.timeout),
                             gave_up=gave_up(frame).to_numpy())
    return frame.to_csv(index=False)


def write_records(result: Result, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in RECORDS:
        path = folder / f"{name}.csv"
        path.write_text(records_csv(result, name), encoding="utf-8")
        written.append(path)
    if result.scenario.services:  # one row of figures per service
        path = folder / "services.csv"
        pd.DataFrame(service_rows(result.summary)).to_csv(path, index=False)
        written.append(path)
    return written


def write_run(results: dict[str, Result], out_dir: str | Path) -> list[Path]:
    """Write summary, records and scenario for one or more modes; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    first = next(iter(results.values()))
    written = [out / "summary.json", out / "scenario.yaml"]
    written[0].write_text(summary_json(results) + "\n", encoding="utf-8")
    written[1].write_text(effective_yaml(first), encoding="utf-8")
    for mode, result in results.items():
        written += write_records(result, out if len(results) == 1 else out / mode)
    return written
