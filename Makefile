# The two commands a newcomer needs (see README.md):
#   make run   - install into .venv and fit the shipped ledger into results/
#   make test  - install into .venv and run lint, the fast tests, the sampler tests and the
#                slow statistical tests (recovery, calibration), each group on its own
#
# remitest needs Python 3.12 or newer. make looks for one by itself: python3.13, then python3.12
# on the PATH, then a pyenv-installed 3.13 or 3.12 (pyenv keeps them out of the PATH unless
# selected). Name another with PYTHON=/path/to/python3.x.
VENV ?= .venv
PY := $(VENV)/bin/python
SEED ?= 1
OUT ?= results

# A candidate counts only when it runs and is >= 3.12: a pyenv shim named python3.12 exists even
# where that version is not selected, and then answers "command not found".
_PY_OK = import sys; sys.exit(sys.version_info < (3, 12))
_PYENV_ROOT := $(or $(shell pyenv root 2>/dev/null),$(PYENV_ROOT),$(HOME)/.pyenv)
_CANDIDATES := python3.13 python3.12 \
	$(sort $(wildcard $(_PYENV_ROOT)/versions/3.13*/bin/python3)) \
	$(sort $(wildcard $(_PYENV_ROOT)/versions/3.12*/bin/python3))
ifndef PYTHON
PYTHON := $(shell for p in $(_CANDIDATES); do \
	$$p -c '$(_PY_OK)' >/dev/null 2>&1 && { echo $$p; break; }; done)
endif

.PHONY: run test lint install bench clean browser check-python

check-python:
	@if [ -z "$(PYTHON)" ]; then \
		echo "make: no Python 3.12 or newer found (tried python3.13, python3.12 and pyenv's" \
		     "3.13/3.12 under '$(or $(_PYENV_ROOT),no pyenv)'). Install one, or name it:" \
		     "make $(or $(MAKECMDGOALS),test) PYTHON=/path/to/python3.12" >&2; \
		exit 1; \
	fi
	@$(PYTHON) -c '$(_PY_OK)' || { \
		echo "make: PYTHON=$(PYTHON) is not Python 3.12 or newer" \
		     "($$($(PYTHON) --version 2>&1)); remitest needs >= 3.12" >&2; exit 1; }

$(VENV)/.installed: pyproject.toml | check-python
	@if [ -x $(PY) ] && ! $(PY) -c '$(_PY_OK)' 2>/dev/null; then \
		echo "make: $(VENV) holds an older Python; making it anew"; rm -rf $(VENV); fi
	@[ -x $(PY) ] || { echo "make: creating $(VENV) with $(PYTHON) ($$($(PYTHON) --version 2>&1))"; \
		$(PYTHON) -m venv $(VENV); }
	@# pip compiles the byte code of every file on one core; compileall -j 0 uses every core and
	@# skips the installed packages' own test folders, which remitest never imports (a fresh
	@# clone's make run 64 -> 50 s here, 2 cores). A file that does not compile (some packages
	@# ship such test data) is no error: Python reads its source instead.
	$(PY) -m pip install --quiet --no-compile -e .
	@site=$$($(PY) -c 'import sysconfig; print(sysconfig.get_path("purelib"))') && \
		test -d "$$site" && { $(PY) -m compileall -q -j 0 -x '/site-packages/(.*/)?tests?/' \
			"$$site" >/dev/null || true; }
	touch $@

# The test and dask extras, for make test, lint and bench (make run needs the package alone).
$(VENV)/.installed-test: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[test,dask]"
	touch $@

install: $(VENV)/.installed-test

run: $(VENV)/.installed
	$(VENV)/bin/remitest ledger
	$(VENV)/bin/remitest fit --out $(OUT) --seed $(SEED)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check remitest tests benchmarks
	$(VENV)/bin/lint-imports

# Chromium and its driver from Debian's packages, for the report.html test (tests/test_report_html.py).
# A browser download at install time fails in CI, so selenium is pointed at these and downloads nothing.
browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver)

test: $(VENV)/.installed-test lint browser
	REMITEST_REQUIRE_BROWSER=1 $(PY) -m pytest -m "not slow and not sampler" -n auto --dist loadfile
	$(PY) -m pytest -m "sampler and not slow" -n auto --dist loadfile
	$(PY) -m pytest -m slow -n auto --dist loadfile

# Every benchmark, each in its own process; writes benchmarks/results.md (a few minutes).
bench: $(VENV)/.installed-test
	$(PY) benchmarks/run_all.py --out benchmarks/results.md --previous benchmarks/results.md

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache
