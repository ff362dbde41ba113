"""The one YAML reader for untrusted text: scenario files, the lab's paste and upload, link values.

YAML can say much more than a scenario needs, and some of it is dangerous on a shared server:
anchors and aliases (``&a [..]`` / ``*a``) let a 1 KB text expand to gigabytes ("billion
laughs"), deep nesting exhausts the parser's recursion, tags (``!!python/object``) name types,
and a huge file takes minutes to parse. A scenario needs none of it, so this reader refuses it
*while composing*, before any Python object is built:

- a size limit (``MAX_BYTES``), checked before parsing;
- no anchors, aliases or tags at all;
- nesting at most ``MAX_DEPTH`` levels, at most ``MAX_NODES`` values;
- numbers too long to convert are refused, not raised from deep inside PyYAML.

Every refusal is one :class:`YAMLRefused` line that says what was refused and where (line and
column), and never echoes more than ``QUOTE`` characters of the input.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

MAX_BYTES = 256 * 1024  # a scenario is a few KB; 256 KB leaves room for long descriptions
MAX_DEPTH = 20  # a scenario nests 4 levels deep (faults -> item -> service -> mean)
MAX_NODES = 20_000  # a 1,000-step profile is ~3,000 values
QUOTE = 80  # the most characters of an input value an error message shows


class YAMLRefused(ValueError):
    """YAML that is malformed or uses something a scenario may not; the message is one line."""


def quote(value: Any, limit: int = QUOTE) -> str:
    """``repr(value)``, cut to ``limit`` characters with an ellipsis."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


_FAST = getattr(yaml, "CSafeLoader", None)  # libyaml when installed: ~20x faster
LOADER: type = _FAST or yaml.SafeLoader
_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
_NODE = (yaml.ScalarEvent, *_OPEN)


def _check_events(text: str) -> None:
    """Walk the parser's events (no objects are built) and refuse anchors, aliases, tags,
    deep nesting and too many values, naming the line and column."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=LOADER):
        where = _where(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            raise YAMLRefused(f"YAML aliases (*name) are not allowed in a scenario{where}")
        if isinstance(event, _NODE):
            if event.anchor is not None:
                raise YAMLRefused(f"YAML anchors (&name) are not allowed in a scenario{where}")
            if event.tag is not None:
                raise YAMLRefused(f"YAML tags ({quote(event.tag, 40)}) are not allowed in a "
                                  f"scenario{where}")
            nodes += 1
            if nodes > MAX_NODES:
                raise YAMLRefused(f"too many values (more than {MAX_NODES:,}){where}")
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                raise YAMLRefused(f"nested more than {MAX_DEPTH} levels deep{where}")
        elif isinstance(event, _CLOSE):
            depth -= 1


def _malformed(exc: yaml.YAMLError) -> str:
    if isinstance(exc, yaml.reader.ReaderError):
        return f"not YAML text: character #x{exc.character:04x} at byte {exc.position}" \
            if isinstance(exc.character, int) else "not YAML text (undecodable bytes)"
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None) \
        or type(exc).__name__
    return f"malformed YAML{_where(mark)}: {problem}"


def load(text: str | bytes, max_bytes: int = MAX_BYTES) -> Any:
    """Parse untrusted YAML text into plain Python data, or raise :class:`YAMLRefused`."""
    if isinstance(text, bytes):
        if len(text) > max_bytes:
            raise YAMLRefused(_too_big(len(text), max_bytes))
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise YAMLRefused(f"not UTF-8 text (bad byte at position {exc.start})") from None
    if len(text) > max_bytes or len(text.encode("utf-8", errors="replace")) > max_bytes:
        raise YAMLRefused(_too_big(len(text.encode("utf-8", errors="replace")), max_bytes))
    _check_brackets(text)
    try:
        _check_events(text)
        return yaml.load(text, Loader=LOADER)
    except yaml.YAMLError as exc:
        raise YAMLRefused(_malformed(exc)) from None
    except (ValueError, OverflowError, RecursionError, TypeError) as exc:
        if isinstance(exc, YAMLRefused):
            raise
        # e.g. an integer with more digits than Python converts, a non-hashable key
        raise YAMLRefused(f"cannot read a value: {quote(str(exc), 60)}") from None


_BRACKET = re.compile(r"[\[\]{}]")
MAX_BRACKETS = 2 * MAX_DEPTH


def _check_brackets(text: str) -> None:
    """Refuse deeply nested ``[`` / ``{`` before the parser sees them: PyYAML's scanner looks
    ahead over every open flow bracket (quadratic time). Brackets inside quoted strings count
    too, so the bound is twice ``MAX_DEPTH``; no scenario comes near it."""
    depth = 0
    for match in _BRACKET.finditer(text):
        depth += 1 if match[0] in "[{" else -1
        if depth > MAX_BRACKETS:
            line = text.count("\n", 0, match.start()) + 1
            raise YAMLRefused(f"nested more than {MAX_DEPTH} levels deep at line {line}")


def _too_big(size: int, limit: int) -> str:
    return f"too large: {size / 1024:,.0f} KB; a scenario may be at most {limit // 1024} KB"


__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "QUOTE", "YAMLRefused", "load", "quote"]
