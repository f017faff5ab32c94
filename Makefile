# One entry point per task. `make run` and `make test` work on a fresh clone (they create .venv first).
SHELL := /bin/bash
PYTHON_BOOT ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)
# Deployment profile (docs/team-server.md): local (default: SQLite instance in .dagster_home) or server/k8s/celery
# (PostgreSQL; DAGSTER_HOME from the environment, outside the checkout).
export KEMISKINAN_PROFILE ?= $(or $(KEMISKINAN_DEPLOYMENT),local)
ifeq ($(KEMISKINAN_PROFILE),local)
export DAGSTER_HOME := $(CURDIR)/.dagster_home
else ifndef DAGSTER_HOME
$(error KEMISKINAN_PROFILE=$(KEMISKINAN_PROFILE) needs DAGSTER_HOME, a folder outside the checkout (docs/team-server.md))
endif
export DAGSTER_DISABLE_TELEMETRY := 1
export MPLBACKEND := Agg
# Registry pseudonyms: a real key from P3KE_PSEUDONYM_KEY, else the explicit demo mode (public demo key,
# recorded in every output as key_mode=demo).
export KEMISKINAN_REGISTRY_MODE ?= $(if $(P3KE_PSEUDONYM_KEY),env,demo)

.PHONY: venv run test ui bench lint mutate clean

venv: $(STAMP)

INSTANCE := $(DAGSTER_HOME)/dagster.yaml

# The instance configuration of the profile (local: telemetry off, SQLite) installed into DAGSTER_HOME.
$(INSTANCE): deploy/$(KEMISKINAN_PROFILE)/dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp $< $@

$(STAMP): requirements.lock.txt pyproject.toml
	@test -x $(PY) || $(PYTHON_BOOT) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock.txt
	@touch $(STAMP)

# Incremental: only what changed since the last complete run (scripts/incremental.py); FULL=1 recomputes all.
run: venv $(INSTANCE)
	$(PY) -m scripts.run $(if $(FULL),--full)

# Two workers; tests sharing the whole-graph run or the registry demo stay on one (their xdist_group marks).
# mypy checks the library meanwhile (cold: ~10 s of one core; pyproject.toml says what it takes as untyped).
# Temporary files (Dagster's SQLite instances, PostgreSQL's data folder, outputs) on tmpfs when there is one:
# SQLite commits every event with an fsync, ~5 ms each on this disk and ~0 on tmpfs (TEST_TMPDIR overrides).
TEST_TMPDIR ?= $(shell test -d /dev/shm -a -w /dev/shm && echo /dev/shm || echo $${TMPDIR:-/tmp})

test: venv
	$(VENV)/bin/ruff check .
	@log=$$(mktemp); $(VENV)/bin/mypy > $$log 2>&1 & mypy_pid=$$!; \
	TMPDIR=$(TEST_TMPDIR) $(PY) -m pytest -n 2 --dist loadgroup; tests=$$?; \
	wait $$mypy_pid; typed=$$?; echo "mypy: $$(cat $$log)"; rm -f $$log; \
	test $$tests -eq 0 -a $$typed -eq 0

ui: venv $(INSTANCE)
	$(VENV)/bin/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

bench: venv $(INSTANCE)
	$(PY) -m benchmarks.run

lint: venv
	$(VENV)/bin/ruff check estimation checks assets pipelines scripts benchmarks tests

# Mutation check (not part of `make test`; docs/mutation.md): mutmut over the modules of [tool.mutmut] in
# pyproject.toml, from its own virtualenv layered on .venv (a .pth file) so that .venv stays the lock.
# MUTANTS narrows the run to mutant names, e.g. make mutate MUTANTS='"estimation.survey.direct.*"'.
MUTATE_VENV := .venv-mutate
MUTATE_STAMP := $(MUTATE_VENV)/.installed

$(MUTATE_STAMP): requirements-mutate.txt $(STAMP)
	@test -x $(MUTATE_VENV)/bin/python || $(PY) -m venv $(MUTATE_VENV)
	$(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
	  > "$$($(MUTATE_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/project_venv.pth"
	$(MUTATE_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-mutate.txt
	@touch $@

# PYTHONPATH is dropped: the tests must import the mutated copy in mutants/, not the working tree.
mutate: venv $(MUTATE_STAMP)
	env -u PYTHONPATH nice -n 10 $(MUTATE_VENV)/bin/mutmut run --max-children 2 $(MUTANTS)
	env -u PYTHONPATH $(MUTATE_VENV)/bin/mutmut results

clean:
	rm -rf data/outputs data/storage data/restricted data/generated mutants
