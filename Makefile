# The two commands of the README: `make run` and `make test`.
# Everything else here is what those two need (a venv, packages, catalogues, system packages).

VENV    := .venv
PY      := $(VENV)/bin/python
HOST    ?= 127.0.0.1
PORT    ?= 8000
# pytest-xdist processes for `make test` (one per core; `make test PYTEST_WORKERS=0` runs in one).
PYTEST_WORKERS ?= auto

# A Python >= 3.12 found on this machine: $PYTHON if given, then the usual names, then pyenv's.
FIND_PYTHON = for c in "$$PYTHON" python3.13 python3.12 python3.14 python3 \
	  $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -r); do \
	  [ -n "$$c" ] || continue; p=$$(command -v "$$c" 2>/dev/null) || continue; \
	  "$$p" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$$p"; exit 0; }; \
	done; exit 1

# Debian packages: WeasyPrint's Pango, HarfBuzz's subsetter, a CJK font; Chromium for browser tests.
PDF_PACKAGES     := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fontconfig
BROWSER_PACKAGES := chromium poppler-utils

.PHONY: run test lint format bench screenshots messages system-packages browser-packages npm-packages venv clean

run: $(VENV)/.stamp-runtime messages system-packages npm-packages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Portal: http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.stamp-test messages system-packages browser-packages npm-packages
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: $(VENV)/.stamp-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.stamp-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The README's screenshots, taken by the browser tests from the running portal.
screenshots: $(VENV)/.stamp-test messages system-packages browser-packages npm-packages
	SCREENSHOTS=docs $(PY) -m pytest -q tests/browser

bench: $(VENV)/.stamp-test
	$(PY) bench/run.py

venv: $(PY)

$(PY):
	@py=$$($(FIND_PYTHON)) || { \
	  echo "No Python >= 3.12 with venv was found (tried \$$PYTHON, python3.13, python3.12, python3.14, python3, pyenv)."; \
	  echo "Install one, e.g. 'apt-get install python3.13 python3.13-venv' or 'pyenv install 3.13',"; \
	  echo "or name it: make run PYTHON=/path/to/python3.12"; exit 1; }; \
	echo "Creating $(VENV) with $$py"; "$$py" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.stamp-runtime: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.stamp-test: requirements.txt requirements-test.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-test.txt
	@touch $(VENV)/.stamp-runtime $@

# Compiled translation catalogues (.mo) from the .po files, with Babel (no gettext needed).
messages: $(VENV)/.stamp-runtime
	@$(VENV)/bin/pybabel compile --statistics -d locale -D django 2>&1 | grep -v '^$$' || true

# Installs what is missing when we may (root with apt-get); otherwise says exactly what to install.
system-packages:
	@$(MAKE) --no-print-directory _debian PKGS="$(PDF_PACKAGES)" WHAT="PDF printing (WeasyPrint, Chinese fonts)"
	@$(PY) manage.py check_pdf

browser-packages:
	@$(MAKE) --no-print-directory _debian PKGS="$(BROWSER_PACKAGES)" WHAT="browser tests"

# Browser assets from npm (Chart.js for the ranking charts), served as static files, never from
# a CDN: `npm ci` installs the exact versions of package-lock.json, again only when it changes
# (or node_modules is gone). Without npm: Debian's nodejs and npm when root, else what to install.
NPM_STAMP := node_modules/.stamp-npm

npm-packages: $(NPM_STAMP)

$(NPM_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || $(MAKE) --no-print-directory _debian PKGS="nodejs npm" WHAT="the ranking charts (Chart.js from npm)"
	@command -v npm >/dev/null || { \
	  echo "npm is missing: it installs Chart.js for the ranking charts (package.json)."; \
	  echo "Install Node.js with npm (Debian/Ubuntu: sudo apt-get install nodejs npm), then run make again."; \
	  exit 1; }
	npm ci --omit=dev --no-audit --no-fund
	@touch $@

_debian:
	@missing=""; for p in $(PKGS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if ! command -v dpkg-query >/dev/null; then echo "Not a Debian system: install the equivalents of$$missing for $(WHAT)."; exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing for $(WHAT):$$missing"; \
	  (apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 || \
	   { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; }) \
	   || echo "Could not install$$missing: run 'apt-get install$$missing' for $(WHAT)."; \
	else echo "Missing for $(WHAT):$$missing. Run: sudo apt-get install$$missing"; fi

clean:
	rm -rf var .pytest_cache .ruff_cache
