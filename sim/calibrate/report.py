"""The calibration's outputs: the table, the YAML fragment, the JSON record, the raw CSV."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.calibrate.compare import Cell, log_error
from sim.calibrate.session import Calibration
from sim.dists import mean_of

MS = 1000.0


def _pct(x: float) -> str:
    return f"{x * 100:+.0f}%"


def _dist(spec: dict[str, Any]) -> str:
    if spec["dist"] == "constant":
        return f"constant {spec['value'] * MS:.1f} ms"
    return f"{spec['dist']} mean {spec['mean'] * MS:.1f} ms, cv {spec['cv']:.2f}"


def describe_setup(cal: Calibration) -> str:
    w, service = cal.base.workers, cal.base.task.service
    return (f"real Redis + Celery worker (prefork, concurrency {w.concurrency}, prefetch "
            f"multiplier {w.prefetch_multiplier}, -O fair), task service {service.dist} "
            f"mean {mean_of(service) * MS:.0f} ms, {cal.plan.duration_s:g} s per run, "
            f"{cal.plan.repeats} repeat(s), seed {cal.plan.seed}")


def fit_lines(cal: Calibration) -> list[str]:
    f, fig = cal.fit, cal.fit.figures
    return [
        f"broker.dispatch_delay            = {_dist(f.dispatch_delay)}  (publish → start on "
        f"a free slot: median {fig['dispatch_median_s'] * MS:.1f} ms, p95 "
        f"{fig['dispatch_p95_s'] * MS:.1f} ms, {fig['dispatch_samples']:.0f} tasks)",
        f"workers.task_overhead            = {_dist(f.task_overhead)}  (early ack: slot time "
        f"beyond the body, {fig['slot_overhead_early_samples']:.0f} back-to-back tasks)",
        f"workers.task_overhead_acks_late  = {_dist(f.task_overhead_acks_late)}  (acks_late: "
        f"slot overhead {fig['slot_overhead_late_s'] * MS:.1f} ms minus the dispatch delay, "
        f"{fig['slot_overhead_late_samples']:.0f} back-to-back tasks)",
    ]


def table(cal: Calibration) -> str:
    """Load × ack mode: real vs simulated mean queue wait and p95 task latency (ms)."""
    head = (f"{'acks_late':<9} {'rho':>4} {'tasks':>6} | {'real':>7} {'plain':>7} {'err':>5} "
            f"{'fitted':>7} {'err':>5} {'ErlangC':>7} | {'real':>7} {'plain':>7} {'err':>5} "
            f"{'fitted':>7} {'err':>5} | {'fitted err range':>16} target")
    lines = [f"{'':<21} | {'mean queue wait (ms)':^44} | {'p95 task latency (ms)':^37} |",
             head, "-" * len(head)]
    for c in cal.table:
        lines.append(_row(c))
    lines.append(f"mean |log(sim/real)| of the mean wait over the cells: plain "
                 f"{log_error(cal.table, 'plain'):.2f}, fitted {log_error(cal.table, 'fitted'):.2f}"
                 f"; fitted on target in {sum(c.on_target for c in cal.table)} of "
                 f"{len(cal.table)} cells")
    return "\n".join(lines)


def _row(c: Cell) -> str:
    theory = f"{c.erlang_c * MS:7.1f}" if c.erlang_c is not None else f"{'–':>7}"
    low, high = c.spread["fitted"][0], c.spread["fitted"][-1]
    spread = _pct(low) if len(c.spread["fitted"]) == 1 else f"{_pct(low)}..{_pct(high)}"
    mark = "ok" if c.on_target else "MISS"
    return (f"{'on' if c.acks_late else 'off':<9} {c.rho:>4.2f} {c.tasks:>6} | "
            f"{c.wait['real'] * MS:7.1f} {c.wait['plain'] * MS:7.1f} "
            f"{_pct(c.wait_error('plain')):>5} {c.wait['fitted'] * MS:7.1f} "
            f"{_pct(c.wait_error('fitted')):>5} {theory} | "
            f"{c.p95_latency['real'] * MS:7.1f} {c.p95_latency['plain'] * MS:7.1f} "
            f"{_pct(c.latency_error('plain')):>5} {c.p95_latency['fitted'] * MS:7.1f} "
            f"{_pct(c.latency_error('fitted')):>5} | {spread:>16} ±{c.target * 100:.0f}% {mark}")


def fragment_yaml(cal: Calibration, command: str) -> str:
    """The fitted keys as a scenario fragment, with how they were obtained."""
    text = (f"Overheads fitted by `{command}` against a {describe_setup(cal)}. Merge into a "
            f"scenario (broker.kind redis or rabbitmq).")
    header = "".join(f"# {line}\n" for line in textwrap.wrap(text, 96))
    return header + yaml.safe_dump(cal.fit.fragment(), sort_keys=False)


def record(cal: Calibration, command: str) -> dict[str, Any]:
    """Everything in numbers, for calibration.json (and the tests)."""
    return {
        "command": command,
        "setup": describe_setup(cal),
        "plan": {"duration_s": cal.plan.duration_s, "repeats": cal.plan.repeats,
                 "seed": cal.plan.seed, "loads": list(cal.plan.loads)},
        "fit": {**cal.fit.keys(), "figures": cal.fit.figures},
        "cells": [{"acks_late": c.acks_late, "rho": c.rho, "tasks": c.tasks,
                   "mean_wait_s": c.wait, "p95_latency_s": c.p95_latency,
                   "erlang_c_wait_s": c.erlang_c,
                   "wait_error": {k: c.wait_error(k) for k in ("plain", "fitted")},
                   "p95_latency_error": {k: c.latency_error(k) for k in ("plain", "fitted")},
                   "fitted_wait_error_per_repeat": c.spread["fitted"],
                   "target": c.target, "on_target": c.on_target} for c in cal.table],
        "log_error": {k: log_error(cal.table, k) for k in ("plain", "fitted")},
        "publish_late_s": {"mean": float(np.mean([np.mean(m.real.late_s)
                                                  for m in cal.measured])),
                           "max": float(max(np.max(m.real.late_s) for m in cal.measured))},
    }


def measurements(cal: Calibration) -> pd.DataFrame:
    """Every real and simulated task, one row each."""
    frames = []
    for t in cal.twins:
        m, real = t.measured, t.measured.real
        frames.append(pd.DataFrame({
            "repeat": m.repeat, "acks_late": m.acks_late, "rho": m.rho, "seed": m.seed,
            "task": np.arange(len(real.published)), "service_s": real.service,
            "published_s": real.published, "started_s": real.started, "ended_s": real.ended,
            "pid": real.pid, "publish_late_s": real.late_s,
            "sim_plain_wait_s": t.waits["plain"], "sim_fitted_wait_s": t.waits["fitted"],
            "sim_plain_latency_s": t.latencies["plain"],
            "sim_fitted_latency_s": t.latencies["fitted"]}))
    return pd.concat(frames, ignore_index=True)


def write(cal: Calibration, out: Path, command: str) -> list[Path]:
    """overheads.yaml, calibration.json, table.txt, measurements.csv and the chart."""
    from sim.charts.calibration import calibration_figure, write_figure

    out.mkdir(parents=True, exist_ok=True)
    files = {
        "overheads.yaml": fragment_yaml(cal, command),
        "calibration.json": json.dumps(record(cal, command), indent=2),
        "table.txt": "\n".join([describe_setup(cal), *fit_lines(cal), "", table(cal)]) + "\n",
    }
    written = []
    for name, text in files.items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    measurements(cal).to_csv(out / "measurements.csv", index=False)
    written.append(out / "measurements.csv")
    written.append(write_figure(calibration_figure(record(cal, command)),
                                out / "calibration.html"))
    return written
