# Two commands on a fresh machine: `make run` and `make test`. Both set up whatever is missing first
# and are fast the second time (each step is a stamp file rebuilt only when its inputs change).
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app herbert
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: setup run test lint system-deps bench clean

setup: $(VENV)/.installed static/vendor/.built

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.built: node_modules/.installed scripts/build-assets.mjs static/src/app.scss static/src/_handover.scss
	npm run --silent build

# Debian packages the PDF renderer and the browser tests need; installed only when missing and we are root.
system-deps:
	@bash scripts/system-deps.sh

run: setup system-deps
	$(FLASK) init
	$(PY) scripts/run_with_jobs.py -- $(PY) -m herbert.serve --host $(HOST) --port $(PORT)  # waitress: slow clients hold a connection, not a thread

test: setup system-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -q -ll -c pyproject.toml -r herbert
	$(PY) -m pytest -q -n 2

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit -q -ll -c pyproject.toml -r herbert

bench: setup
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) node_modules static/vendor
