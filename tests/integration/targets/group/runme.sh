#!/usr/bin/env bash
# Real HTTP against a 3-node simulator on 127.0.0.1, stopped on exit (setup_simulator/simulator.sh).
set -eux
source ../setup_simulator/simulator.sh
simulator_playbook test.yml "$@"
