# The two quick-start commands live here: `make run` and `make test`. CI calls `make test` too.
# Prefers the newest Python on the machine, pyenv's included (Django 6 on 3.12+, the 5.2 LTS line on 3.11).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.*/bin/python3 2>/dev/null | sort -rV) python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV ?= .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test bench lint format messages setup clean

$(UV):
	@test -n "$(PYTHON)" || { echo "Salespipe needs Python 3.11 or newer on PATH (python3.11, python3.12, ...)." >&2; exit 1; }
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

setup: $(UV) node_modules/.package-lock.json
	$(UV) sync --frozen --quiet --python "$$(command -v $(PYTHON))"

# Front-end libraries (htmx, SortableJS, Pico CSS, Chart.js) come from the npm registry, pinned by package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "Salespipe needs Node.js's npm to install its front-end libraries." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error

## Set up, migrate, load demo data and serve on http://127.0.0.1:8000
run: setup
	$(VENV)/bin/salespipe init --demo
	$(VENV)/bin/salespipe serve

## Set up and run the whole test suite (DATABASE_URL picks the database; SQLite by default)
test: setup
	$(VENV)/bin/pytest

## Benchmark every page on a seeded dataset of DEALS deals (built once, then reused), with the raw-SQL limit
## beside it (docs/performance.md); DATABASE_URL picks the database, BENCH_ARGS adds options (e.g. --json)
DEALS ?= 1000000
bench: setup
	$(VENV)/bin/python benchmarks/suite.py --deals $(DEALS) $(BENCH_ARGS)

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

## Re-extract the translatable strings into the Greek catalogues and compile them (needs GNU gettext);
## then translate what is new in src/salespipe/locale/el/LC_MESSAGES/django.po and run it again
messages: setup
	cd src/salespipe && $(abspath $(VENV))/bin/salespipe manage makemessages -l el --ignore=node_modules --ignore=.venv --no-obsolete
	cd src/salespipe && $(abspath $(VENV))/bin/salespipe manage compilemessages

clean:
	rm -rf $(VENV) .tools node_modules
