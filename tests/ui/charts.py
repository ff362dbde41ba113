"""The charts an AppTest run drew: their Plotly figures, as dicts, in page order."""

from __future__ import annotations

import json
from typing import Any

from streamlit.testing.v1 import AppTest

from ui.plotly_chart import COMPONENT


def chart_specs(at: AppTest) -> list[dict[str, Any]]:
    """The figure of every chart on the page (drawn by :mod:`ui.plotly_chart`)."""
    return [json.loads(json.loads(el.proto.json)["spec"]) for el in at.get("bidi_component")
            if el.proto.component_name == COMPONENT]
