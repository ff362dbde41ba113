"""The project documents itself: docs and comments point only at files inside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MD = re.compile(r"[\w./-]*[A-Za-z]\.md\b")
PATH = re.compile(r"\b(?:sim|ui|tests|bench|lessons|scenarios|docs)/[\w/]+(?:\.\w+)?")


def tracked() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:  # not a git checkout: scan the usual places
        return [p for p in ROOT.rglob("*") if p.suffix in {".py", ".md"}
                and ".venv" not in p.parts]
    return [ROOT / line for line in out.stdout.splitlines()]


def test_markdown_files_named_anywhere_exist():
    missing = []
    for path in tracked():
        if path.suffix not in {".py", ".md", ".yaml", ".toml"}:
            continue
        if path.parent.name == "lessons" and path.name != "README.md":
            continue  # lessons name each other by id, and their references are external
        for name in MD.findall(path.read_text(encoding="utf-8")):
            named = "/" in name or name.split(".")[0].isupper()
            if named and not (ROOT / name).exists() and not (path.parent / name).exists():
                missing.append(f"{path.relative_to(ROOT)}: {name}")
    assert not missing, missing


def test_architecture_names_only_paths_that_exist():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = [p for p in set(PATH.findall(text)) if not (ROOT / p).exists()]
    assert not missing, missing
