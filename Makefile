# diemcau: one command to set up and run the demo, one to set up and run the tests.
# `make setup` is idempotent: it installs only what is missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Debian packages the tests and the demo need, each with its reason: scripts/debian-packages.txt
APT_LIST := scripts/debian-packages.txt
PG_USER := diemcau-pg

.PHONY: setup system demo test bench lint clean screenshots

# the OpenID Connect provider the SSO tests start, pinned by its lock file
OIDC := tests/support/oidc
OIDC_STAMP := $(OIDC)/node_modules/.installed
# axe-core, the accessibility rules tests/console/test_accessibility.py runs in Chromium, pinned by its lock file
AXE := tests/support/axe
AXE_STAMP := $(AXE)/node_modules/.installed
# the AsyncAPI 3.0.0 JSON Schema tests/controller/test_asyncapi.py validates /asyncapi.json against
ASYNCAPI := tests/support/asyncapi
ASYNCAPI_STAMP := $(ASYNCAPI)/node_modules/.installed
# openapi-python-client in its own venv (it pins httpx and typer below ours): the test that
# generates a client from /openapi.json and calls routes with it (tests/controller/test_generated_client.py)
GEN_VENV := .venv-gen
GEN_STAMP := $(GEN_VENV)/.installed

setup: system $(STAMP) $(OIDC_STAMP) $(AXE_STAMP) $(ASYNCAPI_STAMP) $(GEN_STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@# the node runtime inside the playwright wheel must start (it needs libatomic1)
	$(BIN)/python -m playwright --version >/dev/null
	@touch $(STAMP)

$(OIDC_STAMP): $(OIDC)/package-lock.json
	cd $(OIDC) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(OIDC_STAMP)

$(AXE_STAMP): $(AXE)/package-lock.json
	cd $(AXE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(AXE_STAMP)

$(ASYNCAPI_STAMP): $(ASYNCAPI)/package-lock.json
	cd $(ASYNCAPI) && npm ci --no-audit --no-fund --loglevel=error
	@touch $(ASYNCAPI_STAMP)

$(GEN_STAMP): scripts/generator-requirements.txt
	@test -x $(GEN_VENV)/bin/python || $(PYTHON) -m venv $(GEN_VENV)
	$(GEN_VENV)/bin/pip install -q --upgrade pip
	$(GEN_VENV)/bin/pip install -q -r scripts/generator-requirements.txt
	@touch $(GEN_STAMP)

system:
	@bash scripts/install-system-deps.sh $(PG_USER) $(APT_LIST)

demo: setup
	$(BIN)/diemcau demo

test: setup
	$(BIN)/mypy
	$(BIN)/pytest -q

screenshots: setup  # the console's views at 1920x1080 and 1366x768, as in README
	DIEMCAU_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/console

bench: setup
	$(BIN)/pytest -q -m slow
	$(BIN)/diemcau bench api --endpoints 250 --cameras 50 --rps 200 --duration 30 --json
	$(BIN)/diemcau bench import --rows 250 --json
	$(BIN)/diemcau bench provision --endpoints 250 --latency-ms 20 --json
	$(BIN)/diemcau bench monitor --endpoints 250 --interval 10 --duration 60 --json
	$(BIN)/diemcau bench session --endpoints 250 --json
	$(BIN)/diemcau bench readiness --endpoints 250 --json
	$(BIN)/diemcau bench analytics --cameras 50 --json
	$(BIN)/diemcau bench relay --viewers 40 --json
	$(BIN)/diemcau bench webhook --events 10000 --json
	$(BIN)/diemcau bench mqtt --events 10000 --json
	$(BIN)/diemcau bench metrics --endpoints 250 --cameras 50 --json
	$(BIN)/diemcau bench camera-provision --cameras 50 --json

lint: setup
	$(BIN)/ruff check controller endpoints camera tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(GEN_VENV) var build *.egg-info $(OIDC)/node_modules $(AXE)/node_modules $(ASYNCAPI)/node_modules
