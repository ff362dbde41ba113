"""``python -m sim calibrate``: measure a real Redis + Celery worker, fit the overheads, compare.

Progress goes to stderr, the fitted keys and the table to stdout, and every output file to
``--out``. Missing tools exit with status 2 and one line saying what to install; Ctrl-C stops
the real components and exits with status 130.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from pathlib import Path

from sim.calibrate.session import FULL, QUICK, Plan

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
DEFAULT_SCENARIO = "celery_redis_measured"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("calibrate", help="fit the overheads to a real Redis + Celery worker")
    p.add_argument("--broker", choices=["redis"], default="redis",
                   help="the real broker to start (redis)")
    p.add_argument("--quick", action="store_true",
                   help=f"short runs ({QUICK.duration_s:g} s per load, under 2 minutes in all)")
    p.add_argument("--out", default="calibration", metavar="DIR",
                   help="where to write overheads.yaml, calibration.json, table.txt, "
                        "measurements.csv and calibration.html (default: calibration)")
    p.add_argument("--scenario", default=DEFAULT_SCENARIO, metavar="ID",
                   help="worker settings and task times (default: celery_redis_measured)")
    p.add_argument("--repeats", type=int, default=None, metavar="N",
                   help=f"repeats of every run (default {QUICK.repeats} with --quick, else "
                        f"{FULL.repeats})")
    p.add_argument("--duration", type=float, default=None, metavar="S",
                   help=f"seconds of trace per run (default {QUICK.duration_s:g} with --quick, "
                        f"else {FULL.duration_s:g})")
    p.add_argument("--seed", type=int, default=1, metavar="N", help="first trace seed")


def plan_of(args: argparse.Namespace) -> Plan:
    base = QUICK if args.quick else FULL
    repeats = base.repeats if args.repeats is None else args.repeats
    duration = base.duration_s if args.duration is None else args.duration
    if repeats < 1 or duration <= 0 or args.seed < 0:
        raise ValueError("--repeats must be ≥ 1, --duration > 0 and --seed ≥ 0")
    return Plan(duration_s=duration, repeats=repeats, seed=args.seed)


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this calibration."""
    words = ["python", "-m", "sim", "calibrate", "--broker", args.broker]
    words += ["--quick"] if args.quick else []
    for flag, value in (("--scenario", args.scenario), ("--repeats", args.repeats),
                        ("--duration", args.duration), ("--seed", args.seed)):
        if value is not None and not (flag == "--scenario" and value == DEFAULT_SCENARIO):
            words += [flag, str(value)]
    return shlex.join(words)


def cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.calibrate.fit import FitError
    from sim.calibrate.harness import LabError, install_hint, missing_tools
    from sim.calibrate.report import describe_setup, fit_lines, table, write
    from sim.calibrate.session import calibrate
    from sim.scenario import load_scenario

    missing = missing_tools()
    if missing:
        print(f"error: {install_hint(missing)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        plan = plan_of(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    base, out = load_scenario(args.scenario), Path(args.out)

    def progress(message: str) -> None:
        print(f"calibrate: {message}", file=sys.stderr, flush=True)

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # so a kill, too, stops redis-server and the worker first

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        cal = calibrate(base, plan, out / "lab", progress)
    except KeyboardInterrupt:
        print("calibrate: interrupted; redis-server and the worker are stopped",
              file=sys.stderr)
        return EXIT_INTERRUPTED
    except (LabError, FitError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        signal.signal(signal.SIGTERM, previous)
    write(cal, out, command_line(args))
    print(describe_setup(cal))
    print("\n".join(fit_lines(cal)))
    print()
    print(table(cal))
    print(f"\nwrote {out}/overheads.yaml, calibration.json, table.txt, measurements.csv, "
          f"calibration.html")
    return 0
