# Zina — two commands for a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
BIN := $(VENV)/bin
ZINA := $(BIN)/zina
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
MO := $(patsubst %.po,%.mo,$(wildcard zina/locale/*/LC_MESSAGES/django.po))

.PHONY: help setup demo serve test test-sqlite test-postgres lint makemessages bench bench-catalog bench-search bench-relevance bench-reports clean

help:
	@echo "make demo   set up and run the demo (SQLite, Latvian demo data) on http://127.0.0.1:$(PORT)"
	@echo "make test   set up and run every test on SQLite and PostgreSQL, plus ruff and mypy"
	@echo "make bench  run every benchmark (make bench-<name> for one); each ends with a JSON line"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || "$$(scripts/find-python)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

%.mo: %.po
	@scripts/ensure-gettext
	msgfmt --check -o $@ $<

setup: $(STAMP) $(MO)

demo: setup
	$(ZINA) demo
	@echo
	@echo "Zina demo: http://127.0.0.1:$(PORT)/  (Ctrl+C stops it)"
	DEBUG=0 $(ZINA) serve --port $(PORT)

serve: setup
	DEBUG=0 $(ZINA) serve --port $(PORT)

test: setup lint
	@scripts/ensure-browser
	@scripts/ensure-dovecot
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: setup
	@echo "== tests on SQLite =="
	env -u DATABASE_URL ZINA_DATA_DIR=$(CURDIR)/var/test-sqlite $(BIN)/pytest -q

test-postgres: setup
	@echo "== tests on PostgreSQL =="
	ZINA_DATA_DIR=$(CURDIR)/var/test-postgres scripts/with-postgres $(BIN)/pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy zina/core zina/accounts zina/catalog zina/knowledge zina/search zina/tickets zina/portal zina/reports zina/api.py
	$(BIN)/python scripts/check-messages.py

makemessages: setup
	cd zina && ../$(ZINA) makemessages -l lv --no-obsolete --no-location

BENCHES := catalog search relevance reports

bench: $(addprefix bench-,$(BENCHES))

bench-catalog: setup
	$(BIN)/python bench/catalog.py

# BENCH_SEARCH_DOCS=2000,20000 for a quick run; BENCH_SEARCH_DB=postgresql measures on
# PostgreSQL (a throwaway cluster); BENCH_SEARCH_DIR=<kept> measures a kept SQLite run again.
bench-search: setup
	$(BIN)/python bench/search.py

# DATASET=path (StackFAQ's JSON shape) and DATASET_LANG=en|lv measure another data set.
bench-relevance: setup
	$(BIN)/python bench/relevance.py $(if $(DATASET),--dataset $(DATASET)) $(if $(DATASET_LANG),--lang $(DATASET_LANG))

# BENCH_REPORTS_TICKETS=20000 for a quick run; BENCH_REPORTS_DB=sqlite|postgresql|both;
# BENCH_REPORTS_DIR=<dir> keeps the generated SQLite database and measures it again.
bench-reports: setup
	$(BIN)/python bench/reports.py

clean:
	rm -rf $(VENV) var
