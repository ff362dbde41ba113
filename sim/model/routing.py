"""How a RabbitMQ exchange picks the queues that get a copy of a published event.

The three AMQP 0-9-1 exchange types, with RabbitMQ's rules:

- ``direct``: a queue gets the event when its binding key equals the routing key exactly;
- ``fanout``: every bound queue gets it; the routing key is ignored;
- ``topic``: keys are words separated by dots; in a binding key ``*`` stands for exactly one
  word and ``#`` for zero or more words. An empty routing key has zero words (so ``#`` matches
  it and ``*`` does not); an empty word between two dots (``a..b``) is a word like any other.
  Matching is case-sensitive, and ``*``/``#`` are wildcards only as whole words.

A queue bound with several keys still gets one copy of an event that matches more than one of
them. An event no binding matches is unroutable: dropped, or handed to the alternate exchange
when one is declared.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, lru_cache


def words(key: str) -> tuple[str, ...]:
    """The words of a routing or binding key; the empty key has none."""
    return tuple(key.split(".")) if key else ()


@lru_cache(maxsize=4096)
def topic_matches(binding: str, routing_key: str) -> bool:
    """Whether a topic-exchange binding key matches a routing key (AMQP 0-9-1 topic rules)."""
    pattern, key = words(binding), words(routing_key)

    @cache
    def match(i: int, j: int) -> bool:  # pattern[i:] against key[j:]
        if i == len(pattern):
            return j == len(key)
        if pattern[i] == "#":  # zero words, or one word and keep the # for more
            return match(i + 1, j) or (j < len(key) and match(i, j + 1))
        if j == len(key):
            return False
        return pattern[i] in ("*", key[j]) and match(i + 1, j + 1)

    return match(0, 0)


def direct_matches(binding: str, routing_key: str) -> bool:
    return binding == routing_key


def fanout_matches(_binding: str, _routing_key: str) -> bool:
    return True


EXCHANGE_TYPES: dict[str, Callable[[str, str], bool]] = {
    "direct": direct_matches,
    "fanout": fanout_matches,
    "topic": topic_matches,
}


class Exchange:
    """An exchange of one type with one queue per bound service (queues numbered in order)."""

    def __init__(self, kind: str, bindings: Sequence[Sequence[str]]) -> None:
        self.matches = EXCHANGE_TYPES[kind]
        self.bindings = [tuple(keys) for keys in bindings]
        self._routes: dict[str, tuple[int, ...]] = {}

    def route(self, routing_key: str) -> tuple[int, ...]:
        """The queues that get a copy of an event with this routing key (each at most once)."""
        found = self._routes.get(routing_key)
        if found is None:
            found = self._routes[routing_key] = tuple(
                queue for queue, keys in enumerate(self.bindings)
                if any(self.matches(key, routing_key) for key in keys))
        return found


def binding_keys(routing_key: str | Sequence[str]) -> tuple[str, ...]:
    """A service's ``routing_key`` (one binding key or a list of them) as a tuple."""
    return (routing_key,) if isinstance(routing_key, str) else tuple(routing_key)


__all__ = ["EXCHANGE_TYPES", "Exchange", "binding_keys", "direct_matches", "fanout_matches",
           "topic_matches", "words"]
