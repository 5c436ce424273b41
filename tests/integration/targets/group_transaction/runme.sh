#!/usr/bin/env bash
# Real HTTP against a 3-node simulator on 127.0.0.1, stopped on exit (setup_simulator/simulator.sh).
# One ansible-playbook per failing transaction: after a failure a rescue caught, later plays of the same run see
# one host only (test.yml's and rollback.yml's comments).
set -eux
source ../setup_simulator/simulator.sh
simulator_playbook test.yml "$@"
simulator_playbook rollback.yml "$@"
simulator_playbook incomplete.yml -e group_transaction_test_run_id=integration-incomplete "$@"
simulator_playbook finish.yml -e group_transaction_test_run_id=integration-incomplete "$@"
