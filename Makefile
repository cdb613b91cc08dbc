# firegov: two commands on a fresh machine with Python 3.11 and pip.
#   make demo   — virtual environment, install, migrate the embedded SQLite database, load the demo
#                 city once, serve http://127.0.0.1:8000
#   make test   — the whole test suite in the same environment
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.firegov-installed
# The suite runs on every core (pytest-xdist); PYTEST_ARGS="-n 0 tests/hazards" runs a part in one process.
PYTEST_ARGS ?= -n auto

.PHONY: demo test venv lint messages bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/firegov demo

# Tests keep their files (secret key, evidence, job queue) in a throw-away data directory.
test: $(STAMP)
	FIREGOV_DATA_DIR="$${FIREGOV_DATA_DIR:-$$(mktemp -d)}" $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# Re-extract the strings and rebuild the compiled catalogue after editing translations.
messages: $(STAMP)
	$(BIN)/firegov manage makemessages -l zh_Hans --no-obsolete --no-location
	$(BIN)/firegov manage buildmessages

bench: $(STAMP)
	$(BIN)/python bench/units_list.py

clean:
	rm -rf $(VENV) var .pytest_cache
