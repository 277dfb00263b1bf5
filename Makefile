# hotclone: `make demo` opens the dashboard on a local demo cluster,
# `make test` runs the whole test suite. Both install what they need first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test check test-tui snapshots controlplane venv bench clean

demo: venv controlplane
	$(BIN)/hotclone demo

# Everything CI runs: the checks, then every test (the core tests start their own control plane).
test: check controlplane
	$(BIN)/pytest -q

# Lint, format, types and the import contracts (the layers of docs/ARCHITECTURE.md).
check: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The dashboard's Pilot and snapshot tests on the fake session: seconds, no control plane.
test-tui: venv
	$(BIN)/pytest -q tests/tui --ignore=tests/tui/test_e2e_real_cluster.py

# Re-record the SVG snapshots after a deliberate change, then review snapshot_report.html.
snapshots: venv
	$(BIN)/pytest -q tests/tui/test_snapshots.py --snapshot-update
	@echo "review the changed SVGs: git diff --stat tests/tui/__snapshots__; open snapshot_report.html after a failing run"

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
