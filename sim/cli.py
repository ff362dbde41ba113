"""Command line: ``python -m sim run | list | validate | calibrate``.

Bad input (unknown key, wrong type, missing file, malformed YAML) exits with status 2 and one
line on stderr that names the problem; never a traceback.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

from sim.calibrate.command import add_parser as add_calibrate_parser
from sim.calibrate.command import cmd_calibrate
from sim.cli_experiment import add_backend_options, add_commands, run_replicated
from sim.experiment import BackendError
from sim.export import clean, summary_json, write_run
from sim.runner import MODES, Result, RunRefused, run
from sim.safe_yaml import quote
from sim.scenario import ScenarioError, bundled_ids, load_scenario, parse_assignment
from sim.service_metrics import service_rows

EXIT_BAD_INPUT = 2
MAX_SEED = 2**63 - 1


class UsageError(Exception):
    """A command-line problem, reported on one line."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="python -m sim", description="Async Lab: sync vs async simulator")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    p_run = sub.add_parser("run", help="run a scenario and print its summary")
    p_run.add_argument("scenario", help="bundled scenario id or path to a YAML file")
    p_run.add_argument("--mode", choices=["sync", "async", "both"], default=None,
                       help="design to simulate (default: the scenario's mode)")
    p_run.add_argument("--seed", type=seed_value, default=None,
                       help="random seed, a whole number ≥ 0 (default: the scenario's)")
    p_run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       help="override a scenario key, e.g. workers.count=4 (repeatable)")
    p_run.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p_run.add_argument("--out", metavar="DIR", help="write summary, records and scenario here")
    p_run.add_argument("--charts", default="", metavar="FORMATS",
                       help="with --out: also write charts, e.g. png,svg,html,animation")
    add_backend_options(p_run, reps=None)
    add_commands(sub, COMMANDS)
    sub.add_parser("list", help="list bundled scenarios")
    p_val = sub.add_parser("validate", help="check a scenario file")
    p_val.add_argument("file", help="path to a YAML file (or a bundled id)")
    add_calibrate_parser(sub)
    return parser


def seed_value(text: str) -> int:
    """A seed the random streams and the exported scenario.yaml both accept: 0 ≤ seed < 2**63."""
    wanted = "must be a whole number from 0 to 2**63 - 1"
    if not re.fullmatch(r"\s*\d{1,19}\s*", text, flags=re.ASCII) or int(text) > MAX_SEED:
        raise argparse.ArgumentTypeError(f"{wanted}, got {quote(text)}")
    return int(text)


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


NOTES = (("theory", "note"),)  # sentences: printed under the table, not in a column


def table(results: dict[str, Result]) -> str:
    """A readable side-by-side table of the summaries."""
    modes = list(results)
    rows: list[tuple[str, list[str]]] = []
    first = results[modes[0]].summary
    for section, values in first.items():
        if isinstance(values, dict):
            for key in values:
                if isinstance(values[key], (dict, list)) or (section, key) in NOTES:
                    continue
                rows.append((f"{section}.{key}",
                             [_fmt(results[m].summary[section][key]) for m in modes]))
        elif isinstance(values, (int, float)) and not isinstance(values, bool):
            rows.append((section, [_fmt(results[m].summary[section]) for m in modes]))
    rows += service_table(results)
    width = max(len(name) for name, _ in rows)
    lines = [f"{'':<{width}}  " + "  ".join(f"{m:>12}" for m in modes)]
    lines += [f"{name:<{width}}  " + "  ".join(f"{v:>12}" for v in vals) for name, vals in rows]
    for mode in modes:
        for section, key in NOTES:
            text = results[mode].summary.get(section, {}).get(key)
            if text:
                lines.append(f"{section}.{key} ({mode}): {text}")
    for mode in modes:
        lines += [f"warning ({mode}): {w}" for w in results[mode].warnings]
    return "\n".join(lines)


def wrote(paths: list, out: str) -> str:
    """'wrote 14 files to results/: summary.json, scenario.yaml, report.html, charts/ (9)'."""
    root = Path(out)
    names = [str(Path(p).relative_to(root)) if Path(p).is_relative_to(root) else str(p)
             for p in paths]
    top = [n for n in names if "/" not in n]
    folders: dict[str, int] = {}
    for n in names:
        if "/" in n:
            folders[n.split("/")[0]] = folders.get(n.split("/")[0], 0) + 1
    listed = top + [f"{d}/ ({k} files)" for d, k in folders.items()]
    return f"wrote {len(paths)} files to {root.resolve()}: " + ", ".join(listed)


def service_table(results: dict[str, Result]) -> list[tuple[str, list[str]]]:
    """Rows ``services.<name>.<figure>`` for a run with services (none without)."""
    per_mode = {m: {row["service"]: row for row in service_rows(r.summary)}
                for m, r in results.items()}
    first = next(iter(per_mode.values()))
    return [(f"services.{name}.{key}", [_fmt(per_mode[m].get(name, {}).get(key))
                                        for m in results])
            for name, row in first.items() for key in row if key != "service"]


def cmd_run(args: argparse.Namespace) -> int:
    if args.charts and not args.out:
        raise UsageError("--charts needs --out DIR (where to write the charts)")
    overrides = dict(parse_assignment(item) for item in args.set)
    scenario = load_scenario(args.scenario, overrides)
    modes = MODES if args.mode == "both" else (args.mode or scenario.mode,)
    if args.reps and args.reps > 1:
        return run_replicated(args, scenario, modes)
    results = {mode: run(scenario, mode, args.seed) for mode in modes}
    if args.out:
        written = write_run(results, args.out)
        if args.charts:
            from sim.charts.export import write_charts  # plotly only when asked for

            notices: list[str] = []
            written += write_charts(results, args.out, args.charts.split(","), notices)
            for notice in notices:
                print(f"charts: {notice}", file=sys.stderr)
        print(wrote(written, args.out), file=sys.stderr)  # stdout stays the summary
    if args.json:
        print(summary_json(results))
    else:
        print(f"{scenario.title} [{scenario.id}], seed {next(iter(results.values())).seed}")
        print(table(results))
    return 0


def cmd_list(_args: argparse.Namespace) -> int:
    for scenario_id in bundled_ids():
        scenario = load_scenario(scenario_id)
        print(f"{scenario_id:<28} {scenario.title}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.file)
    print(f"ok: {args.file} ({scenario.id}: {scenario.title})")
    return 0


COMMANDS = {"run": cmd_run, "list": cmd_list, "validate": cmd_validate,
            "calibrate": cmd_calibrate}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (UsageError, ScenarioError, BackendError, RunRefused) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as Unix tools do
        return quiet_exit()
    except OSError as exc:  # --out in a place that cannot be written, a file that vanished
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_BAD_INPUT


def quiet_exit() -> int:
    """After a broken pipe: point stdout at /dev/null so that the interpreter's final flush
    does not fail again (the Python docs' recipe for SIGPIPE), and end with status 0."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 0


__all__ = ["clean", "main"]
