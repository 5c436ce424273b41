#!/usr/bin/env bash
# Lint YAML, Ansible content (production profile), the Dockerfile and the changelog fragments, then run the
# Galaxy / Automation Hub import checks on the built tarball (tools/import_checks.sh).
# Runs with the project venv first on PATH (ansible-lint calls ansible-config/ansible-galaxy from PATH).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
export ANSIBLE_COLLECTIONS_PATH="$repo/.collections"

echo "== yamllint"
yamllint --strict .

echo "== ansible-lint (production profile)"
# A private HOME: a copy of clusterops.groups installed under ~/.ansible/collections would otherwise shadow
# the checkout (seen here: an old copy made ansible-lint report our newest module as unknown).
lint_home=$(mktemp -d "${TMPDIR:-/tmp}/clusterops-lint-home.XXXXXX")
trap 'rm -rf "$lint_home"' EXIT
HOME="$lint_home" ansible-lint --offline --profile production

echo "== hadolint"
if [ -f Dockerfile ]; then hadolint Dockerfile; fi

echo "== antsibull-changelog lint"
antsibull-changelog lint

# antsibull-docs and galaxy-importer on the built tarball, from their own pinned venv
bash tools/import_checks.sh
echo "lint: all checks passed"
