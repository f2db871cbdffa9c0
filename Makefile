# Entry points of the kaon-search pipeline. Needs only Python >= 3.11, pip and GNU make;
# everything else is installed into $(VENV) by the first target that needs it.
#
#   make run      default run (config/config.yaml), all cores
#   make test     lint (ruff, snakemake --lint) and the test suite
#   make paper    the published statistics (config/paper.yaml)
#   make report   self-contained HTML report, report.zip
#   make dag      job graph as dag.svg (needs graphviz `dot`)
#   make clean    remove results, logs and Snakemake's metadata

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= all

# Rules that call `python` or `snakemake` find the environment's first.
export PATH := $(abspath $(BIN)):$(PATH)
export VIRTUAL_ENV := $(abspath $(VENV))

SNAKEMAKE := $(BIN)/snakemake --workflow-profile profiles/default

.PHONY: help .venv install run test lint paper report dag clean

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

# The environment; the stamp is renewed whenever pyproject.toml changes.
.venv: $(STAMP)
install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# A run killed with kill -9 leaves its locks behind: remove them unless a run is live.
UNLOCK_STALE := $(BIN)/python -m analysis unlock-stale

run: $(STAMP)
	$(UNLOCK_STALE)
	$(SNAKEMAKE) --cores $(CORES)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(SNAKEMAKE) --lint

test: lint
	$(BIN)/python -m pytest

paper: $(STAMP)
	$(UNLOCK_STALE)
	$(SNAKEMAKE) --cores $(CORES) --configfile config/paper.yaml

report: run
	$(SNAKEMAKE) --report report.zip

dag: $(STAMP)
	@if command -v dot >/dev/null; then \
		$(SNAKEMAKE) --dag | dot -Tsvg > dag.svg.tmp && mv dag.svg.tmp dag.svg && echo "wrote dag.svg"; \
	else \
		echo "graphviz 'dot' not found: install graphviz (e.g. apt-get install graphviz) for dag.svg"; \
	fi

clean:
	rm -rf results logs benchmarks/results .snakemake report.zip dag.svg
