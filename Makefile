# Everything a fresh clone needs: `make test` (the whole suite) and `make lab`
# (the prereqs playbook against a lab host). Both build .venv from the pinned
# requirements the first time and make the checkout visible to Ansible as the
# lync.hybrid collection, without Galaxy.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTION_LINK := build/collections/ansible_collections/lync/hybrid
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: all setup test unit e2e lint ansible-lint sanity molecule lab clean

all: test

setup: $(STAMP) $(COLLECTION_LINK)

$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../../.. $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The copy under build/sanity is a fresh git tree; see tests/sanity/run_sanity.sh.
sanity: setup
	PYTHON=$(CURDIR)/$(BIN)/python tests/sanity/run_sanity.sh

unit: setup
	$(BIN)/python -m pytest tests/unit

e2e: setup
	$(BIN)/python -m pytest tests/e2e

ansible-lint: setup
	$(BIN)/ansible-lint

# Slow static gates first, so the pytest summary is the last thing printed.
test: setup lint ansible-lint sanity
	$(BIN)/python -m pytest -n 2 tests/unit tests/e2e

# Also part of `make test` (tests/e2e/test_molecule.py); run from the repo root, where
# molecule finds galaxy.yml and the scenarios under extensions/molecule.
molecule: setup
	$(BIN)/molecule test

lab: setup
	$(BIN)/python -m tests.lab.demo

clean:
	rm -rf build tests/output .pytest_cache .ruff_cache
