# The two commands of the README:
#   make run    set up, ingest the bundled corpus, open the chat UI
#   make test   set up (with the llm extra and the browser), run the tests
# Each creates .venv and installs torch==2.13.0 (the CPU build on this machine's disk) before the project,
# so nothing pulls a multi-GB CUDA build.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
PAPERRAG := $(VENV)/bin/paperrag
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False

.PHONY: setup setup-dev run test test-fast bench eval clean

$(VENV)/.base: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e .
	touch $@

$(VENV)/.dev: $(VENV)/.base
	$(PIP) install -q -e '.[dev,llm]'
	touch $@

setup: $(VENV)/.base
setup-dev: $(VENV)/.dev

run: setup
	$(PAPERRAG) ingest
	$(PAPERRAG) stats

test: setup-dev
	$(PY) -m pytest -q

test-fast: setup-dev
	$(PY) -m pytest -q -m "not slow and not llm"

bench: setup-dev
	$(PY) benchmarks/ingest.py

clean:
	rm -rf $(VENV) .paperrag test-artifacts
