#!/usr/bin/env bash
# Import checks the way Galaxy / Automation Hub run them, on the built tarball, not the checkout:
#   1. antsibull-docs lint-collection-docs --plugin-docs on the collection installed from the tarball;
#   2. galaxy-importer on the tarball, its container-based ansible-test step turned off
#      (tools/galaxy-importer/galaxy-importer.cfg; CI runs ansible-test sanity itself, tools/ansible_test.sh).
# Both run from their own pinned venv, .venv-import (tools/requirements-import.txt), made on first use.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv="$repo/.venv-import"
requirements="$repo/tools/requirements-import.txt"
# shellcheck source=tools/_pinned_venv.sh
. "$repo/tools/_pinned_venv.sh"
pinned_venv "$venv" "$requirements"

work=$(mktemp -d "${TMPDIR:-/tmp}/clusterops-import.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Nothing from the checkout's ansible.cfg, its .collections link or a copy in ~/.ansible may take part.
mkdir -p "$work/home"
printf '[defaults]\n' > "$work/ansible.cfg"
export HOME="$work/home" ANSIBLE_CONFIG="$work/ansible.cfg" PATH="$venv/bin:$PATH"
unset ANSIBLE_COLLECTIONS_PATH

ansible-galaxy collection build --output-path "$work/dist" "$repo" >/dev/null
tarball=$(ls "$work"/dist/clusterops-groups-*.tar.gz)
# (its warning that this path is not a configured collections path is expected: we pass it explicitly)
ansible-galaxy collection install --offline -p "$work/collections" "$tarball" > "$work/install.log" 2>&1 ||
    { cat "$work/install.log"; exit 1; }

echo "== antsibull-docs lint-collection-docs --plugin-docs ($(basename "$tarball"))"
(cd "$work/collections/ansible_collections/clusterops/groups" &&
    ANSIBLE_COLLECTIONS_PATH="$work/collections" antsibull-docs lint-collection-docs --plugin-docs .)

echo "== galaxy-importer ($(basename "$tarball"))"
(cd "$work" && GALAXY_IMPORTER_CONFIG="$repo/tools/galaxy-importer/galaxy-importer.cfg" \
    python -m galaxy_importer.main "$tarball" > "$work/importer.log" 2>&1) || { cat "$work/importer.log"; exit 1; }
grep -q "Importer processing completed successfully" "$work/importer.log" || { cat "$work/importer.log"; exit 1; }
# Warnings do not fail an import; show them (the AWX example project imports our playbooks by FQCN, which the
# importer's ansible-lint cannot resolve without the collection installed).
grep "WARNING" "$work/importer.log" || true
echo "import checks: passed"
