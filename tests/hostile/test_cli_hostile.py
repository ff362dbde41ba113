"""Hostile files through the real command line: ``validate`` and ``run`` exit 2 with one line on
stderr, never a traceback, and never hang (each subprocess has a hang guard; the time each took
is printed, not asserted: the machine is shared)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile.corpus import corpus

ROOT = Path(__file__).resolve().parents[2]
HANG_GUARD_S = 60  # generous: a refusal takes well under a second plus interpreter start-up
RUN_TOO = {"bomb_title", "bomb_zz_unknown", "deep_list_unknown", "deep_block_arrivals",
           "big_description", "binary_random", "python_tag", "huge_int", "nan_duration",
           "inf_max_drain"}


def cli(*args: str) -> tuple[int, str, str, float]:
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=HANG_GUARD_S)
    return done.returncode, done.stdout, done.stderr, time.perf_counter() - t0


def refused(code: int, out: str, err: str) -> None:
    assert code == 2, (code, out[-500:], err[-2000:])
    assert "Traceback" not in err and err.startswith("error: "), err[-2000:]
    assert err.count("\n") == 1 and len(err) < 500, err[:600]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / f"{name}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "text"), corpus(), ids=[n for n, _ in corpus()])
def test_validate_refuses_every_hostile_file(tmp_path: Path, name: str, text: str | bytes) -> None:
    path = write(tmp_path, name, text)
    code, out, err, took = cli("validate", str(path))
    refused(code, out, err)
    print(f"validate {name}: {took:.2f} s: {err.strip()[:100]}")
    if name in RUN_TOO:
        code, out, err, took = cli("run", str(path))
        refused(code, out, err)
        print(f"run {name}: {took:.2f} s")


def test_a_50_mb_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("w") as handle:
        handle.write("duration: 10\ndescription: >\n")
        line = "  " + "word " * 20 + "\n"
        handle.write(line * (50 * 1024 * 1024 // len(line)))
    for command in ("validate", "run"):
        code, out, err, took = cli(command, str(path))
        refused(code, out, err)
        assert "too large" in err and "256 KB" in err
        print(f"{command} 50 MB: {took:.2f} s")


def test_set_refuses_bombs_infinities_and_long_values() -> None:
    for assignment, expected in (("duration=.inf", "finite"), ("duration=.nan", "finite"),
                                 ("limits.max_drain=.inf", "finite"),
                                 ("title=&a [x, *a]", "anchors"),
                                 ("arrivals.rate=" + "7" * 20_000, "cannot read value"),
                                 ("workers.count=!!python/name:os.system", "tags")):
        code, out, err, _took = cli("run", "email_signup", "--set", assignment)
        refused(code, out, err)
        assert expected in err, err


def test_seed_above_2_63_is_refused_and_out_yaml_validates(tmp_path: Path) -> None:
    code, out, err, _ = cli("run", "email_signup", "--seed", str(2**63))
    refused(code, out, err)
    assert "2**63" in err
    code, out, err, _ = cli("run", "email_signup", "--seed", str(2**63 - 1), "--set",
                            "duration=5", "--out", str(tmp_path / "run"))
    assert code == 0, err
    code, out, err, _ = cli("validate", str(tmp_path / "run" / "scenario.yaml"))
    assert code == 0, err
