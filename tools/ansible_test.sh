#!/usr/bin/env bash
# Run ansible-test (sanity | units | integration) on the collection.
# ansible-test needs the collection at .../ansible_collections/clusterops/groups and rejects a symlinked tree,
# so we stage a copy of the files git knows (tracked + untracked-but-not-ignored) into a temporary tree.
# ansible-test bootstraps pip in its venvs with a script it downloads from a host that may be unreachable;
# we pre-seed its cache with tools/ansible-test-get-pip.py (ensurepip + the configured package index).
# ANSIBLE_TEST_VENV=<venv> runs that venv's ansible-test (the release matrix, tools/matrix.py), PYTHON_VERSION=X.Y
# the Python it tests with (default: the Python of the ansible-test that runs). Each release wants the bootstrap
# under its own name (get_pip_23_1_2.py for 2.16/2.17, 24_2 for 2.18/2.19, 25_2 for 2.20/2.21).
set -euo pipefail
command=${1:?usage: ansible_test.sh sanity|units|integration [ansible-test options and targets]}
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${ANSIBLE_TEST_VENV:-}" ]; then
  # first on PATH: ansible-test looks up python<X.Y> there, and pyenv's shims refuse
  export PATH="$ANSIBLE_TEST_VENV/bin:$PATH"
fi
ansible_test_python=$(dirname "$(command -v ansible-test)")/python
python=${PYTHON_VERSION:-$("$ansible_test_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}

# The pip version whose bootstrap script this ansible-test wants (its first, newest-Python entry).
pip_version=$("$ansible_test_python" - <<'PY'
import re, ansible_test._internal.python_requirements as requirements
import inspect
print(re.search(r"pip='([0-9.]+)'", inspect.getsource(requirements.get_venv_packages)).group(1).replace(".", "_"))
PY
)
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
  integration)
    # --local: the targets run in this venv (requests and the simulator are there; no container engine, no
    # download). They talk only to the simulator they start on 127.0.0.1 (tests/integration/targets/).
    ansible-test integration --local --python "$python" --color no "$@" ;;
  *) echo "unknown command: $command" >&2; exit 2 ;;
esac
