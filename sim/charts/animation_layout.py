"""Fixed geometry of the animated system view: where each stage, box and dot sits.

One panel per run, stacked top to bottom, each 240 × 112 units (integers, so dot positions fit in
one byte): clients waiting → web threads (one box each) → broker queue (Kafka: one lane per
partition or consumer) and the back-off area → workers (one box each, one cell per slot) →
finished piles (done, failed, dead-lettered, lost). In sync mode the middle is empty: the web
thread runs the job itself. Every dot place is precomputed here; :mod:`sim.charts.animation`
only picks which place each entity takes at each frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.charts.animation_segments import (
    BACKOFF,
    DEAD,
    DONE,
    FAILED,
    LOST,
    NOT_READ,
    QUEUE,
    STAGES,
    THREAD,
    WAITING,
    WORKER,
    Segments,
)
from sim.charts.palette import FAULT_TEXT, INK, MUTED

WIDTH, PANEL_H = 240, 112
MAX_DOTS = 40  # drawn per stage (the count says how many there are)
PILE_DOTS = 12  # most recent dots shown in each finished pile
MAX_CELLS = 48  # worker slots drawn
FRAME, FILL = "#B0B6C0", "#F4F5F7"
BACKOFF_FILL = "#F7F2F6"
COLUMN_X = {"waiting": 26, "thread": 70, "queue": 121, "worker": 177, "done": 223}
PILES = ((DONE, "done"), (FAILED, "failed"), (DEAD, "dead-lettered"), (LOST, "lost"))


@dataclass
class Block:
    """Dot places of one stage (or queue lane): place k of the block is xy[offset + k]."""

    offset: int
    size: int


@dataclass
class Panel:
    """Geometry of one run's panel: dot places, boxes, labels and text places."""

    segs: Segments
    base_y: int
    places: list[tuple[int, int]] = field(default_factory=list)
    blocks: dict[tuple[int, int], Block] = field(default_factory=dict)
    boxes: list[tuple[float, float, float, float, str, str]] = field(default_factory=list)
    labels: list[tuple[float, int, str, int, str, str]] = field(default_factory=list)
    arrows: list[tuple[float, int, float, int]] = field(default_factory=list)
    texts: dict[str, tuple[int, int, int, str, str]] = field(default_factory=dict)
    zones: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)
    threads_drawn: int = 0
    workers_drawn: int = 0
    cells_per_worker: int = 0
    piles: tuple[tuple[int, str], ...] = PILES

    # --- helpers ------------------------------------------------------------------------
    def y(self, local: float) -> int:
        return round(self.base_y + local)

    def block(self, key: tuple[int, int], spots: list[tuple[int, int]]) -> None:
        self.blocks[key] = Block(len(self.places), len(spots))
        self.places += [(x, self.y(y)) for x, y in spots]

    def box(self, x0: float, y0: float, x1: float, y1: float, fill: str = FILL,
            style: str = "solid") -> None:
        """A rectangle drawn under the dots (``fill`` "white" = outline only)."""
        self.boxes.append((x0, self.base_y + y0, x1, self.base_y + y1, fill, style))

    def note(self, x: float, y: float, text: str, size: int = 12, color: str = INK,
             anchor: str = "center") -> None:
        """A fixed label; ``anchor`` is the side of the text at (x, y)."""
        pos = {"center": "middle center", "left": "middle right", "right": "middle left"}
        self.labels.append((x, self.y(y), text, size, color, pos[anchor]))

    def arrow(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """A grey arrow from (x0, y0) to (x1, y1): the way dots flow."""
        self.arrows.append((x0, self.y(y0), x1, self.y(y1)))

    def zone(self, name: str, x0: float, y0: float, x1: float, y1: float) -> None:
        """A rectangle that greys out or shades while a fault lasts."""
        self.zones.setdefault(name, []).append((x0, self.base_y + y0, x1, self.base_y + y1))

    def text(self, name: str, x: int, y: int, size: int = 12, color: str = INK,
             pos: str = "middle center") -> None:
        self.texts[name] = (x, self.y(y), size, color, pos)


def pile(x_right: int, y_top: int, cols: int, rows: int, dx: int = 5, dy: int = 6,
         leftward: bool = True) -> list[tuple[int, int]]:
    """Places filled row by row, starting at the top right (the head of a queue)."""
    step = -dx if leftward else dx
    return [(x_right + step * c, y_top - dy * r) for r in range(rows) for c in range(cols)]


def build_panel(segs: Segments, index: int, count: int, title: str, color: str) -> Panel:
    """The panel of one run, ``index`` from the top of ``count`` panels."""
    panel = Panel(segs, base_y=(count - 1 - index) * PANEL_H)
    sync = segs.mode == "sync"
    panel.note(0, 106, title, size=15, color=color, anchor="left")
    panel.text("clock", WIDTH, 106, 13, INK, "middle left")  # each panel shows the time
    panel.text("banner", WIDTH - 42, 106, 13, FAULT_TEXT, "middle left")
    _waiting(panel)
    _threads(panel, sync)
    panel.arrow(49, 60, 58, 60)
    if sync:
        panel.box(99, 40, 203, 90, fill="white", style="dot")
        panel.note(151, 65, "no broker, no workers:<br>each web thread runs the job itself,"
                   "<br>retries and back-off included,<br>while its user waits",
                   size=13, color=MUTED)
        panel.arrow(84, 30, 206, 30)
        panel.note(151, 33.5, "job done (or failed) → the response goes out", size=12,
                   color=MUTED)
        panel.zone("downstream", 56, 20, 84, 91)
    else:
        _queue(panel)
        _workers(panel)
        if segs.lane_by != "service":  # fan-out draws one arrow per queue
            panel.arrow(84, 72, 98, 72)
            panel.note(91, 77, "publish", size=12, color=MUTED)
        panel.arrow(145, 72, 154, 72)
        panel.arrow(154, 33, 145, 33)
        panel.note(149.5, 37.5, "failed", size=12, color=MUTED)
        panel.arrow(104, 46.5, 104, 55.5)
        panel.note(106, 51, "retry", size=12, color=MUTED, anchor="left")
        panel.arrow(202, 60, 207, 60)
        panel.zone("downstream", 150, 20, 204, 91)
    _piles(panel, sync)
    return panel


def _waiting(panel: Panel) -> None:
    panel.note(COLUMN_X["waiting"], 97, "<b>clients</b><br>wait for a thread", size=12)
    panel.box(5, 44, 48, 76)
    panel.block((WAITING, 0), pile(44, 72, 8, 5))
    panel.text("waiting", COLUMN_X["waiting"], 13)
    panel.text("shed", COLUMN_X["waiting"], 6, 12, "#B42318")


def _threads(panel: Panel, sync: bool) -> None:
    n = panel.threads_drawn = min(panel.segs.threads, MAX_DOTS)
    cols = -(-n // 10)
    rows = -(-n // cols)
    h = min(8, 66 // rows)
    spots = []
    for k in range(n):
        c, r = divmod(k, rows)
        x = 70 + (2 * c - (cols - 1)) * 9 // 2
        y = 89 - r * h - h // 2
        spots.append((x, y))
        panel.box(x - 4, y - h / 2 + 0.6, x + 4, y + h / 2 - 0.6, fill="white")
    panel.block((THREAD, 0), spots)
    head = "run the job inline" if sync else "reply “202 accepted”"
    panel.note(COLUMN_X["thread"], 97, f"<b>web threads</b> ({panel.segs.threads})<br>{head}",
               size=12)
    if panel.segs.threads > n:
        panel.note(70, 17.5, f"+{panel.segs.threads - n} more threads", size=12, color=MUTED)
    panel.text("threads", COLUMN_X["thread"], 13)
    panel.text("answered", COLUMN_X["thread"], 6, 12, MUTED)


def _queue(panel: Panel) -> None:
    lanes = panel.segs.lanes
    kafka = len(lanes) > 1
    what = "Kafka log" if panel.segs.mode == "async" and kafka else "broker queue"
    if panel.segs.lane_by == "service":
        _service_queues(panel)
        return
    panel.note(COLUMN_X["queue"], 97, f"<b>{what}</b><br>oldest on the right", size=12)
    panel.box(99, 56, 144, 90)
    if kafka:
        gap = max(4, 33 // len(lanes))
        for lane, name in enumerate(lanes):
            y = 87 - lane * gap
            short = "new" if name == NOT_READ else name.replace("partition ", "p").replace(
                "consumer ", "c").replace("retry topic", "retry")
            panel.note(100, y, short, size=12, color=MUTED, anchor="left")
            panel.block((QUEUE, lane), pile(141, y, 6, 1))
    else:
        panel.block((QUEUE, 0), pile(140, 86, 8, 5))
    _backoff(panel)


def _backoff(panel: Panel) -> None:
    """The queue's count, the back-off area under it, and the zone a broker outage shades."""
    panel.text("queue", COLUMN_X["queue"], 13)
    panel.box(99, 20, 144, 46, fill=BACKOFF_FILL)
    panel.block((BACKOFF, 0), pile(140, 42, 8, 4, dy=5))
    panel.text("backoff", 126, 51, 12, "#7A4F6D")
    panel.zone("broker", 99, 56, 144, 90)


def _service_queues(panel: Panel) -> None:
    """Fan-out: the exchange copies each event into the queue (Kafka: the consumer group) of
    every service it reaches; one lane per service, in the service's colour."""
    lanes, labels = panel.segs.lanes, panel.segs.worker_labels
    colours = {label.rsplit(" ", 1)[0]: colour for label, colour in labels}
    head = ("<b>one topic, a consumer group<br>per service</b>" if panel.segs.kafka_groups
            else "<b>exchange → a queue<br>per service</b>")
    panel.note(COLUMN_X["queue"], 97, head, size=12)
    panel.box(99, 56, 144, 90)
    gap = max(4, 33 // len(lanes))
    for lane, name in enumerate(lanes):
        y = 87 - lane * gap
        panel.note(100, y, name[:6], size=12, color=colours.get(name[:6], MUTED), anchor="left")
        panel.block((QUEUE, lane), pile(141, y, 5, 1))
        panel.arrow(88, 72, 98.5, y)
    panel.note(88, 77, "1 event", size=12, color=MUTED)
    _backoff(panel)


def _workers(panel: Panel) -> None:
    segs = panel.segs
    per = min(segs.concurrency, 16)
    cols, rows = min(per, 8), -(-per // 8)
    unit = rows * 6 + 3
    n = panel.workers_drawn = max(1, min(segs.workers, 68 // unit, max(1, MAX_CELLS // per)))
    panel.cells_per_worker = per
    x0 = 177 - (cols - 1) * 5 // 2
    spots, zones = [], []
    for w in range(n):
        top = 90 - w * unit
        panel.box(x0 - 4, top - unit + 1.5, x0 + (cols - 1) * 5 + 4, top, fill="white")
        name, colour = segs.worker_labels[w] if w < len(segs.worker_labels) else (f"w{w}",
                                                                                  MUTED)
        panel.note(x0 - 5, top - unit / 2 + 0.8, name, size=12, color=colour, anchor="right")
        panel.zone("crash", x0 - 4, top - unit + 1.5, x0 + (cols - 1) * 5 + 4, top)
        zones.append((x0 - 4, top - unit + 1.5, x0 + (cols - 1) * 5 + 4, top))
        spots += [(x0 + 5 * c, top - 3.5 - 6 * r) for r in range(rows) for c in range(cols)][:per]
    panel.block((WORKER, 0), [(x, round(y)) for x, y in spots])
    for w, (a, b, c, d) in enumerate(zones):
        panel.text(f"down{w}", (a + c) // 2, round((b + d) / 2), 12, "white")
    label = (f"<b>workers</b> ({segs.workers}, {segs.slots} slots)" if segs.slots_total
             else f"<b>workers</b> ({segs.workers} × {segs.concurrency})")
    panel.note(COLUMN_X["worker"], 97, f"{label}<br>one job per slot", size=12)
    if segs.workers > n or segs.concurrency > per:
        panel.note(177, 17.5, f"drawn: {n} of {segs.workers} workers, {per} slots each",
                   size=12, color=MUTED)
    panel.text("workers", COLUMN_X["worker"], 13)
    panel.text("workers2", COLUMN_X["worker"], 6, 12, MUTED)
    panel.text("broker_fault", 121, 73, 12, FAULT_TEXT)
    panel.text("downstream_fault", 177, 24, 12, FAULT_TEXT)


def _piles(panel: Panel, sync: bool) -> None:
    piles = PILES[:2] if sync else PILES
    panel.piles = piles
    head = "responses" if sync else "jobs finished"
    panel.note(COLUMN_X["done"], 97, f"<b>{head}</b><br>newest first", size=12)
    for k, (stage, _name) in enumerate(piles):
        top = 90 - 18 * k
        panel.text(STAGES[stage], 207, top - 1, 12, INK, "middle right")
        panel.box(208, top - 14, 240, top - 3)
        panel.block((stage, 0), pile(212, top - 5.5, 6, 2, dy=5, leftward=False))
    if sync:
        panel.text("downstream_fault", 151, 47, 12, FAULT_TEXT)


REGIONS = (  # stage name, x from, x to, local y from, local y to: where a dot is
    ("waiting", 0, 50, 0, 92), ("thread", 50, 93, 0, 92), ("queue", 95, 148, 52, 92),
    ("backoff", 95, 148, 0, 52), ("worker", 148, 205, 0, 92), ("done", 205, 242, 72, 92),
    ("failed", 205, 242, 54, 72), ("dead_lettered", 205, 242, 36, 54),
    ("lost", 205, 242, 18, 36),
)


def locate(x: float, y: float, panels: int) -> tuple[int, str]:
    """(panel index from the top, stage name) of a dot place: the inverse of the layout."""
    index = panels - 1 - int(y // PANEL_H)
    local = y - (panels - 1 - index) * PANEL_H
    for name, x0, x1, y0, y1 in REGIONS:
        if x0 <= x < x1 and y0 <= local < y1:
            return index, name
    return index, "?"


def rect_path(zones: list[tuple[float, float, float, float]]) -> tuple[list, list]:
    """x, y of closed rectangles separated by gaps (one fill trace draws them all)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for a, b, c, d in zones:
        xs += [a, c, c, a, a, None]
        ys += [b, b, d, d, b, None]
    return xs, ys


def place_arrays(panels: list[Panel]) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """All dot places of all panels as x and y arrays, and each panel's offset into them."""
    offsets, xs, ys = [], [], []
    for p in panels:
        offsets.append(len(xs))
        xs += [x for x, _ in p.places]
        ys += [y for _, y in p.places]
    return np.asarray(xs), np.asarray(ys), offsets
