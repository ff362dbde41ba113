"""A corpus of hostile scenario inputs, shared by the CLI, schema, lab and link tests.

Each entry is (name, YAML text or bytes). Numeric keys and sections are read from the schema
itself, so a key added later is covered without editing this file.
"""

from __future__ import annotations

import random
import typing
from typing import Any

from pydantic import BaseModel

from sim.schema import Scenario

BIG = 300 * 1024  # over the 256 KB limit


def bomb(key: str, levels: int = 9) -> str:
    """A "billion laughs" alias bomb as the value of ``key`` (a dotted path)."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    anchors = "\n".join("x_" + line for line in lines)  # unknown keys carrying the anchors
    return nest(key, f"*a{levels - 1}", prefix=anchors.replace("x_a", "a") + "\n")


def nest(key: str, value: str, prefix: str = "") -> str:
    """YAML that sets the dotted ``key`` to the YAML text ``value``."""
    parts = key.split(".")
    text = prefix
    for depth, part in enumerate(parts[:-1]):
        text += "  " * depth + f"{part}:\n"
    return text + "  " * (len(parts) - 1) + f"{parts[-1]}: {value}\n"


def deep_list(n: int = 1000) -> str:
    return "[" * n + "]" * n


def deep_block(key: str, n: int = 300) -> str:
    return key + ":\n" + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(n)) + \
        "  " * (n + 1) + "v: 1\n"


def garbage(seed: int, size: int = 4096) -> bytes:
    return random.Random(seed).randbytes(size)


def _models(annotation: Any) -> list[type[BaseModel]]:
    args = typing.get_args(annotation)
    found = [a for a in (args or (annotation,)) if isinstance(a, type)
             and issubclass(a, BaseModel)]
    for arg in args:
        if not (isinstance(arg, type) and issubclass(arg, BaseModel)):
            found += _models(arg)
    return found


def _valid(field: Any) -> Any:
    """A valid value for a required field: 1 for a number, "a" for a name or key."""
    return "a" if field.annotation is str else 1


def numeric_paths(model: type[BaseModel] = Scenario, prefix: str = "",
                  tags: dict[str, Any] | None = None) -> list[tuple[str, dict[str, Any]]]:
    """(dotted path, the section's tag values needed to reach it) of every numeric field."""
    out: list[tuple[str, dict[str, Any]]] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = field.annotation
        plain = [a for a in (typing.get_args(annotation) or (annotation,)) if a is not type(None)]
        if any(a in (int, float) for a in plain) and annotation is not bool:
            out.append((path, dict(tags or {})))
        for sub in _models(annotation):
            tag = {k: sub.model_fields[k].default for k in ("dist", "kind")
                   if k in sub.model_fields}
            is_list = typing.get_origin(annotation) is list
            sub_prefix = f"{path}.0." if is_list else f"{path}."
            sub_tags = dict(tags or {})
            sub_tags.update({f"{sub_prefix}{k}": v for k, v in tag.items()})
            sub_tags.update({f"{sub_prefix}{k}": _valid(f) for k, f in sub.model_fields.items()
                             if f.is_required() and k not in tag})  # valid siblings
            out += numeric_paths(sub, sub_prefix, sub_tags)
    return out


def section_paths(model: type[BaseModel] = Scenario, prefix: str = "") -> list[str]:
    """Every section (sub-mapping) of the schema, "" for the top level."""
    out = [prefix.rstrip(".")]
    for name, field in model.model_fields.items():
        for sub in _models(field.annotation):
            tag = next((sub.model_fields[k].default for k in ("dist", "kind")
                        if k in sub.model_fields), None)
            is_list = typing.get_origin(field.annotation) is list
            sub_prefix = f"{prefix}{name}.0." if is_list else f"{prefix}{name}."
            if tag is None or not any(p.startswith(sub_prefix) for p in out):
                out += section_paths(sub, sub_prefix)
    return sorted(set(out))


def with_value(path: str, value: Any, tags: dict[str, Any]) -> dict[str, Any]:
    """A scenario dict with ``path`` set to ``value`` (lists as one-item lists)."""
    data: dict[str, Any] = {}
    for key, tag in {"arrivals.rate": 1, **tags, path: value}.items():
        node: Any = data
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            nxt = parts[i + 1]
            if part.isdigit():
                continue
            node = node.setdefault(part, [{}])[0] if nxt.isdigit() else node.setdefault(part, {})
        node[parts[-1]] = tag
    for key in ("faults",):  # a fault needs its time
        for item in data.get(key, []):
            item.setdefault("at", 1)
    return data


def corpus() -> list[tuple[str, str | bytes]]:
    """Named hostile files: bombs, nesting, size, garbage, tags."""
    items: list[tuple[str, str | bytes]] = []
    for key in ("title", "duration", "arrivals.rate", "zz_unknown", "workers.count"):
        items.append((f"bomb_{key}", bomb(key)))
    items.append(("bomb_in_list", "faults:\n  - &a {kind: broker_outage, at: 1, duration: 1}\n"
                                  "  - *a\n"))
    items.append(("deep_list_title", f"title: {deep_list()}\n"))
    items.append(("deep_list_unknown", f"zz: {deep_list(100_000)}\n"))
    items.append(("deep_block_description", deep_block("description")))
    items.append(("deep_block_arrivals", deep_block("arrivals")))
    items.append(("big_description", "description: " + "x" * BIG + "\n"))
    items.append(("big_comment", "duration: 10\n# " + "y" * BIG + "\n"))
    items.append(("big_profile", "arrivals:\n  rate: 1\n  profile:\n" +
                  "".join(f"    - {{at: {i}, rate: 1}}\n" for i in range(20_000))))
    items.append(("big_unknown", "zz: [" + ", ".join(["1"] * 80_000) + "]\n"))
    items.append(("many_steps", "arrivals:\n  rate: 1\n  profile:\n" +
                  "".join(f"    - {{at: {i}, rate: 1}}\n" for i in range(1_500))))
    items.append(("binary_random", garbage(1)))
    items.append(("binary_nul", b"duration: 10\x00\x01\x02"))
    items.append(("binary_png", b"\x89PNG\r\n\x1a\n" + garbage(2, 512)))
    items.append(("python_tag", "duration: !!python/object/apply:os.system [echo hi]\n"))
    items.append(("python_name", "title: !!python/name:os.system\n"))
    items.append(("custom_tag", "arrivals: !rate {rate: 5}\n"))
    items.append(("huge_int", "seed: " + "9" * 5000 + "\n"))
    items.append(("not_a_scenario", "# Notes\n\nSome text: here is a line of prose\n"))
    items.append(("prose", "The quick brown fox jumps over the lazy dog.\n"))
    items.append(("a_list", "- duration: 10\n"))
    items.append(("malformed", "duration: [10\nworkers: {count: 2\n"))
    items.append(("nan_duration", "duration: .nan\n"))
    items.append(("inf_max_drain", "limits: {max_drain: .inf}\n"))
    items.append(("huge_rate_limit", "workers: {rate_limit: '" + "9" * 5000 + "/s'}\n"))
    return items


def flow_bomb(levels: int = 9) -> str:
    """A "billion laughs" bomb as one flow mapping: fits in one link parameter (~1 KB)."""
    parts = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    parts += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels)]
    return "{" + ", ".join(parts) + "}"
