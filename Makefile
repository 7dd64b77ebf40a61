# Two commands: `make run` (the service, locally, on the embedded default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
STAMP = $(VENV)/.installed

.PHONY: run test lint format install clean browser bench

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python scripts/run_local.py

test: $(STAMP) browser
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Every benchmark in one sitting (minutes; not part of `make test` or CI): one table and
# bench/results.json. Needs this machine's PostgreSQL and Redis, started when they are down.
bench: $(STAMP)
	bash scripts/services.sh
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tradingsite_bench} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} $(BIN)/python bench/run_all.py

# The admin's browser test drives a real Chromium; install Debian's when we can (root + apt).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null || \
	    (apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null); \
	  else echo "Chromium not found: the admin browser test will fail (install chromium or set BROWSER_PATH)."; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test_db.sqlite3*
