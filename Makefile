# The two commands of the README: `make demo` (the nightly DAG against the emulator) and
# `make test` (lint, types and the whole test suite). Both set up .venv from this repo's files,
# with the versions pinned in constraints/airflow-$(AIRFLOW)/python-<python3's minor>.txt: the
# provider and the emulator (a distribution of its own, emulator/), both editable.
#
# `make check`: the fast loop, lint and types and every test but the e2e ones (real Airflow
# processes, the browser) and the long_running ones (whole DAG runs in dag.test(): the example DAGs,
# the nightly task group, many files under faults).
# The suite runs in parallel (pytest-xdist): `-n auto` starts as many workers as tests/conftest.py's
# pytest_xdist_auto_num_workers says; `make test PYTEST_WORKERS=6` (or 0: no workers) chooses.
#
# `make test-matrix`: every supported (Airflow, Python) cell, each in its own venv under .matrix/.
# `make constraints`: resolve every cell anew and rewrite its constraints file (CELL=3.3/3.13: one).
# `make release-check`: build the sdists and wheels of both distributions (the provider, and the
# emulator in emulator/) and try each wheel alone in a clean venv; then the provider's wheel in each
# matrix cell's pinned Airflow, which pip must leave as it was.
# `make screenshots`: retake the screenshots of the Airflow UI that the documentation shows.
# `make docs`: the documentation site, docs/ into docs/_build/html, Sphinx with warnings as errors.
# Its own venv, .docs/venv, on Python 3.13 (Sphinx 9.2, the first to accept the docutils the
# constraints pin, needs it): the provider as pinned, and docs/requirements.txt under the same pins.

PYTHON ?= python3
AIRFLOW ?= 3.3
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])')
CONSTRAINTS := constraints/airflow-$(AIRFLOW)/python-$(PYTHON_VERSION).txt
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-airflow-$(AIRFLOW)-python-$(PYTHON_VERSION)

PYTEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS)

.PHONY: demo test check lint bench screenshots docs test-matrix constraints release-check clean

$(STAMP): pyproject.toml emulator/pyproject.toml $(CONSTRAINTS)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --constraint $(CONSTRAINTS) --upgrade pip
	$(BIN)/pip install --quiet --constraint $(CONSTRAINTS) -e ./emulator -e ".[test,release,distributed]"
	touch $(STAMP)

$(CONSTRAINTS):
	@echo "No pinned versions for Airflow $(AIRFLOW) on Python $(PYTHON_VERSION): $(CONSTRAINTS) is missing." >&2
	@echo "Run with a supported Python (PYTHON=python3.13), or pin this one: $(PYTHON) scripts/version_matrix.py cells" >&2
	@exit 1

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(PYTEST)

check: lint
	$(PYTEST) -m "not e2e and not long_running"

# The benchmarks' own venv: the project as pinned, plus the anchors it is compared with.
BENCH_VENV := .bench/venv
BENCH_STAMP := $(BENCH_VENV)/.installed-airflow-$(AIRFLOW)-python-$(PYTHON_VERSION)

$(BENCH_STAMP): pyproject.toml emulator/pyproject.toml $(CONSTRAINTS) benchmarks/anchors.txt
	rm -rf $(BENCH_VENV)
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --constraint $(CONSTRAINTS) --upgrade pip
	$(BENCH_VENV)/bin/pip install --quiet --constraint $(CONSTRAINTS) -e ./emulator -e ".[test,distributed]"
	$(BENCH_VENV)/bin/pip install --quiet -r benchmarks/anchors.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BENCH_VENV)/bin/python benchmarks/run.py

# The documentation's screenshots (docs/images), taken by the browser tests (Debian's chromium: apt-get install chromium).
screenshots: $(STAMP)
	AIMLSTT_SCREENSHOTS_DIR=docs/images $(BIN)/pytest -n 0 tests/e2e/test_browser_ui.py tests/e2e/test_batch_report_in_browser.py -q

# The documentation site's venv: python3.13 on PATH, else pyenv's (DOCS_PYTHON=... chooses).
DOCS_PYTHON ?= $(firstword $(foreach python,python3.13 $(wildcard $(HOME)/.pyenv/versions/3.13.*/bin/python3.13),$(shell $(python) -c 'print("$(python)")' 2>/dev/null)))
DOCS_VENV := .docs/venv
DOCS_CONSTRAINTS := constraints/airflow-$(AIRFLOW)/python-3.13.txt
DOCS_STAMP := $(DOCS_VENV)/.installed-airflow-$(AIRFLOW)
DOCS_BUILD := docs/_build

$(DOCS_STAMP): pyproject.toml emulator/pyproject.toml $(DOCS_CONSTRAINTS) docs/requirements.txt
	@test -n "$(DOCS_PYTHON)" || { echo "make docs needs Python 3.13: DOCS_PYTHON=/path/to/python3.13" >&2; exit 1; }
	rm -rf $(DOCS_VENV)
	$(DOCS_PYTHON) -m venv $(DOCS_VENV)
	$(DOCS_VENV)/bin/pip install --quiet --constraint $(DOCS_CONSTRAINTS) --upgrade pip
	$(DOCS_VENV)/bin/pip install --quiet --constraint $(DOCS_CONSTRAINTS) -e ./emulator -e . -r docs/requirements.txt
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	rm -rf $(DOCS_BUILD)
	$(DOCS_VENV)/bin/sphinx-build -W --keep-going -q -b html docs $(DOCS_BUILD)/html
	@echo "The site: $(DOCS_BUILD)/html/index.html"

test-matrix:
	$(PYTHON) scripts/version_matrix.py test --workers $(PYTEST_WORKERS) $(addprefix --cell ,$(CELL))

constraints:
	$(PYTHON) scripts/version_matrix.py constraints $(addprefix --cell ,$(CELL))

release-check: $(STAMP)
	$(BIN)/python scripts/release_check.py --constraints $(CONSTRAINTS)

clean:
	rm -rf $(VENV) .bench .matrix .docs $(DOCS_BUILD) .quickstart dist build .demo .pytest_cache .mypy_cache .ruff_cache
