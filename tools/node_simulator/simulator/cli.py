"""Command line: `python -m simulator serve --nodes N --layout ports|prefix ... --ready-file PATH`."""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading

from .cluster import LAYOUTS, SimulatedCluster
from .profiles import PROFILES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m simulator", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve N simulated nodes until SIGTERM/SIGINT")
    serve.add_argument("--nodes", type=int, default=3)
    serve.add_argument("--layout", choices=LAYOUTS, default="ports")
    serve.add_argument("--tls", action="store_true", help="HTTPS with a CA generated for this run")
    serve.add_argument("--ca-file", help="where to write the CA PEM (default: a temp file removed at exit)")
    tokens = serve.add_mutually_exclusive_group()
    tokens.add_argument("--token", help="bearer token every node requires (visible in ps: prefer --token-env)")
    tokens.add_argument("--token-env", metavar="VAR", help="read the bearer token from this environment variable")
    serve.add_argument("--seed", default="0", help="seed of the per-node random fault streams")
    serve.add_argument("--profile", choices=sorted(PROFILES), default="default")
    serve.add_argument("--ready-file", required=True, help="JSON with the URLs, written once listening")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    token = args.token
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            print(f"environment variable {args.token_env} is empty or unset", file=sys.stderr)
            return 2
    stop_requested = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop_requested.set())
    with SimulatedCluster(node_count=args.nodes, layout=args.layout, tls=args.tls, token=token,
                          seed=args.seed, profiles=args.profile, ca_file=args.ca_file) as cluster:
        _write_ready_file(args.ready_file, cluster)
        print(f"serving {len(cluster.names)} nodes, control API at {cluster.control_url}", flush=True)
        try:
            while not stop_requested.wait(0.5):
                pass
        finally:
            _remove(args.ready_file)
    print("stopped", flush=True)
    return 0


def _write_ready_file(path: str, cluster: SimulatedCluster) -> None:
    ready = {"pid": os.getpid(), "control_url": cluster.control_url, "layout": cluster.layout,
             "tls": cluster.tls, "ca_path": cluster.ca_path, "urls": cluster.urls()}
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(ready, handle, indent=2)
    os.replace(temporary, path)  # readers never see a half-written file


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
