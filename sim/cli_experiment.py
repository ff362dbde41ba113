"""Command line for experiments: ``python -m sim sweep | plan`` and ``run --reps N``.

``sweep SCENARIO --vary KEY=START:STOP:COUNT|V1,V2 ... [--mode both] [--reps 10]`` runs the grid
and prints the means with 95 % confidence intervals; ``--out DIR`` writes ``points.csv`` (one row
per run), ``summary.csv`` (per point × mode × metric), ``scenario.yaml`` and, with ``--charts
png,svg,html``, the chart. ``plan SCENARIO --slo KEY=TARGET ... --knob workers.count --range
1:64`` finds the smallest setting that meets every SLO. Runs go to ``--backend serial |
processes | dask`` (``--scheduler tcp://host:8786`` picks Dask); ``--jobs`` sets the number of
local processes. Bad input, unknown keys and an unreachable scheduler: one line, exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from sim.experiment import (
    BACKENDS,
    MAX_REPS,
    Options,
    Replications,
    capacity_plan,
    replicate_many,
    sweep,
)
from sim.experiment.spec import parse_range, parse_slo, parse_varies
from sim.export import clean
from sim.scenario import Scenario, ScenarioError, load_scenario, parse_assignment

MAX_JOBS = 256  # local processes: more than any machine this runs on has cores
SHOWN = ("user_wait_s.p95", "response_time_s.p95", "response_time_s.mean", "task_latency_s.p95",
         "queue_wait_s.mean", "throughput_rps")


def whole_number(high: int) -> Any:
    """An argparse type: a whole number from 1 to ``high`` (the message gives the range)."""
    def value_of(text: str) -> int:
        try:
            value = int(text) if len(text) < 20 else 0
        except ValueError:
            value = 0
        if not 1 <= value <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {high:,}, "
                                             f"got {text[:20]!r}")
        return value
    return value_of


jobs_value = whole_number(MAX_JOBS)


def add_backend_options(parser: argparse.ArgumentParser, reps: int | None = 10) -> None:
    """--reps, --backend, --jobs, --scheduler (shared by sweep, plan and run)."""
    parser.add_argument("--reps", type=whole_number(MAX_REPS), default=reps,
                        help="replications per setting (seeds seed, seed+1, ...; default "
                        + (f"{reps})" if reps else "one run)"))
    parser.add_argument("--backend", choices=list(BACKENDS), default=None,
                        help="where the runs go (default: processes; dask with --scheduler)")
    parser.add_argument("--jobs", type=jobs_value, default=None,
                        help=f"local processes (default: one per core; at most {MAX_JOBS})")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler, e.g. tcp://127.0.0.1:8786 (implies --backend dask)")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="bundled scenario id or path to a YAML file")
    parser.add_argument("--mode", choices=["sync", "async", "both"], default=None,
                        help="design(s) to simulate (default: the scenario's mode)")
    parser.add_argument("--seed", type=int, default=None, help="first seed (default: scenario's)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a scenario key before the experiment (repeatable)")
    parser.add_argument("--out", metavar="DIR", help="write CSVs, scenario and charts here")
    parser.add_argument("--charts", default="", metavar="FORMATS",
                        help="with --out: also write the chart as png,svg,html")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def add_commands(sub: Any, commands: dict[str, Any]) -> None:
    """Register ``sweep`` and ``plan`` on the CLI's subparsers."""
    p_sweep = sub.add_parser("sweep", help="run a grid of settings with replications")
    _common(p_sweep)
    p_sweep.add_argument("--vary", action="append", default=[], required=True,
                         metavar="KEY=VALUES", help="KEY=START:STOP:COUNT or KEY=V1,V2,... "
                         "(repeatable: the grid is every combination)")
    p_sweep.add_argument("--metric", action="append", default=[], metavar="KEY",
                         help=f"summary key to print and chart (default {SHOWN[0]})")
    add_backend_options(p_sweep)
    p_plan = sub.add_parser("plan", help="smallest knob setting that meets the SLOs")
    _common(p_plan)
    p_plan.add_argument("--slo", action="append", default=[], required=True,
                        metavar="KEY=TARGET", help="summary key and its upper limit, e.g. "
                        "user_wait_s.p95=2 (repeatable)")
    p_plan.add_argument("--knob", default="workers.count", help="scenario key to size")
    p_plan.add_argument("--range", default="1:64", metavar="LOW:HIGH",
                        help="values of the knob to search (default 1:64)")
    add_backend_options(p_plan)
    commands.update({"sweep": cmd_sweep, "plan": cmd_plan})


def options_of(args: argparse.Namespace) -> Options:
    backend = args.backend or ("dask" if args.scheduler else "processes")
    if args.scheduler and backend != "dask":
        raise ScenarioError(f"--scheduler: only with --backend dask, got --backend {backend}")
    return Options(backend=backend, workers=args.jobs, scheduler=args.scheduler,
                   progress=progress_bar() if sys.stderr.isatty() else None)


def progress_bar(width: int = 30) -> Any:
    def show(done: int, total: int) -> None:
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} runs", end=end,
              file=sys.stderr, flush=True)
    return show


def _scenario(args: argparse.Namespace) -> Scenario:
    return load_scenario(args.scenario, dict(parse_assignment(item) for item in args.set))


def _modes(args: argparse.Namespace, scenario: Scenario) -> str | list[str]:
    return "both" if args.mode == "both" else [args.mode or scenario.mode]


def _check_charts(args: argparse.Namespace) -> None:
    if args.charts and not args.out:
        raise UsageProblem("--charts needs --out DIR (where to write the charts)")


class UsageProblem(ScenarioError):
    """A command-line problem reported on one line (exit 2)."""


def ci_text(mean: float | None, half: float | None) -> str:
    if mean is None:
        return "–"
    return f"{mean:.4g}" + ("" if half is None else f" ± {half:.2g}")


def cmd_sweep(args: argparse.Namespace) -> int:
    _check_charts(args)
    scenario = _scenario(args)
    vary = parse_varies(args.vary)
    result = sweep(scenario, vary, _modes(args, scenario), args.reps, args.seed,
                   options_of(args))
    metrics = args.metric or [SHOWN[0]]
    missing = [m for m in metrics if m not in set(result.summary["metric"])]
    if missing:
        raise UsageProblem(f"--metric {missing[0]}: not a number in the summary "
                           f"(e.g. {', '.join(SHOWN[:3])})")
    shown = result.summary[result.summary["metric"].isin(metrics)]
    if args.json:
        print(json.dumps(clean(shown.to_dict(orient="records")), allow_nan=False))
    else:
        print(f"{scenario.title} [{scenario.id}]: {len(result.points)} runs, seeds "
              f"{result.seeds[0]}..{result.seeds[-1]}, 95 % confidence intervals")
        for _, row in shown.iterrows():
            point = ", ".join(f"{k}={row[k]}" for k in vary)
            flag = "  overloaded" if row["overloaded"] else ""
            print(f"{point:<36} {row['mode']:<6} {row['metric']:<22} "
                  f"{ci_text(row['mean'], row['half_width'])}{flag}")
    if args.out:
        out = _write_common(args.out, scenario)
        result.points.to_csv(out / "points.csv", index=False)
        result.summary.to_csv(out / "summary.csv", index=False)
        if args.charts:
            from sim.charts.experiment import sweep_figure, write_figure

            key = next(iter(vary))
            notices: list[str] = []
            for metric in metrics:
                name = "sweep" if len(metrics) == 1 else f"sweep_{metric}"
                write_figure(sweep_figure(result.summary, key, metric), out, name,
                             args.charts.split(","), notices)
            _notices(notices)
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    _check_charts(args)
    scenario = _scenario(args)
    slo = dict(parse_slo(s) for s in args.slo)
    mode = None if args.mode in (None, "both") else args.mode
    if args.mode == "both":
        raise UsageProblem("--mode: the planner sizes one design: sync or async")
    plan = capacity_plan(scenario, slo, args.knob, parse_range(args.range), args.reps or 10,
                         mode, args.seed, options_of(args))
    if args.json:
        print(json.dumps(clean({"knob": plan.knob, "slo": plan.slo, "mode": plan.mode,
                                "answer": plan.answer, "monotone": plan.monotone,
                                "points": plan.points.to_dict(orient="records")}),
                         allow_nan=False))
    else:
        for _, row in plan.points.iterrows():
            parts = [f"{k} {ci_text(row[f'{k} mean'], row[f'{k} ci_high'] - row[f'{k} mean'])}"
                     if row[f"{k} ci_high"] is not None else f"{k} –" for k in slo]
            print(f"{plan.knob}={row['value']:g}: {'meets' if row['meets'] else 'misses'}  "
                  + "; ".join(parts))
        print(plan.sentence())
        if not plan.monotone:
            print("note: a smaller setting met the SLOs where a larger one did not: the metric "
                  "is noisy here; use more replications")
    if args.out:
        out = _write_common(args.out, scenario)
        plan.points.to_csv(out / "points.csv", index=False)
        (out / "plan.json").write_text(json.dumps(clean(
            {"knob": plan.knob, "slo": plan.slo, "mode": plan.mode, "answer": plan.answer,
             "monotone": plan.monotone}), indent=2) + "\n", encoding="utf-8")
        if args.charts:
            from sim.charts.experiment import plan_figure, write_figure

            notices: list[str] = []
            write_figure(plan_figure(plan.points, plan.knob, plan.slo, plan.answer), out,
                         "plan", args.charts.split(","), notices)
            _notices(notices)
    return 0


def run_replicated(args: argparse.Namespace, scenario: Scenario, modes: tuple[str, ...]) -> int:
    """``run --reps N``: every number of the summary as mean ± 95 % half-width per mode."""
    if args.out or args.charts:
        raise UsageProblem("--reps: use `python -m sim sweep` to write files of replications")
    reps = replicate_many({m: (scenario, m) for m in modes}, args.reps, args.seed,
                          options=options_of(args))
    tables = {m: r.table() for m, r in reps.items()}
    if args.json:
        print(json.dumps(clean({m: {row["metric"]: {k: row[k] for k in row.index
                                                     if k != "metric"}
                                    for _, row in t.iterrows()} for m, t in tables.items()}),
                         allow_nan=False))
        return 0
    print(f"{scenario.title} [{scenario.id}], {args.reps} replications (seeds "
          f"{reps[modes[0]].seeds[0]}..{reps[modes[0]].seeds[-1]}), mean ± 95 % CI half-width")
    print(replication_table(reps))
    return 0


def replication_table(reps: dict[str, Replications]) -> str:
    modes = list(reps)
    tables = {m: reps[m].table().set_index("metric") for m in modes}
    keys = list(tables[modes[0]].index)
    width = max(len(k) for k in keys)
    lines = [f"{'':<{width}}  " + "  ".join(f"{m:>20}" for m in modes)]
    for key in keys:
        cells = [ci_text(*_pair(tables[m], key)) for m in modes]
        lines.append(f"{key:<{width}}  " + "  ".join(f"{c:>20}" for c in cells))
    for m in modes:
        stopped = sum(bool(s["run"].get("overloaded")) for s in reps[m].summaries)
        if stopped:
            lines.append(f"warning ({m}): {stopped} of {len(reps[m].seeds)} replications "
                         f"stopped at the overload bound (limits.max_in_system)")
    return "\n".join(lines)


def _pair(table: Any, key: str) -> tuple[float | None, float | None]:
    if key not in table.index:
        return None, None
    row = table.loc[key]
    mean = None if row["mean"] is None or row["mean"] != row["mean"] else float(row["mean"])
    half = row["half_width"]
    return mean, None if half is None or half != half else float(half)


def _write_common(out_dir: str, scenario: Scenario) -> Path:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scenario.yaml").write_text(scenario.to_yaml(), encoding="utf-8")
    return out


def _notices(notices: list[str]) -> None:
    for notice in dict.fromkeys(notices):
        print(f"charts: {notice}", file=sys.stderr)


__all__ = ["add_backend_options", "add_commands", "run_replicated"]
