# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test check lint typecheck test-fast venv system-deps

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

# Demo: synthetic exports into data/raw (only when it holds no export), then the weekly run.
demo: $(STAMP)
	@if [ -z "$$(find data/raw -maxdepth 1 -type f ! -name .gitkeep -print -quit)" ]; then \
		$(BIN)/lymphcast demo --out data/raw; \
	else echo "data/raw already holds exports: using them (delete them to regenerate the demo)"; fi
	$(BIN)/lymphcast weekly

# System packages some tests need (Debian's chromium, postgresql); installs only what is missing.
system-deps:
	@scripts/system-deps.sh

test: $(STAMP) system-deps
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# mypy on forecasting/ and flows/ (settings in pyproject.toml's [tool.mypy]).
typecheck: $(STAMP)
	$(BIN)/mypy

# The fast tests: no Prophet fit, no Prefect engine (721 tests, about 80 s on 2 idle cores).
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

# Before a commit: lint + type check + fast tests (the pre-commit hooks run the first two).
check: lint typecheck test-fast
