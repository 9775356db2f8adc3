# Everything a fresh clone needs: `make test` (the whole suite) and `make lab`
# (the prereqs playbook against a lab host). Both build .venv from the pinned
# requirements the first time and make the checkout visible to Ansible as the
# lync.hybrid collection, without Galaxy.
SHELL := /bin/bash
# ansible-core 2.21 needs Python 3.12 or later; with pyenv, .python-version selects them.
PYTHON ?= python3.13
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTION_LINK := build/collections/ansible_collections/lync/hybrid
# Older maintained ansible-core minors: one venv each from tests/matrix/ansible-<minor>.txt,
# each on its own Python so the legs also cover the interpreters users have.
MATRIX := 2.20
MATRIX_PYTHON_2.20 := python3.12
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(CURDIR)/build/collections
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: all setup test unit e2e lint ansible-lint sanity molecule lab clean matrix $(MATRIX:%=test-%)
.PHONY: packaging importer-venv

all: test

setup: $(STAMP) $(COLLECTION_LINK)

# $(1): the venv, $(2): its Python, $(3): the requirements file.
define make_venv
	@$(2) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null || { \
	  echo "make: '$(2)' is missing or older than Python 3.12, which ansible-core 2.20 and later need." >&2; \
	  echo "make: install it (pyenv install 3.13.0 3.12.1) or run make PYTHON=/path/to/python3.12+." >&2; exit 2; }
	$(2) -m venv $(1)
	$(1)/bin/python -m pip install --quiet --upgrade pip
	$(1)/bin/python -m pip install --quiet -r $(3)
	touch $(1)/.installed
endef

$(STAMP): requirements-dev.txt requirements-test.txt
	$(call make_venv,$(VENV),$(PYTHON),requirements-dev.txt)

.venv-%/.installed: tests/matrix/ansible-%.txt requirements-test.txt
	$(call make_venv,.venv-$*,$(MATRIX_PYTHON_$*),tests/matrix/ansible-$*.txt)

# galaxy-importer (Galaxy's and Automation Hub's import checks) in its own venv: it pins its own
# ansible-lint range, which must not hold back the main venv's tool chain.
IMPORTER_VENV := .venv-importer
$(IMPORTER_VENV)/.installed: tests/importer/requirements.txt
	$(call make_venv,$(IMPORTER_VENV),$(PYTHON),tests/importer/requirements.txt)

importer-venv: $(IMPORTER_VENV)/.installed

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

# A matrix leg: the unit and end-to-end suites (real ansible-playbook against lab hosts)
# on an older ansible-core; its own PATH so every ansible command comes from that venv.
$(MATRIX:%=test-%): test-%: .venv-%/.installed $(COLLECTION_LINK)
	PATH=$(CURDIR)/.venv-$*/bin:$$PATH .venv-$*/bin/python -m pytest -n 2 -p no:cacheprovider tests/unit tests/e2e

matrix: $(MATRIX:%=test-%)

# The collection as users and Galaxy get it (tests/packaging): galaxy-importer on the built
# tarball, ansible-lint on a fresh copy, ansible-builder, changelog and docs linters. Main venv only;
# the install-and-run test is in tests/e2e and runs on every leg.
packaging: setup importer-venv
	$(BIN)/python -m pytest -n 2 tests/packaging

# Slow static gates first, then the older minors, so the main suite's pytest summary is
# the last thing printed.
test: setup lint ansible-lint sanity packaging matrix
	$(BIN)/python -m pytest -n 2 tests/unit tests/e2e

# Also part of `make test` (tests/e2e/test_molecule.py); run from the repo root, where
# molecule finds galaxy.yml and the scenarios under extensions/molecule.
molecule: setup
	$(BIN)/molecule test

lab: setup
	$(BIN)/python -m tests.lab.demo

clean:
	rm -rf build tests/output .pytest_cache .ruff_cache
