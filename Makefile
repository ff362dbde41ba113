# Async Lab: `make run` starts the app, `make test` runs every test (both set up .venv first);
# `make browser` installs what the browser tests need (without it they are skipped, loudly).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501

AXE := node_modules/axe-core/axe.min.js
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench clean browser screenshots

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

# axe-core (accessibility checks in the browser tests) comes from npm; without npm those
# checks are skipped and say why
$(AXE): package.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm install --no-audit --no-fund --silent && touch $@ \
	  || echo "npm install failed: the accessibility (axe-core) checks will be skipped"; \
	else echo "npm not found: the accessibility (axe-core) checks will be skipped"; fi

test: $(VENV)/.dev-installed $(AXE)
	$(PY) -m ruff check .
	$(PY) -m pytest -n 2 --dist worksteal -q --durations=10

# reference screenshots of every page (1280x720 and 1440x900, student and instructor) for
# reviewers, written to out/screenshots/ (not committed)
screenshots: $(VENV)/.dev-installed
	$(PY) -m tests.e2e.screenshots out/screenshots

# What the browser tests (and PNG/SVG export) need: Debian's chromium and the Playwright client.
browser: $(VENV)/.dev-installed
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium >/dev/null; }
	$(PY) -c "import playwright.sync_api" && echo "browser tests ready: $$(command -v chromium)"

bench: $(VENV)/.dev-installed
	$(PY) bench/engine.py
	$(PY) bench/experiments.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
