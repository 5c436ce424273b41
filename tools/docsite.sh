#!/usr/bin/env bash
# The collection's docsite, as antsibull-docs publishes collection docs: `antsibull-docs sphinx-init --use-current`
# into a temporary directory, then its generated build.sh (antsibull-docs collection, then sphinx-build -W: any doc
# build warning fails). The HTML is kept in build/docsite/ (git-ignored; CI's artifact).
# Runs from its own pinned venv, .venv-docsite (tools/requirements-docsite.txt: sphinx-init's requirements), made on
# first use. No network: the intersphinx inventories conf.py falls back to are written locally
# (tools/docsite_inventories.py).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
venv="$repo/.venv-docsite"
requirements="$repo/tools/requirements-docsite.txt"
output="$repo/build/docsite"
# shellcheck source=tools/_pinned_venv.sh
. "$repo/tools/_pinned_venv.sh"
pinned_venv "$venv" "$requirements"
[ -e "$repo/.collections/ansible_collections/clusterops/groups" ] ||
    { echo "docsite: .collections link missing: run make setup" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/clusterops-docsite.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The checkout through its .collections link; nothing from ~/.ansible or the checkout's ansible.cfg.
mkdir -p "$work/home"
printf '[defaults]\n' > "$work/ansible.cfg"
export HOME="$work/home" ANSIBLE_CONFIG="$work/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$repo/.collections"
export PATH="$venv/bin:$PATH"

# a failed build leaves no stale site behind
rm -rf "$output"
# antsibull-docs wants a directory that only its owner can write to
mkdir -m 700 "$work/site"
antsibull-docs sphinx-init --use-current --dest-dir "$work/site" clusterops.groups > "$work/init.log" 2>&1 ||
    { cat "$work/init.log"; exit 1; }
python "$repo/tools/docsite_inventories.py" "$work/site"
bash "$work/site/build.sh" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }

for page in index group_module group_info_module cluster_group_module cluster_group_info_module group_transaction_role; do
    [ -f "$work/site/build/html/collections/clusterops/groups/$page.html" ] ||
        { echo "docsite: no page for $page" >&2; exit 1; }
done
mkdir -p "$(dirname "$output")"
cp -a "$work/site/build/html" "$output"
echo "docsite: built in $output ($(find "$output" -name '*.html' | wc -l) pages)"
