# Two commands do all the set-up on a fresh machine:
#   make run   - create .venv, install, serve the app on the embedded sample data
#   make test  - create .venv, install dev requirements, lint, run every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501
WORKERS ?= 2  # test processes (one file stays in one process: its fixtures are shared)

.PHONY: run test lint format bench screenshot sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/streamlit run dashboard.py --server.port $(PORT)

test: $(VENV)/.dev-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.dev-installed
	$(BIN)/python benchmarks/bench.py --scale city --json benchmarks/out/city.json

screenshot: $(VENV)/.dev-installed
	$(BIN)/python scripts/screenshot.py --out docs/overview.png
	$(BIN)/python scripts/screenshot.py --all --out-dir docs/screenshots

sample: $(VENV)/.run-installed
	$(BIN)/python -m cpdash.sample --scale demo --seed 7 --out sample_data

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .cache
