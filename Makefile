# Risk Panels: `make run` sets everything up and serves the app; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
PORT ?= 5000
export APP_ENV ?= development

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## Create .venv and install the project

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

app/static/build/main.css: node_modules/.installed $(wildcard assets/scss/*.scss) scripts/build-assets.mjs
	npm run --silent build

assets: app/static/build/main.css ## Build the front-end assets from npm

database: install ## Apply migrations and load demo data into an empty development database
	$(FLASK) db upgrade
	$(FLASK) demo seed

run: install assets pdf database ## Set everything up and serve on http://127.0.0.1:$(PORT)
	@$(FLASK) demo logins
	@echo "Serving on http://127.0.0.1:$(PORT), with the job worker beside it (Ctrl+C stops both)"
	@$(FLASK) jobs worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
		$(FLASK) run --host 127.0.0.1 --port $(PORT)

code: install ## Print a demo account's current security code: make code USER=admin@demo.example
	@$(FLASK) demo code $(USER)

browser: ## Install Debian's chromium for the browser tests (needs root), unless present
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# WeasyPrint (the meeting packs, app/pdf.py) draws text with pango and embeds the fonts it finds;
# harfbuzz's subsetter keeps the embedded fonts small (and WeasyPrint warns without it).
PDF_LIBRARIES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2

pdf: ## Install Debian's pango and fonts for PDF packs (needs root), unless present
	@(ldconfig -p | grep -q libpangoft2-1.0.so.0 && ldconfig -p | grep -q libharfbuzz-subset.so.0 \
		&& test -e /usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf) \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_LIBRARIES) >/dev/null)

test: install assets browser pdf ## Run the whole test suite
	APP_ENV=test $(BIN)/pytest -n auto --dist worksteal

$(VENV)/.bench-installed: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	touch $@

wrk: ## Install Debian's wrk load generator for the benchmarks (needs root), unless present
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null)

bench: $(VENV)/.bench-installed assets pdf wrk ## Benchmarks: BENCH_REFERRALS=100000, BENCH_DATABASE_URL for PostgreSQL
	$(BIN)/python -m benchmarks.run

lint: install ## Lint, check formatting and type-check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# pip-audit asks PyPI's JSON API (https://pypi.org/pypi/<name>/<version>/json) about each installed
# package. Where that API cannot be reached (a mirror, no internet), every package comes back
# "not found" and nothing was checked: say so and skip, rather than report a clean result.
define AUDIT_DEPS_REPORT
import json, sys
found = json.load(open(sys.argv[1]))
packages = found["dependencies"]
checked = [p for p in packages if "skip_reason" not in p]
if not checked:
    print(f"audit-deps: SKIPPED: PyPI's vulnerability data could not be reached for any of the {len(packages)} packages.")
    sys.exit(0)
vulnerable = [(p["name"], p["version"], v["id"]) for p in checked for v in p.get("vulns", [])]
for name, version, ident in vulnerable:
    print(f"audit-deps: {name} {version}: {ident}")
print(f"audit-deps: {len(checked)} of {len(packages)} packages checked, {len(vulnerable)} known vulnerabilities.")
sys.exit(1 if vulnerable else 0)
endef
export AUDIT_DEPS_REPORT

audit-deps: install ## Known vulnerabilities in the installed packages (pip-audit); skips if unreachable
	@rm -f $(VENV)/pip-audit.json
	@$(BIN)/pip-audit --progress-spinner off --timeout 20 --skip-editable --format json \
		--output $(VENV)/pip-audit.json >/dev/null 2>&1 || test -s $(VENV)/pip-audit.json
	@$(BIN)/python -c "$$AUDIT_DEPS_REPORT" $(VENV)/pip-audit.json

format: install ## Format the code
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.PHONY: help install assets database run code browser pdf test lint format wrk bench audit-deps
