"""SimulatorControl: the control API from another process (launcher, playbook-level tests)."""
from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from typing import Any

from .faults import Fault


class SimulatorControlError(Exception):
    pass


class SimulatorControl:
    def __init__(self, control_url: str, ca_path: str | None = None, timeout: float = 10.0) -> None:
        self.control_url = control_url.rstrip("/")
        self.timeout = timeout
        self._ssl_context = ssl.create_default_context(cafile=ca_path) if control_url.startswith("https:") else None

    def state(self) -> dict:
        return self._call("GET", "/state")

    def snapshot(self) -> dict[str, list[str]]:
        return self._call("GET", "/snapshot")

    def log(self) -> dict[str, list[dict]]:
        return self._call("GET", "/log")["nodes"]

    def requests_per_node(self) -> dict[str, int]:
        return {name: node["requests"] for name, node in self.state()["nodes"].items()}

    def clear_logs(self) -> None:
        self._call("DELETE", "/log")

    def add_fault(self, node: str, fault: Fault | dict) -> dict:
        payload = fault.to_dict() if isinstance(fault, Fault) else Fault.from_dict(dict(fault)).to_dict()
        return self._call("POST", f"/nodes/{node}/faults", payload)

    def clear_faults(self, node: str | None = None) -> None:
        self._call("DELETE", f"/nodes/{node}/faults" if node is not None else "/faults")

    def set_random_faults(self, node: str, probability: float, kinds: list, methods: list | None = None,
                          seed: Any = None) -> dict:
        payload = {"probability": probability, "kinds": [str(kind) for kind in kinds], "methods": methods,
                   "seed": seed}
        return self._call("PUT", f"/nodes/{node}/random_faults", payload)

    def set_groups(self, node: str, groups: list[str] | set[str]) -> dict:
        return self._call("PUT", f"/nodes/{node}/groups", {"groups": sorted(groups)})

    def set_token(self, node: str, token: str | None) -> dict:
        return self._call("PUT", f"/nodes/{node}/token", {"token": token})

    def set_profile(self, node: str, profile: str | dict) -> dict:
        return self._call("PUT", f"/nodes/{node}/profile", {"profile": profile})

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(self.control_url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self._ssl_context) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace")[:300]
            raise SimulatorControlError(f"{method} {path}: HTTP {error.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as error:
            raise SimulatorControlError(f"{method} {path}: simulator unreachable at {self.control_url}: {error}") from None
