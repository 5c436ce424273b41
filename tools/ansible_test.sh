#!/usr/bin/env bash
# Run ansible-test (sanity | units) on the collection.
# ansible-test needs the collection at .../ansible_collections/clusterops/groups and rejects a symlinked tree,
# so we stage a copy of the files git knows (tracked + untracked-but-not-ignored) into a temporary tree.
# ansible-test bootstraps pip in its venvs with a script it downloads from a host that may be unreachable;
# we pre-seed its cache with tools/ansible-test-get-pip.py (ensurepip + the configured package index).
set -euo pipefail
command=${1:?usage: ansible_test.sh sanity|units}
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON_VERSION:-3.11}

# The pip version whose bootstrap script ansible-test wants (24.2 for ansible-core 2.19).
pip_version=$(python - <<'PY'
import re, ansible_test._internal.python_requirements as requirements
import inspect
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(requirements.get_venv_packages)).group(1).replace(".", "_"))
PY
) || pip_version=24_2
cache_dir="$HOME/.ansible/test/cache"
mkdir -p "$cache_dir"
[ -f "$cache_dir/get_pip_${pip_version}.py" ] || cp "$repo/tools/ansible-test-get-pip.py" "$cache_dir/get_pip_${pip_version}.py"

stage=$(mktemp -d "${TMPDIR:-/tmp}/clusterops-ansible-test.XXXXXX")
trap 'rm -rf "$stage"' EXIT
target="$stage/ansible_collections/clusterops/groups"
mkdir -p "$target"
(cd "$repo" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] || continue   # deleted in the work tree but still in the index
  mkdir -p "$target/$(dirname "$f")" && cp -p "$f" "$target/$f"
done)

cd "$target"
case "$command" in
  sanity)
    # All default sanity tests run with a local venv; none is skipped for want of a container engine.
    ansible-test sanity --python "$python" --color no "$@" ;;
  units)
    if [ -d tests/unit/plugins ]; then
      ansible-test units --venv --python "$python" --color no "$@"
    else
      echo "no ansible-test unit tests yet (tests/unit/plugins missing)" >&2; exit 1
    fi ;;
  *) echo "unknown command: $command" >&2; exit 2 ;;
esac
