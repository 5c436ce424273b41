#!/usr/bin/env bash
# Make VENV a development venv of this checkout (`make setup` for .venv, tools/matrix.py for each release's venv):
# - the node simulator and the playbook runner (tools/node_simulator: `import simulator`, `import playbook_runner`)
#   installed editable; setuptools, their build backend, pinned in requirements-dev.txt and used without build
#   isolation, so nothing unpinned is downloaded;
# - the collection importable as `ansible_collections.clusterops.groups` from any directory: a .pth line installing
#   checkout_collection's finder for <checkout>/.collections, where `make setup` links
#   ansible_collections/clusterops/groups to the checkout (a finder, not a path: see checkout_collection.py).
# Scripts under tools/ rely on both and set up no import path of their own.
set -euo pipefail
venv=${1:?usage: install_dev_packages.sh VENV}
repo=$(cd "$(dirname "$0")/.." && pwd)
python="$venv/bin/python"
pip=("$python" -m pip install --quiet --disable-pip-version-check --no-deps)
setuptools=$(grep -m1 '^setuptools==' "$repo/requirements-dev.txt")
"${pip[@]}" "$setuptools"
"${pip[@]}" --no-build-isolation --editable "$repo/tools/node_simulator"
site_packages=$("$python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
echo "import checkout_collection; checkout_collection.install()" > "$site_packages/clusterops_groups_collection.pth"
