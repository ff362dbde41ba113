"""Compare names A and B by what differs between them, in full (they go into legends and
exports), and says once what they share."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.ui.charts import chart_specs
from ui.compare_labels import differing, labels, shared

APP = str(Path(__file__).resolve().parents[2] / "app.py")
BASE = {"workers.prefetch_multiplier": 4, "workers.count": 2, "task.failure_rate": 0.05,
        "retry.backoff": "exponential", "retry.jitter": "full"}


def test_labels_name_only_what_differs() -> None:
    assert labels({"A": ("sync", {}), "B": ("async", {})}, BASE) == \
        {"A": "A: sync", "B": "B: async"}
    prefetch = {"A": ("async", {"workers.prefetch_multiplier": 1}),
                "B": ("async", {"workers.prefetch_multiplier": 10})}
    assert labels(prefetch, BASE) == {"A": "A: prefetch 1", "B": "B: prefetch 10"}
    assert shared(prefetch, BASE) == "async"
    backoff = {"A": ("async", {"retry.backoff": "fixed", "retry.jitter": "none",
                               "task.failure_rate": 0.2}),
               "B": ("async", {"retry.backoff": "exponential", "retry.jitter": "full",
                               "task.failure_rate": 0.2})}
    assert labels(backoff, BASE) == {"A": "A: fixed back-off, no jitter",
                                     "B": "B: exponential back-off, full jitter"}
    assert shared(backoff, BASE) == "async, 20% attempts fail"
    one_side = {"A": ("async", {"workers.count": 4}), "B": ("async", {})}
    assert labels(one_side, BASE) == {"A": "A: 4 workers", "B": "B: 2 workers"}
    assert differing({"A": ("sync", {}), "B": ("sync", {})}, BASE) == []
    assert labels({"A": ("sync", {}), "B": ("sync", {})}, BASE) == {"A": "A", "B": "B"}


def test_compare_page_labels_rows_legends_and_exports_by_the_difference() -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.switch_page("ui/pages/compare.py").run()
    at.selectbox(key="cmp_preset").set_value(
        "Fixed back-off vs exponential with full jitter").run()
    assert not at.exception and not at.error
    titles = [m.value for m in at.markdown if "kpi-title" in m.value]
    assert any("A: fixed back-off, no jitter" in t for t in titles), titles
    assert any("B: exponential back-off, full jitter" in t for t in titles), titles
    assert "both: async, 20% attempts fail" in at.caption[0].value
    chart = chart_specs(at)[0]
    names = {t.get("name") for t in chart["data"]}
    assert {"A: fixed back-off, no jitter", "B: exponential back-off, full jitter"} <= names
    assert not any("…" in (n or "") for n in names)
