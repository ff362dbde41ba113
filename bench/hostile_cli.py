"""How long the command line takes to refuse each hostile file (figures for README "Bounds").

``.venv/bin/python bench/hostile_cli.py`` runs ``python -m sim validate FILE`` and ``python -m
sim run FILE`` on every file of the hostile corpus (``tests/hostile/corpus.py``) in a fresh
process each, and prints one JSON object (also written to ``out/hostile_cli_timings.json``):
whether every one exited with status 2, the slowest and median wall seconds, and the CPU seconds
of the child (what an idle core would take; most of it is starting Python and importing
numpy, pandas and pydantic). A good file is timed too, for comparison. Nothing is asserted.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from anywhere

HANG_GUARD_S = 120


def cli(*args: str) -> dict[str, float]:
    """Exit status, wall seconds and child CPU seconds of one ``python -m sim`` command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=HANG_GUARD_S)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return {"exit": done.returncode, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}


def main() -> int:
    from tests.hostile.corpus import corpus

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in corpus():
            path = Path(tmp) / f"{name}.yaml"
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")
            rows += [{"file": name, "command": command, **cli(command, str(path))}
                     for command in ("validate", "run")]
    walls = [r["wall_s"] for r in rows]
    report = {"files": len(rows) // 2, "commands": len(rows),
              "all_exit_2": all(r["exit"] == 2 for r in rows),
              "max_wall_s": max(walls), "median_wall_s": statistics.median(walls),
              "max_cpu_s": max(r["cpu_s"] for r in rows),
              "slowest": sorted(rows, key=lambda r: -r["wall_s"])[:3],
              "good_file_validate": cli("validate", "email_signup")}
    out = ROOT / "out" / "hostile_cli_timings.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
