#!/usr/bin/env bash
# The demo, against a local simulated cluster of its own (.clusterops/demo: a cluster you started with
# `make cluster-start` is left alone): create a group, re-run it (nothing to do), a failure on one node and its
# rollback (a group that existed before on another node is kept), a rollback that cannot finish, and
# finish_rollback.yml completing it. Runs with the project venv first on PATH (see Makefile).
set -euo pipefail
cd "$(dirname "$0")/.."
group=${DEMO_GROUP:-demo-group}
nodes=${DEMO_NODES:-4}
state_dir=${DEMO_STATE_DIR:-.clusterops/demo}
inventory=$state_dir/local_cluster.yml
# run records of the demo stay with the demo (a real run keeps them under ~/.clusterops/records)
records=$state_dir/records
run_id=demo-$(date -u +%Y%m%dT%H%M%SZ)

cluster() { python tools/local_cluster.py "$@" --state-dir "$state_dir"; }
cleanup() { cluster stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
playbook() {
  printf '$ ansible-playbook %s\n' "$*"
  ansible-playbook -i "$inventory" -e "group_transaction_record_dir=$records" "$@"
}
# A run the demo makes fail on purpose: its exit code 2 is the point, not an error of the demo.
failing_playbook() {
  local rc=0
  playbook "$@" || rc=$?
  [ "$rc" -ne 0 ] || { echo "demo: expected this run to fail" >&2; exit 1; }
  printf '(exit code %s, as expected)\n' "$rc"
}

step "Starting a local simulated cluster of $nodes nodes ($state_dir)"
rm -rf "$records"
cluster start --nodes "$nodes"

step "1. Create the group on every node"
playbook playbooks/create_group.yml -e "group=$group"

step "2. The same command again: every node already has it, nothing changes (changed=0)"
playbook playbooks/create_group.yml -e "group=$group"

step "3. Status, then delete it again"
playbook playbooks/group_status.yml -e "group=$group"
playbook playbooks/delete_group.yml -e "group=$group"

step "4. node2 already has the group 'kept-$group' (made by someone else); node3 will fail every create"
ansible node2 -i "$inventory" -m clusterops.groups.group -a "name=kept-$group api_url={{ cluster_api_url }}"
cluster fault node3 500_before_write --method POST --sticky
failing_playbook playbooks/create_group.yml -e "group=kept-$group"
step "   The nodes this run created it on were put back; node2 keeps the group it had before"
cluster status

step "5. Now node1 also refuses deletes: the rollback cannot finish (the run prints the finish command)"
cluster fault node1 500_before_write --method DELETE --sticky
failing_playbook playbooks/create_group.yml -e "group=$group" -e "group_transaction_run_id=$run_id"
cluster status

step "6. The nodes answer again: finish_rollback.yml puts back what the run left behind"
cluster clear
playbook playbooks/finish_rollback.yml -e "run_id=$run_id" -e "group=$group"
cluster status

step "Demo finished: the demo's cluster is stopped on exit. Faults: python tools/local_cluster.py fault --help"
