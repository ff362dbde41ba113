"""Names for Compare's A and B that say what differs between them ("A: prefetch 1" and
"B: prefetch 10"), and a line for what they share. Pure Python (no streamlit).

The names go into the KPI rows, every legend and every export, so they are short: the design
(sync or async) only when it differs, then each setting that differs, in words a student uses,
at most :data:`MOST` of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ui.knobs import BY_PATH

MOST = 3  # settings named in a label; more become "+2 more"


def _n(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def _off(word: str, fmt: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda v: word if v in (None, 0, 0.0, "0", "none") else fmt(v)


SHORT: dict[str, Callable[[Any], str]] = {  # knob key -> words for a value
    "rate": lambda v: f"{_n(v)} req/s",
    "duration": lambda v: f"{_n(v)}-s run",
    "web_timeout": _off("users never give up", lambda v: f"users give up after {_n(v)} s"),
    "client_retries": lambda v: f"{v} user retr{'y' if v == 1 else 'ies'}",
    "client_retry_delay": lambda v: f"user retry after {_n(v)} s",
    "web_workers": lambda v: f"{v} web thread{'s' * (v != 1)}",
    "task_mean": lambda v: f"task {_n(v)} s",
    "task_cv": lambda v: f"task CV {_n(v)}",
    "failure_rate": lambda v: f"{float(v):.0%} attempts fail",
    "poison_rate": lambda v: f"{float(v):.1%} poison",
    "ds_capacity": _off("downstream unlimited", lambda v: f"downstream takes {v}"),
    "ds_timeout": _off("no call time-out", lambda v: f"call time-out {_n(v)} s"),
    "workers": lambda v: f"{v} worker{'s' * (v != 1)}",
    "concurrency": lambda v: f"concurrency {v}",
    "prefetch": lambda v: f"prefetch {v}",
    "acks_late": lambda v: "late ack" if v else "early ack",
    "reject_on_lost": lambda v: "re-queue if worker dies" if v else "no re-queue",
    "rate_limit": _off("no rate limit", lambda v: f"rate limit {v}"),
    "soft_time_limit": _off("no soft limit", lambda v: f"soft limit {_n(v)} s"),
    "time_limit": _off("no hard limit", lambda v: f"hard limit {_n(v)} s"),
    "max_retries": lambda v: f"{v} retr{'y' if v == 1 else 'ies'}",
    "backoff": lambda v: "no back-off" if v == "none" else f"{v} back-off",
    "base": lambda v: f"back-off base {_n(v)} s",
    "cap": lambda v: f"back-off cap {_n(v)} s",
    "jitter": lambda v: "no jitter" if v == "none" else f"{v} jitter",
}


def setting_words(path: str, value: Any) -> str:
    """'prefetch 10' for ``workers.prefetch_multiplier = 10`` (a dotted scenario key)."""
    if path == "task.service" and isinstance(value, Mapping):
        mean, cv = value.get("mean", value.get("value")), value.get("cv")
        return "task " + ", ".join(x for x in (mean is not None and f"{_n(mean)} s",
                                                cv is not None and f"CV {_n(cv)}") if x)
    knob = BY_PATH.get(path)
    if knob is not None and knob.key in SHORT:
        try:
            return SHORT[knob.key](value)
        except (TypeError, ValueError):
            pass
    name = knob.label.split(" (")[0].lower() if knob is not None else path
    return f"{name} {_n(value)}"


Config = tuple[str, Mapping[str, Any]]  # mode, dotted overrides


def _values(configs: Mapping[str, Config], base: Mapping[str, Any]) -> dict[str, dict]:
    """Every side's mode and settings, a setting it does not change read from ``base``."""
    paths = list(dict.fromkeys(k for _m, changes in configs.values() for k in changes))
    return {side: {"mode": mode, **{p: changes[p] if p in changes else base.get(p)
                                     for p in paths}}
            for side, (mode, changes) in configs.items()}


def differing(configs: Mapping[str, Config], base: Mapping[str, Any]) -> list[str]:
    """The keys ("mode" or a dotted scenario key) whose values are not the same everywhere."""
    values = _values(configs, base)
    keys = list(next(iter(values.values()), {}))
    return [k for k in keys if len({repr(v.get(k)) for v in values.values()}) > 1]


def labels(configs: Mapping[str, Config], base: Mapping[str, Any]) -> dict[str, str]:
    """A name per side that says what differs: {"A": "A: sync", "B": "B: async"},
    {"A": "A: prefetch 1", "B": "B: prefetch 10"}; "A" and "B" alone when nothing differs.
    ``base`` holds the scenario's value of every dotted key a side changes."""
    values = _values(configs, base)
    keys = differing(configs, base)
    out = {}
    for side, mine in values.items():
        parts = [mine["mode"]] if "mode" in keys else []
        parts += [setting_words(k, mine[k]) for k in keys if k != "mode"]
        if len(parts) > MOST:
            parts = [*parts[:MOST], f"+{len(parts) - MOST} more"]
        out[side] = f"{side}: {', '.join(parts)}" if parts else side
    return out


def shared(configs: Mapping[str, Config], base: Mapping[str, Any]) -> str:
    """What A and B share beyond the scenario, in words: 'async, 20% attempts fail'."""
    values = list(_values(configs, base).values())
    keys = set(differing(configs, base))
    changed = {k for _m, changes in configs.values() for k in changes}
    first = values[0]
    parts = [first["mode"]] if "mode" not in keys else []
    parts += [setting_words(k, v) for k, v in first.items()
              if k != "mode" and k not in keys and k in changed]
    return ", ".join(parts)
