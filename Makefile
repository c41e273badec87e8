# The two commands a newcomer needs (see README.md):
#   make run   - install into .venv and fit the shipped ledger into results/
#   make test  - install into .venv and run lint, the fast tests, the sampler tests and the
#                slow statistical tests (recovery, calibration), each group on its own
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SEED ?= 1
OUT ?= results

.PHONY: run test lint install bench clean browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,dask]"
	touch $@

install: $(VENV)/.installed

run: $(VENV)/.installed
	$(VENV)/bin/remitest ledger
	$(VENV)/bin/remitest fit --out $(OUT) --seed $(SEED)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check remitest tests benchmarks

# Chromium and its driver from Debian's packages, for the report.html test (tests/test_report_html.py).
# A browser download at install time fails in CI, so selenium is pointed at these and downloads nothing.
browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver)

test: $(VENV)/.installed lint browser
	REMITEST_REQUIRE_BROWSER=1 $(PY) -m pytest -m "not slow and not sampler"
	$(PY) -m pytest -m "sampler and not slow"
	$(PY) -m pytest -m slow

# Every benchmark, each in its own process; writes benchmarks/results.md (a few minutes).
bench: $(VENV)/.installed
	$(PY) benchmarks/run_all.py --out benchmarks/results.md

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
