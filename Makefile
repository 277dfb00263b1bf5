# hotclone: `make demo` opens the dashboard on a local demo cluster,
# `make test` runs the whole test suite. Both install what they need first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint check controlplane venv bench clean

demo: venv controlplane
	$(BIN)/hotclone demo

test: venv controlplane lint
	$(BIN)/pytest -q

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: venv controlplane
	$(BIN)/python -m benchmarks.run

controlplane:
	controlplane/build.sh

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c requirements.lock -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) dist build *.egg-info
