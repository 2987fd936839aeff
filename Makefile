# Two commands do all the set-up: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export FLASK_APP := wsgi

.PHONY: run test fuzz lint format system-deps translations clean

$(STAMP): pyproject.toml
	@scripts/system-deps base
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*; touch $(STAMP)

## make run: install, migrate, seed (demo staff too on the embedded database), start localstripe
## (its webhooks to the API) and the API on 127.0.0.1:5000
run: $(STAMP)
	$(BIN)/flask db upgrade
	$(BIN)/flask seed $(if $(DATABASE_URL),,--demo)
	@scripts/run-localstripe $(BIN) http://127.0.0.1:5000/api/v1/payments/stripe/webhook
	$(BIN)/flask serve --host 127.0.0.1 --port 5000

## make test: the whole suite, on SQLite and on a real PostgreSQL, with a real Redis; in
## PYTEST_WORKERS processes (pytest-xdist), each with servers of its own (PYTEST_WORKERS=0: one)
PYTEST_WORKERS ?= 4
test: $(STAMP)
	@scripts/system-deps test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -p no:cacheprovider -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## make fuzz: schemathesis longer: 100 examples an operation and caller, its coverage phase, and
## its stateful mode (sequences of linked calls); PYTEST_ARGS='-k sqlite' for one database
fuzz: $(STAMP)
	@scripts/system-deps test
	SCHEMATHESIS_EXAMPLES=100 SCHEMATHESIS_COVERAGE=1 \
	SCHEMATHESIS_REPORT=$(CURDIR)/instance/fuzz-report.txt \
	$(BIN)/python -m pytest -p no:cacheprovider tests/test_schemathesis.py \
	    tests/test_schemathesis_stateful.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## the Arabic catalogue: extract message ids from the code, merge, compile
translations: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k lazy_gettext --no-location --sort-output -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations -l ar --no-fuzzy-matching
	$(BIN)/pybabel compile -d app/translations

clean:
	rm -rf $(VENV) instance .pytest_cache
