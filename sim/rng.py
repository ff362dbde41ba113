"""Named random streams: one independent stream per source of randomness.

Streams are derived from the run's seed and the stream's *name* (not the order in which they are
created), so adding a new source of randomness never changes the numbers an old one gives. This
is what makes common random numbers work: a sync and an async run with the same seed see the
same arrivals and the same task sizes.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

BLOCK = 4096


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator for ``name`` under ``seed``."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(key,)))


class Draws:
    """Hands out values one at a time from blocks drawn with numpy (fast and reproducible)."""

    __slots__ = ("_draw", "_it", "_rng", "next")

    def __init__(self, rng: np.random.Generator, draw: Callable[[np.random.Generator, int],
                                                                 np.ndarray]) -> None:
        self._rng = rng
        self._draw = draw
        self._it: Iterator[float] = iter(())
        self.next = self._next

    def _next(self) -> float:
        try:
            return next(self._it)
        except StopIteration:
            self._it = iter(self._draw(self._rng, BLOCK).tolist())
            return next(self._it)


class Streams:
    """The named streams of one run, created on first use."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._draws: dict[str, Draws] = {}

    def generator(self, name: str) -> np.random.Generator:
        return stream(self.seed, name)

    def draws(self, name: str, draw: Callable[[np.random.Generator, int], np.ndarray]) -> Draws:
        found = self._draws.get(name)
        if found is None:
            found = self._draws[name] = Draws(self.generator(name), draw)
        return found

    def uniforms(self, name: str) -> Draws:
        return self.draws(name, lambda rng, n: rng.random(n))


def draw_fn(streams: Streams, name: str, spec: Any) -> Callable[[], float]:
    """A function giving the next value of distribution ``spec`` from stream ``name``
    (a constant needs no stream at all)."""
    from sim.dists import sample

    if spec.dist == "constant":
        value = float(spec.value)
        return lambda: value
    return streams.draws(name, lambda rng, n: sample(spec, rng, n)).next
