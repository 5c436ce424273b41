# clusterops.groups: every developer and CI entry point. See README.md.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COLLECTION_LINK := .collections/ansible_collections/clusterops/groups

ARGS ?=

.PHONY: setup demo test lint sanity units integration navigator docsite pytest matrix clean cluster-start cluster-stop
.DEFAULT_GOAL := test

# The pinned toolchain, then the development packages of this checkout (tools/install_dev_packages.sh: the node
# simulator and playbook runner installed editable, the collection importable through a finder that a .pth line installs).
$(STAMP): requirements-dev.txt requirements.txt tools/node_simulator/pyproject.toml tools/install_dev_packages.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	bash tools/install_dev_packages.sh $(VENV)
	touch $(STAMP)

$(COLLECTION_LINK):
	mkdir -p $(dir $(COLLECTION_LINK))
	ln -sfn ../../.. $(COLLECTION_LINK)

setup: $(STAMP) $(COLLECTION_LINK)

demo: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/demo.sh

lint: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/lint.sh

sanity: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible_test.sh sanity

units: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible_test.sh units

# ansible-test integration targets (tests/integration/targets/), each against its own simulator on 127.0.0.1.
integration: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" bash tools/ansible_test.sh integration $(ARGS)

# ansible-navigator run (success, rollback) and replay of create_group.yml against a local simulator, from its own
# pinned venv .venv-navigator (tools/requirements-navigator.txt), made on first use.
navigator: setup
	bash tools/navigator_checks.sh

# The collection docsite (antsibull-docs sphinx-init + sphinx-build -W) into build/docsite, from its own pinned venv
# .venv-docsite (tools/requirements-docsite.txt), made on first use. The dev release only (not in the matrix).
docsite: setup
	bash tools/docsite.sh

pytest: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest --durations=25

# Every other ansible-core release we claim (tests/matrix/): sanity, units, integration and the `matrix` pytest subset, each in
# its own pinned venv under .matrix/ (cached by the requirement file's hash). A release whose Python is missing fails.
matrix: setup
	$(BIN)/python tools/matrix.py $(ARGS)

test: lint sanity units integration navigator docsite pytest matrix

cluster-start: setup
	$(BIN)/python tools/local_cluster.py start $(ARGS)

cluster-stop: setup
	$(BIN)/python tools/local_cluster.py stop

clean:
	rm -rf $(VENV) .venv-navigator .venv-docsite build/docsite .collections tests/output .pytest_cache .matrix
