# The two quick-start commands are `make test` and `make up` (see README).
PYTHON ?= python3
VENV   := venv
BIN    := $(VENV)/bin
STACK  ?= dev

.PHONY: install policy-install test lint typecheck unit up preview rotate-now verify adopt bench manifests contract

# uv installs exactly the lock (uv.lock; policy/uv.lock for the pack), with bytecode compiled at
# install as pip did: under PYTHONDONTWRITEBYTECODE every import of the SDKs would compile them
# again. The uv on PATH is used; without one, the version in .uv.version is fetched from PyPI with
# pip into .uv/ (git-ignored) and put first on PATH, where Pulumi's uv toolchain looks for it.
UV_VERSION := $(shell cat .uv.version)
UV_HOME    := .uv/$(UV_VERSION)
UV         := $(or $(shell command -v uv 2>/dev/null),$(UV_HOME)/bin/uv)
ifeq ($(UV),$(UV_HOME)/bin/uv)
export PATH := $(CURDIR)/$(UV_HOME)/bin:$(PATH)
endif
# Pulumi.yaml's virtualenv; without it uv would install into .venv.
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
UV_SYNC    := $(UV) sync --frozen --compile-bytecode --python $(PYTHON)

$(UV_HOME)/bin/uv:
	@echo "uv is not on PATH: fetching uv $(UV_VERSION) from PyPI into $(UV_HOME)/ (pip) ..."
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install --quiet --disable-pip-version-check --target $(UV_HOME) uv==$(UV_VERSION)

$(BIN)/.installed: pyproject.toml uv.lock | $(UV)
	@echo "Installing the locked environment (uv.lock) into $(VENV)/ with $(UV) ..."
	$(UV_SYNC)
	touch $@

install: $(BIN)/.installed

# The policy pack (policy/) runs in its own venv, created here for `pulumi ... --policy-pack policy`.
policy/venv/.installed: policy/pyproject.toml policy/uv.lock | $(UV)
	@echo "Installing the policy pack's locked environment (policy/uv.lock) into policy/venv/ ..."
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/policy/venv $(UV_SYNC) --project policy
	touch $@

policy-install: policy/venv/.installed

# zizmor: offline, no config file that could switch audits off; every finding of its default
# persona at or above low fails (the pedantic and auditor personas report more).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/zizmor --offline --no-config --strict-collection --min-severity low .github

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest --numprocesses=auto

# mypy and pytest take most of a cold run, each on one core: side by side they take the time of the
# slower one on a 2-core machine (docs/development.md, "Speed"). Each prints its report when it ends.
test: lint
	@echo "Type-checking (mypy) and running the tests (pytest) side by side ..."
	@$(MAKE) --no-print-directory --jobs=2 $(if $(filter output-sync,$(.FEATURES)),--output-sync=target) typecheck unit

# scripts/stack.sh checks the stack file, credentials and the pinned Pulumi CLI before it builds
# the policy pack's venv (policy-install), so a missing piece is reported in seconds.
up: install
	scripts/stack.sh up $(STACK)

preview: install
	scripts/stack.sh preview $(STACK)

rotate-now: install
	scripts/stack.sh rotate-now $(STACK)

# `make verify STACK=prod ARGS="--json"`: ARGS go to ops.verify / ops.adopt unchanged.
verify: install
	scripts/stack.sh verify $(STACK) $(ARGS)

adopt: install
	scripts/stack.sh adopt $(STACK) $(ARGS)

bench: install
	$(BIN)/python scripts/benchmark.py

manifests: install
	$(BIN)/python scripts/grant_manifest.py

# Pulumi.yaml's config block, the README's config table and schema/stack-config.schema.json,
# generated from config/settings.py (tests fail while they are stale).
contract: install
	$(BIN)/python scripts/config_contract.py
