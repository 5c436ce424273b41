"""Project copy of the team's offline stand-in (see tools/ansible_test.sh).

Offline stand-in for ansible-test's pip bootstrap script.

Bootstraps the pip bundled with Python (ensurepip), then lets that pip install what ansible-test asks
for from the configured package index.
"""
import ensurepip
import os
import subprocess
import sys

ensurepip.bootstrap()
os.environ.pop("PIP_CONFIG_FILE", None)  # ensurepip points this at /dev/null; the index settings live in pip.conf
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--upgrade"] + args))
