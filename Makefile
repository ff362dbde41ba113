# Async Lab: `make run` starts the app, `make test` runs every test (both set up .venv first);
# `make browser` installs what the browser tests need (without it they are skipped, loudly).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench clean browser

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

# What the browser tests (and PNG/SVG export) need: Debian's chromium and the Playwright client.
browser: $(VENV)/.dev-installed
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	$(PY) -c "import playwright.sync_api" && echo "browser tests ready: $$(command -v chromium)"

bench: $(VENV)/.dev-installed
	$(PY) bench/engine.py
	$(PY) bench/experiments.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
