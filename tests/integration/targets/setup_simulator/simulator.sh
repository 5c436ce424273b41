# shellcheck shell=bash
# Sourced by the runme.sh of every target that needs nodes (their aliases list needs/target/setup_simulator).
# Starts a 3-node simulator on 127.0.0.1 with tools/local_cluster.py and stops it when the sourcing script exits,
# whether the target passed, failed or was interrupted. Then `simulator_playbook PLAYBOOK [ARGS]` runs a playbook
# against its inventory (group `cluster`, hosts node1..node3 with cluster_api_url) with the control API's URL in
# `setup_simulator_control_url`, which the tasks of this target (`include_role: setup_simulator`) read.

# ansible-test runs the target from a copy under tests/output/.tmp; the collection it tests is on this path.
setup_simulator_collection="${ANSIBLE_COLLECTIONS_PATH%%:*}/ansible_collections/clusterops/groups"
setup_simulator_state_dir=$(mktemp -d "${TMPDIR:-/tmp}/clusterops-simulator.XXXXXX")

setup_simulator_stop() {
  python "$setup_simulator_collection/tools/local_cluster.py" stop --state-dir "$setup_simulator_state_dir" || true
  rm -rf "$setup_simulator_state_dir"
}
trap setup_simulator_stop EXIT
# an interrupted run still stops the simulator: exit, and the EXIT trap runs
trap 'exit 130' INT TERM

python "$setup_simulator_collection/tools/local_cluster.py" start --nodes 3 --state-dir "$setup_simulator_state_dir"
setup_simulator_control_url=$(python -c 'import json, sys; print(json.load(open(sys.argv[1]))["control_url"])' \
  "$setup_simulator_state_dir/local_cluster.json")

# run records (role group_transaction, module group) go with the simulator, never to ~/.clusterops/records
export CLUSTEROPS_RECORD_DIR="$setup_simulator_state_dir/records"

# include_role: setup_simulator finds this target as a role
export ANSIBLE_ROLES_PATH=..

simulator_playbook() {
  ansible-playbook -i "$setup_simulator_state_dir/local_cluster.yml" \
    -e "setup_simulator_control_url=$setup_simulator_control_url" "$@"
}
