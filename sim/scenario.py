"""Scenarios: loading (safe YAML), dotted overrides, and one-line validation errors.

All YAML goes through :mod:`sim.safe_yaml` (size, depth and alias limits). Messages quote at
most ~80 characters of an offending value, and a file that is not a scenario at all is called
that, without echoing its content.

A scenario is a frozen pydantic model (``sim.schema``, unknown keys rejected) loaded
from YAML with the safe loader. Changes are validated copies:
``apply_overrides(scenario, {"workers.count": 4})``.
Every validation problem becomes a :class:`ScenarioError` whose message names the field path
and the allowed values, e.g. ``workers.count: must be ≥ 1, got 0``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from sim.safe_yaml import MAX_BYTES, YAMLRefused, quote
from sim.safe_yaml import load as safe_load
from sim.schema import (  # noqa: F401 - re-exported: the schema lives in sim.schema
    Arrivals,
    Broker,
    BrokerOutage,
    ConstantDist,
    Distribution,
    Downstream,
    DownstreamOutage,
    DownstreamSlowdown,
    ErlangDist,
    EventKind,
    Exchange,
    ExponentialDist,
    Fault,
    KafkaBroker,
    LognormalDist,
    RabbitMQBroker,
    RedisBroker,
    Retry,
    Scenario,
    Service,
    Task,
    UniformDist,
    Web,
    WorkerCrash,
    Workers,
)

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"


class ScenarioError(ValueError):
    """A scenario (file, dict or override) that is not valid; the message is one line."""



# --- error messages ------------------------------------------------------------------------


def _variants(annotation: Any) -> dict[str, type[BaseModel]]:
    """Tagged-union members of a field annotation, by their tag value."""
    if getattr(annotation, "__metadata__", None):  # Annotated[Union[...], Field(...)]
        annotation = annotation.__origin__
    args = getattr(annotation, "__args__", None) or (annotation,)
    found: dict[str, type[BaseModel]] = {}
    for arg in args:
        if getattr(arg, "__metadata__", None):  # Optional[Annotated[Union[...], ...]]
            found.update(_variants(arg))
        elif isinstance(arg, type) and issubclass(arg, BaseModel):
            for tag_field in ("dist", "kind"):
                field = arg.model_fields.get(tag_field)
                if field is not None:
                    found[str(field.default)] = arg
    return found


def _walk(loc: tuple[Any, ...]) -> tuple[str, type[BaseModel] | None]:
    """Dotted path of an error location (union tags left out) and the model owning its last key."""
    keys = [str(k) for k in loc]
    model: type[BaseModel] | None = Scenario
    owner: type[BaseModel] | None = Scenario
    parts: list[str] = []
    i = 0
    while i < len(keys):
        parts.append(keys[i])
        owner = model
        field = model.model_fields.get(keys[i]) if model is not None else None
        i += 1
        if field is None:
            model = None
            continue
        annotation = field.annotation
        if getattr(annotation, "__origin__", None) is list:  # faults: [..] -> faults.0.<key>
            annotation = annotation.__args__[0]
            if i < len(keys) and keys[i].isdigit():
                parts.append(keys[i])
                i += 1
        variants = _variants(annotation)
        if variants and i < len(keys) and keys[i] in variants:
            model = variants[keys[i]]
            i += 1
        elif len(variants) == 1:
            model = next(iter(variants.values()))
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            model = None
    return ".".join(parts), owner


class _Quoted:
    """A value shown in a message: its repr, cut to ~80 characters."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return quote(self.value)


def _short(path: str) -> str:
    """A field path whose parts (keys typed by a user) are cut to ~40 characters each."""
    return ".".join(p if len(p) <= 40 else p[:39] + "…" for p in path.split("."))


def describe_error(error: dict[str, Any]) -> str:
    """The problem of one pydantic error in our wording (without the field path)."""
    kind, ctx, got = error["type"], error.get("ctx", {}), _Quoted(error.get("input"))
    bounds = {"greater_than_equal": ("≥", "ge"), "greater_than": (">", "gt"),
              "less_than_equal": ("≤", "le"), "less_than": ("<", "lt")}
    if kind in bounds:
        sign, key = bounds[kind]
        bound = ctx[key]
        return f"must be {sign} {bound if isinstance(bound, int) else format(bound, 'g')}, " \
               f"got {got!r}"
    if kind == "literal_error":
        return f"must be one of {ctx['expected']}, got {got!r}"
    if kind == "union_tag_invalid":
        return f"must be one of {ctx['expected_tags']}, got {_Quoted(ctx.get('tag'))!r}"
    if kind == "missing":
        return "is required"
    if kind.startswith(("int_", "float_", "bool_", "string_")) and kind.endswith(("_type",
                                                                                   "_parsing")):
        expected = kind.split("_")[0].replace("float", "number").replace("int", "whole number")
        return f"must be a {expected}, got {got!r}"
    if kind == "too_long":
        return f"must have at most {ctx['max_length']} items, got {ctx.get('actual_length')}"
    if kind == "string_too_long":
        return f"must be at most {ctx['max_length']} characters long"
    if kind == "finite_number":
        return f"must be a finite number (not NaN or infinity), got {got!r}"
    if kind == "int_from_float":
        return f"must be a whole number, got {got!r}"
    if kind == "model_type" or kind == "model_attributes_type":
        return f"must be a mapping of keys, got {got!r}"
    if kind == "string_pattern_mismatch":
        return f"may use letters, digits, _ and - only, got {got!r}"
    msg = error["msg"]
    return msg.removeprefix("Value error, ")


def format_error(exc: ValidationError) -> str:
    """One line naming the first invalid field and what is allowed."""
    try:
        return _format_error(exc)
    except Exception:  # a message we did not foresee: still one line, still the field
        error = exc.errors()[0]
        path = _short(".".join(str(k) for k in error["loc"])) or "scenario"
        return f"{path}: {error['msg'][:200]}"


def _format_error(exc: ValidationError) -> str:
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    error = errors[0]
    path, owner = _walk(tuple(error["loc"]))
    path = _short(path)
    if error["type"] == "extra_forbidden":
        allowed = sorted(owner.model_fields) if owner is not None else []
        parent = path.rsplit(".", 1)[0] if "." in path else "scenario"
        return f"{path}: unknown key; allowed keys in {parent}: {', '.join(allowed)}"
    if error["type"] == "union_tag_not_found" and owner is not None:
        name = next(p for p in reversed(path.split(".")) if not p.isdigit())
        annotation = owner.model_fields[name].annotation
        if getattr(annotation, "__origin__", None) is list:
            annotation = annotation.__args__[0]
        tag = error["ctx"]["discriminator"].strip("'")
        return f"{path}: needs '{tag}', one of {', '.join(_variants(annotation))}"
    more = len(errors) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    text = describe_error(error)
    if error["type"] == "value_error" and re.match(r"^[\w.]+: ", text):  # "field: problem"
        return f"{path + '.' if path else ''}{text}{suffix}"
    return f"{path or 'scenario'}: {text}{suffix}"


# --- loading and overriding ----------------------------------------------------------------


_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")  # what a (mistyped) scenario key looks like
NOT_A_SCENARIO = ("not a scenario: a scenario is a YAML mapping of keys such as "
                  "'duration: 120' and 'arrivals: {rate: 20}'")


def from_dict(data: Any) -> Scenario:
    """Validate a plain mapping into a Scenario, raising ScenarioError."""
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario: must be a mapping of keys, got {type(data).__name__}")
    keys = set(map(str, data))
    if keys and not keys & set(Scenario.model_fields) and not all(map(_KEY.match, keys)):
        raise ScenarioError(NOT_A_SCENARIO)  # prose, a README, a log: named, not echoed
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(format_error(exc)) from None


def parse_yaml(text: str | bytes, source: str = "scenario") -> dict[str, Any]:
    """Untrusted YAML text (a file, a paste, an upload) -> a plain mapping, through the safe
    loader; ScenarioError (one line, no echo of the content) otherwise."""
    try:
        data = safe_load(text)
    except YAMLRefused as exc:
        raise ScenarioError(f"{source}: {exc}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: {NOT_A_SCENARIO}")
    return data


def bundled_ids() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def resolve_path(name_or_path: str | Path) -> Path:
    """A bundled scenario id or a path to a YAML file."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise ScenarioError(f"{name_or_path}: no such file")
        return path
    bundled = SCENARIO_DIR / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    known = ", ".join(bundled_ids())
    raise ScenarioError(f"{name_or_path}: no such file or bundled scenario (bundled: {known})")


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load a bundled scenario by id or a YAML file by path, then apply dotted overrides."""
    path = resolve_path(name_or_path)
    try:
        with path.open("rb") as handle:
            text = handle.read(MAX_BYTES + 1)  # never more: the size is refused before parsing
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from None
    data = parse_yaml(text, str(path))
    if overrides:
        data = _set_many(data, overrides)
    return from_dict(data)


def _set_many(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(data)
    for key, value in overrides.items():
        _set_dotted(data, key, value)
    return data


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    parts = key.split(".")
    if not all(parts) or len(parts) > 8:
        raise ScenarioError(f"{_short(key)}: not a dotted key like workers.count")
    node: Any = data
    for i, part in enumerate(parts[:-1]):
        if isinstance(node, list):  # services.2.workers.count: the third service
            node = _item(node, part, parts[: i + 1])
            continue
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, (dict, list)):
            raise ScenarioError(f"{'.'.join(parts[: i + 1])}: is a value, not a section")
        node = child
    if isinstance(node, list):
        _item(node, parts[-1], parts)
        node[int(parts[-1])] = value
    else:
        node[parts[-1]] = value


def _item(items: list[Any], part: str, path: list[str]) -> Any:
    """The list entry a dotted key's number names (``services.0``)."""
    if not part.isdigit() or int(part) >= len(items):
        raise ScenarioError(f"{'.'.join(path)}: no item {part} (the list has {len(items)})")
    return items[int(part)]


def apply_overrides(scenario: Scenario, overrides: dict[str, Any]) -> Scenario:
    """A validated copy of ``scenario`` with dotted keys changed; the original is untouched."""
    if not overrides:
        return scenario
    return from_dict(_set_many(scenario.to_dict(), overrides))


def parse_assignment(text: str) -> tuple[str, Any]:
    """``workers.count=4`` -> ("workers.count", 4); the value is read as a YAML scalar."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ScenarioError(f"--set {quote(text)}: expected KEY=VALUE, e.g. workers.count=4")
    return key, parse_value(key, raw)


def parse_value(key: str, raw: str) -> Any:
    """One override value (``--set``, a link), read as YAML through the safe loader."""
    try:
        return safe_load(raw, max_bytes=VALUE_BYTES) if raw.strip() else ""
    except YAMLRefused as exc:
        raise ScenarioError(f"{_short(key)}: cannot read value {quote(raw)}: {exc}") from None


VALUE_BYTES = 8 * 1024  # one override value: a number, a word, a small mapping
