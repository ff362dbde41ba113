"""The replications count (and the planner's settings) survive a shared link, through the same
URL code as every knob; a bad value in a link is a "Link ignored" message naming the allowed
range, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def page(path: str = "", **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if path:
        at.switch_page(path)
    at.query_params.update(params)
    return at.run()


def link(at: AppTest) -> dict[str, str]:
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


@pytest.mark.parametrize(("path", "key"), [("", "pg_reps"),
                                           ("ui/pages/compare.py", "cmp_reps")])
def test_replications_count_survives_the_link(path: str, key: str) -> None:
    at = page(path, duration="10")
    assert "reps" not in link(at)  # one run: the link stays as short as before
    at.slider(key=key).set_value(4).run()
    assert not at.exception and not at.error
    assert link(at)["reps"] == "4"
    again = page(path, **link(at))
    assert not again.exception and not again.error
    assert again.slider(key=key).value == 4
    assert any("over 4 replications" in m.value for m in again.markdown)


@pytest.mark.parametrize("path", ["", "ui/pages/compare.py"])
@pytest.mark.parametrize("bad", ["abc", "1000", "0", "-2", "3.5"])
def test_a_bad_replications_count_is_ignored_with_a_message(path: str, bad: str) -> None:
    at = page(path, duration="10", reps=bad)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Link ignored: ")
    assert f"reps: must be a whole number from 1 to 30, got '{bad}'" in errors[0]
    key = "cmp_reps" if path else "pg_reps"
    assert at.slider(key=key).value == 1
