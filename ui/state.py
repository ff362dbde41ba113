"""Configuration <-> URL query parameters, so that a shared link reopens the same view.

A view is a scenario id, a seed, a mode and the dotted keys that differ from the scenario
(``workers.count=4``). Values are written as YAML scalars (or flow mappings) and read back with
the safe YAML loader; validation is left to the scenario schema.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

RESERVED = ("scenario", "seed", "mode")
MODES = ("both", "sync", "async")
TOP_LEVEL = ("duration", "warmup", "broker", "limits")  # undotted scenario keys a link can set


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
    """Read a value written by :func:`encode_value` (bad YAML comes back as the plain text)."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text


def encode(scenario_id: str, seed: int, mode: str, overrides: Mapping[str, Any],
           prefix: str = "") -> dict[str, str]:
    """Query parameters for a view; ``prefix`` namespaces the overrides (``A.``, ``B.``)."""
    params = {"scenario": scenario_id, "seed": str(seed)}
    if mode:
        params[f"{prefix}mode"] = mode
    params.update({f"{prefix}{key}": encode_value(v) for key, v in overrides.items()})
    return params


def decode(params: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """scenario, seed, mode and overrides found in query parameters (missing ones are None)."""
    def first(value: Any) -> str:
        return value[0] if isinstance(value, list) and value else str(value)

    flat = {k: first(v) for k, v in params.items()}
    seed_text = flat.get("seed")
    seed = int(seed_text) if seed_text and seed_text.strip().isdigit() else None
    mode = flat.get(f"{prefix}mode")
    overrides = {
        key[len(prefix):]: decode_value(value) for key, value in flat.items()
        if key.startswith(prefix) and ("." in key[len(prefix):]
                                       or key[len(prefix):] in TOP_LEVEL)
        and key[len(prefix):] not in RESERVED and key != f"{prefix}mode"
    }
    return {"scenario": flat.get("scenario"), "seed": seed, "mode": mode,
            "overrides": overrides}
