"""Async Lab: the Streamlit entry point (page configuration and navigation only)."""

import streamlit as st

from ui.layout import page_style

# an emoji icon is drawn in the page itself; a :material/...: one is fetched from Google's servers
st.set_page_config(page_title="Async Lab: sync vs async", page_icon="⚡",
                   layout="wide")

pages = [
    st.Page("ui/pages/playground.py", title="Playground", icon=":material/tune:", default=True),
    st.Page("ui/pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("ui/pages/planner.py", title="Capacity planner", icon=":material/speed:"),
    st.Page("ui/pages/lessons.py", title="Lessons", icon=":material/school:"),
    st.Page("ui/pages/lab.py", title="Scenario lab", icon=":material/science:"),
    st.Page("ui/pages/about.py", title="About", icon=":material/menu_book:"),
]
page_style()
st.navigation(pages).run()
