# Every target works on a fresh machine: the virtual environment is created and filled on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed

.PHONY: install test demo ui bench lint clean

# uv installs the pinned set in seconds; --compile-bytecode because these machines set
# PYTHONDONTWRITEBYTECODE=1, which otherwise makes every Dagster subprocess import twice as slowly.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv 2>&1 | grep -v '^Location' || true
	$(UV) pip install --quiet --python $(PY) --compile-bytecode -e '.[test,dev]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests drive Debian's chromium (playwright never downloads a browser here); a fresh machine, as CI
# starts, lacks it. apt-get as root, non-interactively; anyone else is told what to install.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@test "$$(id -u)" = 0 || { echo "The browser tests need Debian's chromium: sudo apt-get install chromium" >&2; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

# Two workers, each taking whole test files (their fixtures share a simulator or a Dagster home per file).
test: $(STAMP) $(CHROMIUM)
	$(PY) -m pytest -n 2 --dist loadfile

# e.g. make demo DEMO_ARGS="--rate 100" (a faster simulator and client) or DEMO_ARGS="--day 0"
DEMO_ARGS ?=
demo: $(STAMP)
	$(VENV)/bin/capital-pipeline demo $(DEMO_ARGS)

# Without a Capital.com login in the environment, the UI's runs use the demo's simulator and database (as
# make demo does), so Launch Run works after make demo; with CAPITAL_API_KEY set, they use that login.
ui: $(STAMP)
	$(VENV)/bin/capital-pipeline ui $(if $(CAPITAL_API_KEY),,--demo)

bench: $(STAMP)
	$(PY) -m benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check capital_pipeline capital_pipeline_tests benchmarks
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) .pytest_cache data .dagster_home
