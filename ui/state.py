"""Configuration <-> URL query parameters, so that a shared link reopens the same view.

A view is a scenario id, a seed, a mode, the number of replications (``reps``, written only
when above 1) and the dotted keys that differ from the scenario (``workers.count=4``). Values
are written as YAML scalars (or flow mappings) and read back with the safe YAML loader of
``sim.safe_yaml`` (no aliases, small sizes); validation is left to the scenario schema. A link
longer than ``MAX_LINK`` characters is ignored as a whole, and every value that cannot be read
is listed in ``errors`` ("field: reason") for the page to show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from sim.safe_yaml import YAMLRefused, quote
from sim.safe_yaml import load as safe_load

RESERVED = ("scenario", "seed", "mode", "reps")
MODES = ("both", "sync", "async")
TOP_LEVEL = ("duration", "warmup", "broker", "limits")  # undotted scenario keys a link can set
MAX_LINK = 8 * 1024  # characters of query parameters; a shared view needs a few hundred
MAX_VALUE = 2 * 1024
MAX_SEED = 2**53 - 1  # what a browser's number field holds exactly (and < 2**63 for the engine)
MAX_REPS = 30  # replications per configuration in the app (the Replications slider)


def encode_value(value: Any) -> str:
    """A URL-friendly text for a scenario value: 4, 0.5, true, exponential, {dist: ...}."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if abs(value) >= 1e-4 or value == 0 else repr(value)
    if isinstance(value, (int, str)):
        return str(value)
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False).strip()


def decode_value(text: str) -> Any:
    """Read a value written by :func:`encode_value` (bad YAML comes back as the plain text);
    YAML a scenario may not use (aliases, tags, deep nesting, too long) raises YAMLRefused."""
    if len(text) > MAX_VALUE:
        raise YAMLRefused(f"too long ({len(text):,} characters; at most {MAX_VALUE:,})")
    try:
        return safe_load(text, max_bytes=MAX_VALUE)
    except YAMLRefused as exc:
        if str(exc).startswith("malformed YAML"):
            return text
        raise


def decode_seed(text: str | None) -> tuple[int | None, str | None]:
    """(seed, None) for a whole number 0..MAX_SEED written in ASCII digits, else (None, why)."""
    if text is None or not text.strip():
        return None, None
    if re.fullmatch(r"\s*\d{1,16}\s*", text, flags=re.ASCII) and int(text) <= MAX_SEED:
        return int(text), None
    return None, f"seed: must be a whole number from 0 to {MAX_SEED}, got {quote(text)}"


def decode_whole(text: str | None, field: str, low: int, high: int
                 ) -> tuple[int | None, str | None]:
    """(n, None) for a whole number ``low``..``high`` written in ASCII digits, (None, None)
    when absent, else (None, "field: must be ..., got ...")."""
    if text is None or not str(text).strip():
        return None, None
    if re.fullmatch(r"\s*\d{1,6}\s*", text, flags=re.ASCII) and low <= int(text) <= high:
        return int(text), None
    return None, f"{field}: must be a whole number from {low} to {high}, got {quote(text)}"


def link_length(params: Mapping[str, Any]) -> int:
    """Characters in the query parameters (keys and every value)."""
    return sum(len(str(k)) + sum(len(str(v)) for v in (vs if isinstance(vs, list) else [vs]))
               for k, vs in params.items())


def encode(scenario_id: str, seed: int, mode: str, overrides: Mapping[str, Any],
           prefix: str = "", reps: int = 1) -> dict[str, str]:
    """Query parameters for a view; ``prefix`` namespaces the overrides (``A.``, ``B.``)."""
    params = {"scenario": scenario_id, "seed": str(seed)}
    if reps > 1:
        params["reps"] = str(reps)
    if mode:
        params[f"{prefix}mode"] = mode
    params.update({f"{prefix}{key}": encode_value(v) for key, v in overrides.items()})
    return params


def decode(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """scenario, seed, mode, reps and overrides found in query parameters (missing ones are
    None), and ``errors``: one "field: reason" line per value that was ignored."""
    def first(value: Any) -> str:
        return value[0] if isinstance(value, list) and value else str(value)

    empty = {"scenario": None, "seed": None, "mode": None, "reps": None, "overrides": {},
             "errors": []}
    size = link_length(params)
    if size > MAX_LINK:
        return {**empty, "errors": [f"the link is longer than {MAX_LINK // 1024} KB "
                                    f"({size / 1024:,.0f} KB)"]}
    flat = {k: first(v) for k, v in params.items()}
    seed, seed_error = decode_seed(flat.get("seed"))
    reps, reps_error = decode_whole(flat.get("reps"), "reps", 1, MAX_REPS)
    errors = [e for e in (seed_error, reps_error) if e]
    mode = flat.get(f"{prefix}mode")
    overrides = {}
    for key, value in flat.items():
        name = key[len(prefix):]
        if key.startswith(prefix) and ("." in name or name in TOP_LEVEL) \
                and name not in RESERVED and key != f"{prefix}mode":
            try:
                overrides[name] = decode_value(value)
            except YAMLRefused as exc:
                errors.append(f"{key if len(key) <= 60 else key[:59] + '…'}: {exc}")
    return {"scenario": flat.get("scenario"), "seed": seed, "mode": mode, "reps": reps,
            "overrides": overrides, "errors": errors}
