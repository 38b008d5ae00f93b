# Vigil: `make run` builds everything and runs the demo; `make test` installs what the tests
# need and runs every check. Both work on a fresh Debian machine with Python 3.11 and Node 20.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DIST := src/vigil/web/dist/index.html
WEB_SRC := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
	web/vite.config.ts web/package.json web/tsconfig.json web/tsconfig.app.json
# Debian packages: opencv-doc ships the pedestrian footage (vtest.avi) the demo DVR loops;
# chromium runs the browser tests.
# mosquitto is the MQTT broker the notification tests start.
# redis-server backs the cluster tests' fan-out and rate limits; wireguard-tools (`wg`) checks
# the keys `vigil vpn init` generates; nftables (`nft -c`) and systemd (`systemd-analyze`)
# check the edge firewall and unit in deploy/.
DEBIAN_PKGS := opencv-doc chromium mosquitto redis-server wireguard-tools nftables systemd

.PHONY: run test venv web system-deps lint typecheck test-py test-web clean lock deps-latest \
	api-types api-types-check

run: venv web
	-@$(MAKE) --no-print-directory system-deps DEBIAN_PKGS=opencv-doc
	$(BIN)/vigil up --demo

test: venv web system-deps lint typecheck test-web test-py

venv: $(STAMP)
# Every Python package comes from requirements.lock, pinned with hashes (pip refuses anything
# else); Vigil itself is then installed editable with no index and the locked build backend, so
# nothing outside the lock can enter. `make lock` rewrites the lock from pyproject.toml.
$(STAMP): requirements.lock pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q --no-index --no-build-isolation -e .
	touch $@

# The lock: `make lock` re-resolves requirements.lock after a change to pyproject.toml, keeping
# every pin it can; `make lock UPGRADE=1` moves every package to its newest allowed version.
# requirements/runtime.lock is the subset a plain `pip install vigil` needs (same versions):
# the wheel test installs from it. uv resolves (fast, hashes for every platform's files);
# plain pip installs, so a fresh machine needs nothing but Python.
UV_COMPILE = $(BIN)/uv pip compile pyproject.toml --python-version 3.11 \
	--python-platform x86_64-manylinux_2_28 --generate-hashes --no-header --quiet \
	$(if $(UPGRADE),--upgrade)
lock: venv
	$(UV_COMPILE) --all-extras -c requirements/lock-constraints.txt -o requirements.lock
	$(UV_COMPILE) -c requirements.lock -o requirements/runtime.lock
	@echo "requirements.lock: $$(grep -c '^[a-z0-9]' requirements.lock) packages; run make test"

# Drift on purpose: the newest versions pyproject.toml allows (no lock, no constraints), in a
# throwaway virtualenv, through the lint, type checks and unit tests. Prints what moved.
deps-latest: venv
	@set -e; tmp=$$(mktemp -d -t vigil-latest-XXXX); echo "throwaway environment: $$tmp"; \
	$(BIN)/uv pip compile pyproject.toml --all-extras --python-version 3.11 --no-header \
	  --quiet -o $$tmp/latest.txt; \
	$(BIN)/uv venv --quiet --python $(PYTHON) $$tmp/venv; \
	VIRTUAL_ENV=$$tmp/venv $(BIN)/uv pip install --quiet -r $$tmp/latest.txt; \
	VIRTUAL_ENV=$$tmp/venv $(BIN)/uv pip install --quiet -e .; \
	echo "== newer than requirements.lock:"; \
	join <(grep -oE '^[a-z0-9._-]+==[^ ]+' requirements.lock | tr '=' ' ' | awk '{print $$1, $$2}' | sort) \
	     <(grep -oE '^[a-z0-9._-]+==[^ ]+' $$tmp/latest.txt | tr '=' ' ' | awk '{print $$1, $$2}' | sort) \
	  | awk '$$2 != $$3 {print "  " $$1 ": " $$2 " -> " $$3}'; \
	rc=0; $$tmp/venv/bin/ruff check src tests bench || rc=1; \
	$$tmp/venv/bin/mypy || rc=1; \
	$$tmp/venv/bin/pytest tests/unit -q -p no:cacheprovider --basetemp=$$tmp/pytest || rc=1; \
	if [ $$rc -eq 0 ]; then echo "deps-latest: the newest allowed versions pass"; rm -rf $$tmp; \
	else echo "deps-latest: FAILED with the newest allowed versions (environment kept: $$tmp)"; fi; \
	exit $$rc

web: $(DIST)
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
$(DIST): web/node_modules/.package-lock.json $(WEB_SRC)
	cd web && npm run build

system-deps:
	@missing=""; for p in $(DEBIAN_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

lint: venv
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/lint-imports --no-cache  # the layers of pyproject.toml's [tool.importlinter]

typecheck: venv
	$(BIN)/mypy

test-web: web api-types-check
	cd web && npm run lint && npm run typecheck && npm run format:check && npm run test -- --run

# The dashboard's API types: web/src/api/openapi.json is the server's OpenAPI schema
# (tools/openapi.py builds the app without starting anything), web/src/api/schema.d.ts is what
# openapi-typescript makes of it, and web/src/api/types.ts names those types for the dashboard.
# `make api-types` rewrites both files after a change to the API (then `npm run typecheck` says
# what in the dashboard no longer fits); `make test` fails while they are out of date.
API_DIR := web/src/api
api-types: venv web/node_modules/.package-lock.json
	$(BIN)/python tools/openapi.py > $(API_DIR)/openapi.json.tmp
	mv $(API_DIR)/openapi.json.tmp $(API_DIR)/openapi.json
	cd web && npm run api:types

api-types-check: venv web/node_modules/.package-lock.json
	@set -e; tmp=$$(mktemp -d -t vigil-api-types-XXXX); trap 'rm -rf "$$tmp"' EXIT; \
	$(BIN)/python tools/openapi.py > $$tmp/openapi.json; \
	(cd web && npx --no-install openapi-typescript $$tmp/openapi.json -o $$tmp/schema.d.ts \
	  >$$tmp/openapi-typescript.log 2>&1) || { cat $$tmp/openapi-typescript.log; exit 1; }; \
	stale=0; \
	diff -u $(API_DIR)/openapi.json $$tmp/openapi.json >$$tmp/diff || stale=1; \
	diff -u $(API_DIR)/schema.d.ts $$tmp/schema.d.ts >>$$tmp/diff || stale=1; \
	if [ $$stale -ne 0 ]; then head -n 80 $$tmp/diff; \
	  echo "web/src/api/schema.d.ts is out of date with the server: run make api-types"; exit 1; fi; \
	echo "api-types-check: web/src/api/schema.d.ts matches the server's OpenAPI schema"

# The cluster test spends two of its three minutes with the edges' link cut (waiting, not
# computing), so it runs beside the rest: its own basetemp (each pytest run resets
# /tmp/pytest-of-<user>) and its log printed after; either failing fails `make test`.
CLUSTER_TESTS := tests/integration/cluster
test-py: venv system-deps
	@rm -rf test-artifacts/cluster; mkdir -p test-artifacts; \
	VIGIL_CLUSTER_LOGS=test-artifacts/cluster $(BIN)/pytest $(CLUSTER_TESTS) -p no:cacheprovider --tb=short --basetemp=/tmp/vigil-pytest-cluster-$$$$ \
	  >test-artifacts/pytest-cluster.log 2>&1 & cluster=$$!; \
	$(BIN)/pytest --ignore=$(CLUSTER_TESTS); rest=$$?; \
	wait $$cluster; cluster_rc=$$?; \
	echo "== $(CLUSTER_TESTS) (ran beside the rest; exit $$cluster_rc) =="; \
	cat test-artifacts/pytest-cluster.log; \
	if [ $$cluster_rc -ne 0 ]; then echo "== the cluster's errors and edge state changes =="; \
	  grep -H -E '"level": "(error|critical)"|OFFLINE|ONLINE again' test-artifacts/cluster/*.log \
	  | cut -c1-400 | tail -n 40; fi; \
	test $$rest -eq 0 -a $$cluster_rc -eq 0

clean:
	rm -rf $(VENV) web/node_modules src/vigil/web/dist .pytest_cache .mypy_cache .ruff_cache
