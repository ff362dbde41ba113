"""The Streamlit front end of Async Lab: pages, widgets, caching and URL state.

This package (with ``app.py``) is the only code that imports streamlit; figures come from
``sim.charts`` so that the app and the command line export the very same charts.
"""
