# `make run` and `make test` set everything up on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

.PHONY: install run chat test test-sqlite test-postgres lint clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Serve the bot on http://127.0.0.1:8000 with its worker, SQLite and demo data.
run: install
	$(BIN)/python -m bot.runtime.devrun

## The terminal chat simulator (run `make run` in another terminal first).
chat: install
	$(BIN)/flask --app wsgi chat $(if $(USER_ID),--user $(USER_ID),)

## The whole suite: SQLite, then PostgreSQL when reachable (required with CI=true).
test: install
	$(BIN)/python -m tests.run

test-sqlite: install
	$(BIN)/python -m tests.run --only sqlite

test-postgres: install
	$(BIN)/python -m tests.run --only postgresql

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
