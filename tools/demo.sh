#!/usr/bin/env bash
# The demo: start a local simulated cluster, create a group on every node, show per-node status,
# delete it, then stop the cluster. Runs with the project venv first on PATH (see Makefile).
set -euo pipefail
cd "$(dirname "$0")/.."
group=${DEMO_GROUP:-demo-group}
nodes=${DEMO_NODES:-3}

cleanup() { python tools/local_cluster.py stop >/dev/null 2>&1 || true; }
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Starting a local simulated cluster of $nodes nodes (.clusterops/local_cluster.yml)"
python tools/local_cluster.py start --nodes "$nodes"

step "ansible-playbook playbooks/create_group.yml -e group=$group"
ansible-playbook playbooks/create_group.yml -e "group=$group"

step "ansible-playbook playbooks/group_status.yml -e group=$group"
ansible-playbook playbooks/group_status.yml -e "group=$group"

step "What the nodes hold (read from the simulator)"
python tools/local_cluster.py status

step "ansible-playbook playbooks/delete_group.yml -e group=$group"
ansible-playbook playbooks/delete_group.yml -e "group=$group"

step "What the nodes hold now"
python tools/local_cluster.py status
step "Demo finished: the cluster is stopped on exit."
