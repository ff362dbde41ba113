"""The previous run, kept for comparison: after a knob change the KPIs say what each number was
("was 1.06 s") and the main charts show the previous run faded behind the new one; a run can be
pinned as the reference so that several changes are compared with the same one.

State (per page ``prefix``): the run keys shown last, the ones shown before them, the pinned.
"""

from __future__ import annotations

import streamlit as st

from ui.runs import RunKey

LAST, PREVIOUS, PINNED = "shown_last", "shown_before", "pinned"


def _get(prefix: str, name: str) -> tuple[RunKey, ...] | None:
    return st.session_state.get(prefix + name)


def forget(prefix: str) -> None:
    """A new scenario: the old runs are no reference for it."""
    for name in (LAST, PREVIOUS, PINNED):
        st.session_state.pop(prefix + name, None)


def track(prefix: str, keys: list[RunKey]) -> list[RunKey] | None:
    """Note that ``keys`` are shown now; the keys of the reference run (pinned, else the one
    shown before), or None when there is none or it is the current one."""
    now = tuple(keys)
    last = _get(prefix, LAST)
    if last is not None and last != now:
        st.session_state[prefix + PREVIOUS] = last
    st.session_state[prefix + LAST] = now
    ref = _get(prefix, PINNED) or _get(prefix, PREVIOUS)
    if not ref or ref == now:
        return None
    labels = {k[0] for k in now}
    same = [k for k in ref if k[0] in labels]  # the designs shown now
    return same or None


def pinned(prefix: str) -> bool:
    return _get(prefix, PINNED) is not None


def _pin(prefix: str) -> None:
    st.session_state[prefix + PINNED] = _get(prefix, LAST)


def _unpin(prefix: str) -> None:
    st.session_state.pop(prefix + PINNED, None)


def controls(prefix: str, reference: list[RunKey] | None) -> None:
    """Pin the run shown as the reference, or go back to comparing with the previous run."""
    if pinned(prefix):
        st.button("Unpin the reference run", key=prefix + "unpin", icon=":material/push_pin:",
                  on_click=_unpin, args=(prefix,), width="stretch",
                  help="Compare with the previous run again (the one before the last change).")
    else:
        st.button("Pin this run as the reference", key=prefix + "pin",
                  icon=":material/push_pin:", on_click=_pin, args=(prefix,), width="stretch",
                  help="Keep comparing with this run while you change several knobs: the "
                  "KPIs say what each number was, the main charts show it faded.")
    st.caption("KPIs and the response-time charts compare with the "
               + ("pinned run." if pinned(prefix) else "previous run, once a knob changes.")
               if reference or pinned(prefix) else
               "Change a knob: the KPIs will say what each number was, and the main charts "
               "will show this run faded.")
