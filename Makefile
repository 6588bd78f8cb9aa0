# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1/test
# `make test PG=0` runs without PostgreSQL; CI runs with it and fails if it cannot connect.
PG ?= 1
# The suite mostly waits (real processes, the real clock, the emulator's pacing): several
# pytest workers share 2 cores well. Each test has its own database and Redis prefix.
TEST_WORKERS ?= 4
# Redis (the workers' shared flood budget and conversations): the same; `make test REDIS=0`
# skips those tests.
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
REDIS ?= 1

.PHONY: venv demo district-demo test lint typecheck bench fonts clean

venv: $(BIN)/safety-bot

# constraints.txt pins the versions measured and tested (the private internals relied on:
# tests/test_library_internals.py).
$(BIN)/safety-bot: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

# A CJK font for the record book's charts (Debian's fonts-noto-cjk); skipped when present.
# It is a system package: apt-get installs it as root, and says so first.
fonts:
	@fc-list 2>/dev/null | grep -qi "cjk\|wqy\|droid sans fallback" || \
	  (command -v apt-get >/dev/null && \
	   echo "No CJK font found: apt-get install fonts-noto-cjk (a system package, needs root) for the Chinese in the record book's charts" && \
	   (apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || \
	   (apt-get update -qq >/dev/null && apt-get install -y -qq fonts-noto-cjk >/dev/null)) || \
	   echo "warning: no CJK font installed; charts will show boxes for Chinese")

demo: venv fonts
	$(BIN)/safety-bot demo

# Three schools of a district on the real clock against the emulator, PostgreSQL and Redis
# as they run here (database district_demo, made afresh): 2 web workers and 2 workers, each a
# `safety-bot run --district` process; ends with each school's day (bot/district_demo.py).
district-demo: venv
	$(BIN)/python -m bot.district_demo

test: venv fonts
	@if [ "$(PG)" = "1" ]; then $(BIN)/python -m tests.pg_check "$(PG_URL)" || exit 1; fi; \
	if [ "$(REDIS)" = "1" ]; then $(BIN)/python -m tests.redis_check "$(REDIS_TEST_URL)" || exit 1; fi; \
	SAFETY_BOT_TEST_PG_URL="$(if $(filter 1,$(PG)),$(PG_URL))" \
	SAFETY_BOT_TEST_REDIS_URL="$(if $(filter 1,$(REDIS)),$(REDIS_TEST_URL))" \
	  $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)

lint: venv
	$(BIN)/ruff check bot emulator handlers scheduler storage tests bench
	$(BIN)/ruff format --check bot emulator handlers scheduler storage tests bench

typecheck: venv
	$(BIN)/mypy

bench: venv
	$(BIN)/python -m bench.planner
	$(BIN)/python -m bench.dates
	$(BIN)/python -m bench.broadcast
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.faults

clean:
	rm -rf $(VENV) demo-out district-demo-out var .pytest_cache .mypy_cache .ruff_cache
