"""The largest run the schema allows: its wall time and peak memory (figures for README "Bounds").

``.venv/bin/python bench/largest.py [--events N] [--mode sync|async]`` runs ``email_signup`` long
enough to reach ``limits.max_events`` (default: the schema's maximum) and prints one JSON line:
work done, wall and CPU seconds (CPU time is what an idle core would take) and peak RSS of
this process. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere

from bench.engine import peak_rss_mb


def main() -> int:
    from sim import load_scenario, run
    from sim.schema import MAX_EVENTS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=MAX_EVENTS)
    parser.add_argument("--mode", default="async", choices=["sync", "async"])
    args = parser.parse_args()
    base = load_scenario("email_signup")
    requests = args.events / 2.2  # ~1.05 attempts per request: the bound is reached first
    scenario = load_scenario("email_signup", {
        "duration": requests / base.arrivals.rate,
        "limits.max_events": args.events, "limits.max_requests": args.events})
    before = peak_rss_mb()
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = run(scenario, args.mode)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(json.dumps({"mode": args.mode, "max_events": args.events,
                      "requests": len(result.requests), "attempts": len(result.attempts),
                      "events": result.summary["run"]["events"],
                      "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
                      "peak_mb": round(peak_rss_mb()),
                      "rss_before_mb": round(before), "warnings": result.warnings}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
