"""A minimal concurrent HTTP client for the API server: urllib3, the kubeconfig's token and CA.

Two uses: seeding the big data sets (bounded concurrency, retried on 429, 5xx and
timeouts), and the clone figure's yardstick: the fastest the API server accepts a set
of creates when the client costs next to nothing (bodies serialized beforehand, no
object model, no discovery).
"""

from __future__ import annotations

import json
import random
import ssl
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import urllib3
import yaml

RETRIED = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Write:
    """One prepared request: method, path and the JSON body already encoded."""

    method: str
    path: str
    body: bytes
    content_type: str = "application/json"


class RawClient:
    def __init__(self, kubeconfig: Path, context: str, *, connections: int = 16) -> None:
        config = yaml.safe_load(kubeconfig.read_text())
        ctx = next(c["context"] for c in config["contexts"] if c["name"] == context)
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == ctx["user"])
        self.server = str(cluster["server"]).rstrip("/")
        tls = ssl.create_default_context(cafile=cluster["certificate-authority"])
        self.headers = {"Authorization": f"Bearer {user['token']}", "Accept": "application/json"}
        self.pool = urllib3.PoolManager(
            maxsize=connections, block=True, ssl_context=tls, retries=False, timeout=urllib3.Timeout(30.0)
        )

    def send(self, write: Write, *, attempts: int = 8) -> int:
        """The status of `write`; 429, 5xx, timeouts and dropped connections are retried with back-off."""
        headers = {**self.headers, "Content-Type": write.content_type}
        for attempt in range(attempts):
            try:
                response = self.pool.request(write.method, self.server + write.path, body=write.body, headers=headers)
            except (urllib3.exceptions.TimeoutError, urllib3.exceptions.ProtocolError, OSError):
                if attempt == attempts - 1:
                    raise
            else:
                if response.status not in RETRIED or attempt == attempts - 1:
                    return response.status
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    time.sleep(int(retry_after))
                    continue
            time.sleep(min(5.0, 0.1 * 2**attempt) * (0.5 + random.random()))
        return 0  # not reached

    def send_all(self, writes: Sequence[Write], threads: int) -> list[int]:
        """Every write, `threads` at a time; returns the statuses in order."""
        if threads <= 1:
            return [self.send(w) for w in writes]
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return list(pool.map(self.send, writes))

    def get_text(self, path: str) -> str:
        response = self.pool.request("GET", self.server + path, headers=self.headers)
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}")
        return response.data.decode()

    def close(self) -> None:
        self.pool.clear()


def create(path: str, obj: dict[str, Any]) -> Write:
    return Write("POST", path, json.dumps(obj, separators=(",", ":")).encode())


def merge_patch(path: str, patch: dict[str, Any]) -> Write:
    return Write("PATCH", path, json.dumps(patch).encode(), "application/merge-patch+json")


def failures(statuses: Sequence[int], allowed: tuple[int, ...] = (200, 201, 409)) -> list[int]:
    """The statuses that are neither success nor AlreadyExists (a retried create that had gone through)."""
    return [s for s in statuses if s not in allowed]


def image_changer(raw: RawClient) -> Callable[[str, str, str], None]:
    """`kubectl set image deployment/api api=APP/api:TAG migrations=APP/api:TAG -n APP-ENV`, as one
    strategic-merge PATCH (the containers matched by name, as kubectl does)."""

    def change(app: str, env: str, tag: str) -> None:
        image = f"{app}/api:{tag}"
        patch = {
            "spec": {
                "template": {
                    "spec": {
                        "containers": [{"name": "api", "image": image}],
                        "initContainers": [{"name": "migrations", "image": image}],
                    }
                }
            }
        }
        path = f"/apis/apps/v1/namespaces/{app}-{env}/deployments/api"
        status = raw.send(Write("PATCH", path, json.dumps(patch).encode(), "application/strategic-merge-patch+json"))
        if status != 200:
            raise RuntimeError(f"PATCH {path}: HTTP {status}")

    return change
