# Async Lab: `make run` starts the app, `make test` runs every test (both set up .venv first).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint bench clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m streamlit run app.py --server.port $(PORT) --browser.gatherUsageStats false

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .

test: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 -q --durations=10

bench: $(VENV)/.dev-installed
	$(PY) bench/engine.py
	$(PY) bench/experiments.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
