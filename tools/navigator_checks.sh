#!/usr/bin/env bash
# ansible-navigator, the way a user runs our playbooks with it (no execution environment, stdout mode), against a
# 3-node simulator on 127.0.0.1 in a temporary state dir:
#   1. `run playbooks/create_group.yml` succeeds (exit 0), every node holds the group, the artifact says successful;
#   2. the same with a sticky 500 on node3's writes fails (exit non-zero) and is rolled back: no node holds that group;
#   3. `replay` of each artifact shows the run's summary line and its PLAY RECAP.
# ansible-navigator runs from its own pinned venv, .venv-navigator (tools/requirements-navigator.txt), made on first
# use. From the repo root so ansible.cfg applies (collections_path = .collections: `make setup` links the checkout).
# A private HOME and settings file, no image pull, no network beyond 127.0.0.1.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
venv="$repo/.venv-navigator"
requirements="$repo/tools/requirements-navigator.txt"
# shellcheck source=tools/_pinned_venv.sh
. "$repo/tools/_pinned_venv.sh"
pinned_venv "$venv" "$requirements"
[ -e .collections/ansible_collections/clusterops/groups ] ||
    { echo "navigator checks: .collections link missing: run make setup" >&2; exit 1; }
# the simulator is test infrastructure, not under test: it runs from the project venv, where make setup installs it
dev_python="$repo/.venv/bin/python"
[ -x "$dev_python" ] || { echo "navigator checks: $dev_python missing: run make setup" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/clusterops-navigator.XXXXXX")
cluster() { "$dev_python" tools/local_cluster.py "$@" --state-dir "$work/simulator"; }
cleanup() { cluster stop >/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/home"
cat > "$work/ansible-navigator.yml" <<EOF
---
ansible-navigator:
  execution-environment:
    enabled: false
  mode: stdout
  color:
    enable: false
  logging:
    file: $work/ansible-navigator.log
  playbook-artifact:
    enable: true
EOF
export HOME="$work/home" ANSIBLE_NAVIGATOR_CONFIG="$work/ansible-navigator.yml" PATH="$venv/bin:$PATH"
export CLUSTEROPS_RECORD_DIR="$work/records"
unset ANSIBLE_CONFIG ANSIBLE_COLLECTIONS_PATH CLUSTEROPS_API_TOKEN

fail() { echo "navigator checks: $1" >&2; [ -z "${2:-}" ] || tail -40 "$2" >&2; exit 1; }

# run NAME GROUP: ansible-navigator run of create_group.yml, output in $work/NAME.out, artifact $work/NAME.json
run() {
    local rc=0
    ansible-navigator run playbooks/create_group.yml -i "$work/simulator/local_cluster.yml" \
        -e "group=$2" -e cluster_retries=1 -e cluster_backoff_base=0 -e cluster_backoff_max=0 \
        --pas "$work/$1.json" > "$work/$1.out" 2>&1 || rc=$?
    echo "$rc"
}

# holders GROUP: the nodes that hold GROUP, read from the simulator's own state
holders() {
    "$dev_python" - "$work/simulator/local_cluster.json" "$1" <<'EOF'
import json, sys
from simulator import SimulatorControl
state = json.load(open(sys.argv[1], encoding="utf-8"))
snapshot = SimulatorControl(state["control_url"], ca_path=state.get("ca_path")).snapshot()
print(" ".join(sorted(node for node, groups in snapshot.items() if sys.argv[2] in groups)))
EOF
}

# artifact_status NAME: the artifact's own status (successful / failed)
artifact_status() {
    "$venv/bin/python" -c 'import json, sys; print(json.load(open(sys.argv[1], encoding="utf-8"))["status"])' \
        "$work/$1.json"
}

# replay NAME SUMMARY: the replay exits 0 and shows SUMMARY and the PLAY RECAP
replay() {
    ansible-navigator replay "$work/$1.json" > "$work/$1.replay" 2>&1 || fail "replay of $1 failed" "$work/$1.replay"
    grep -qF "$2" "$work/$1.replay" || fail "replay of $1 lacks: $2" "$work/$1.replay"
    grep -q "^PLAY RECAP" "$work/$1.replay" || fail "replay of $1 lacks its PLAY RECAP" "$work/$1.replay"
}

cluster start --nodes 3 >/dev/null

echo "== ansible-navigator run create_group.yml (success)"
rc=$(run success nav-ok)
[ "$rc" = 0 ] || fail "run exited $rc, expected 0" "$work/success.out"
[ "$(holders nav-ok)" = "node1 node2 node3" ] || fail "nav-ok is on: '$(holders nav-ok)'" "$work/success.out"
[ "$(artifact_status success)" = successful ] || fail "artifact status $(artifact_status success)"

echo "== ansible-navigator run create_group.yml (node3 fails every write: rollback)"
cluster fault node3 500_before_write --method POST --sticky >/dev/null
rc=$(run rollback nav-rollback)
[ "$rc" != 0 ] || fail "run exited 0, expected a failure" "$work/rollback.out"
[ -z "$(holders nav-rollback)" ] || fail "nav-rollback left on: '$(holders nav-rollback)'" "$work/rollback.out"
[ "$(holders nav-ok)" = "node1 node2 node3" ] || fail "the rollback touched nav-ok: '$(holders nav-ok)'"
[ "$(artifact_status rollback)" = failed ] || fail "artifact status $(artifact_status rollback)"
grep -Eq "^node3 +: .*failed=1" "$work/rollback.out" || fail "PLAY RECAP does not fail node3" "$work/rollback.out"

echo "== ansible-navigator replay (both artifacts)"
replay success "create of group 'nav-ok': success (3 nodes: 3 changed)"
replay rollback "create of group 'nav-rollback': rolled_back (3 nodes: 2 changed, 1 failed)"
grep -Eq "^node3 +: .*failed=1" "$work/rollback.replay" || fail "replay does not fail node3" "$work/rollback.replay"
echo "navigator checks: passed (run exit 0 and $rc, node state from the simulator, replays)"
