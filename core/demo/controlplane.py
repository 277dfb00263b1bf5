"""A real, local Kubernetes control plane for tests, the demo and benchmarks.

etcd + kube-apiserver + kube-controller-manager (so namespaces really go away and
Deployments get ReplicaSets), and when built, kube-scheduler + kwok (so pods are
placed on a fake node and report Ready: rollouts complete for real). No kubelet,
no containers. Binaries come from $KUBEBUILDER_ASSETS (envtest's convention), else
the version-keyed cache that controlplane/build.sh fills.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hotclone.core.errors import HotcloneError

VERSIONS_FILE = Path(__file__).resolve().parent / "controlplane-versions.env"
KWOK_STAGES = Path(__file__).resolve().parent / "topicshare" / "kwok-stages.yaml"  # how the fake node plays pods
REQUIRED = ("etcd", "kube-apiserver", "kube-controller-manager")
ADMIN_TOKEN = "hotclone-admin-token"
RESTRICTED_TOKEN = "hotclone-restricted-token"
APPROVER_TOKEN = "hotclone-approver-token"
ADMIN_CONTEXT = "hotclone-local"
RESTRICTED_CONTEXT = "hotclone-local-restricted"
APPROVER_CONTEXT = "hotclone-local-approver"  # a second person: may view, and decide promotion requests
# A second local cluster (`hotclone demo --two-clusters`, the multi-cluster tests): its admin's context.
REMOTE_CONTEXT = "hotclone-remote"
FAKE_NODE = "kwok-node-0"


class ControlPlaneError(HotcloneError):
    title = "Local control plane"


def versions() -> dict[str, str]:
    pairs = {}
    for line in VERSIONS_FILE.read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            pairs[key.strip()] = value.strip()
    return pairs


def cache_root() -> Path:
    base = os.environ.get("HOTCLONE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hotclone"
    )
    return Path(base)


def cache_dir() -> Path:
    v = versions()
    key = f"k8s-{v['KUBERNETES_VERSION']}-etcd-{v['ETCD_VERSION']}-kwok-{v['KWOK_VERSION']}"
    return cache_root() / "controlplane" / key


def find_binaries() -> Path:
    """The folder holding the binaries: $KUBEBUILDER_ASSETS first, then the cache."""
    candidates = [Path(p) for p in [os.environ.get("KUBEBUILDER_ASSETS", "")] if p] + [cache_dir()]
    for folder in candidates:
        if all((folder / name).exists() for name in REQUIRED):
            return folder
    raise ControlPlaneError(
        "no Kubernetes control plane binaries found in "
        + " or ".join(str(c) for c in candidates)
        + "; build them with controlplane/build.sh (about 15 minutes the first time)"
    )


def helm_binary() -> Path | None:
    """The helm CLI that controlplane/build.sh builds, or None when it is not built yet."""
    # Its own folder, keyed by HELM_VERSION alone: a new helm never forces a Kubernetes rebuild.
    binary = cache_root() / "controlplane" / f"helm-{versions()['HELM_VERSION']}" / "helm"
    return binary if binary.is_file() and os.access(binary, os.X_OK) else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ControlPlane:
    """A running control plane; `stop()` kills every process group and removes its folder."""

    workdir: Path
    api_port: int
    etcd_port: int
    pids: dict[str, int] = field(default_factory=dict)
    has_kwok: bool = False
    argv: dict[str, list[str]] = field(default_factory=dict)  # how each process was started

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "kubeconfig"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.api_port}"

    # -- lifecycle ---------------------------------------------------------------

    @classmethod
    def start(
        cls,
        workdir: Path | None = None,
        *,
        timeout: float = 90.0,
        with_kwok: bool = True,
        apiserver_args: tuple[str, ...] = (),
    ) -> ControlPlane:
        """`apiserver_args`: more kube-apiserver flags (a test that needs etcd's own 410s turns
        the watch cache off for one resource)."""
        binaries = find_binaries()
        root = Path(workdir or tempfile.mkdtemp(prefix="hotclone-cp-"))
        root.mkdir(parents=True, exist_ok=True)
        plane = cls(workdir=root, api_port=free_port(), etcd_port=free_port())
        try:
            plane._start(binaries, timeout, with_kwok, apiserver_args)
        except BaseException:
            plane.stop()
            raise
        return plane

    def _start(self, binaries: Path, timeout: float, with_kwok: bool, apiserver_args: tuple[str, ...] = ()) -> None:
        root = self.workdir
        (root / "logs").mkdir(exist_ok=True)
        deadline = time.monotonic() + timeout
        _write_keys(root)
        (root / "tokens.csv").write_text(
            f'{ADMIN_TOKEN},admin,admin-uid,"system:masters"\n'
            f'{RESTRICTED_TOKEN},restricted,restricted-uid,"hotclone:restricted"\n'
            f'{APPROVER_TOKEN},approver,approver-uid,"hotclone:approvers"\n'
        )
        peer = free_port()
        self._spawn(
            "etcd",
            binaries / "etcd",
            f"--data-dir={root / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{self.etcd_port}",
            f"--advertise-client-urls=http://127.0.0.1:{self.etcd_port}",
            f"--listen-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
            f"--initial-cluster=default=http://127.0.0.1:{peer}",
            "--unsafe-no-fsync",
            "--log-level=error",
        )
        _wait_until(lambda: _http_ok(f"http://127.0.0.1:{self.etcd_port}/health"), deadline, "etcd", self._log("etcd"))
        self._spawn(
            "kube-apiserver",
            binaries / "kube-apiserver",
            f"--etcd-servers=http://127.0.0.1:{self.etcd_port}",
            "--bind-address=127.0.0.1",
            f"--secure-port={self.api_port}",
            f"--cert-dir={root / 'pki'}",
            "--service-cluster-ip-range=10.96.0.0/16",  # room for the benchmarks' thousands of Services
            f"--service-account-issuer=https://127.0.0.1:{self.api_port}",
            f"--service-account-key-file={root / 'sa.pub'}",
            f"--service-account-signing-key-file={root / 'sa.key'}",
            f"--token-auth-file={root / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--allow-privileged=true",
            "--endpoint-reconciler-type=none",
            # No token controller for ServiceAccount admission; no node-lifecycle controller
            # to lift the not-ready taint from kwok's fake node.
            "--disable-admission-plugins=ServiceAccount,TaintNodesByCondition",
            "--v=0",
            *apiserver_args,
        )
        ca = root / "pki" / "apiserver.crt"
        _wait_until(lambda: _api_ready(self.server, ca), deadline, "kube-apiserver", self._log("kube-apiserver"))
        self._write_kubeconfig(ca)
        self._spawn(
            "kube-controller-manager",
            binaries / "kube-controller-manager",
            f"--kubeconfig={self.kubeconfig}",
            f"--authentication-kubeconfig={self.kubeconfig}",
            f"--authorization-kubeconfig={self.kubeconfig}",
            f"--service-account-private-key-file={root / 'sa.key'}",
            f"--root-ca-file={ca}",
            "--use-service-account-credentials=false",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={free_port()}",
            "--controllers=*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route",
            "--concurrent-gc-syncs=20",
            "--concurrent-namespace-syncs=10",
        )
        if with_kwok and all((binaries / b).exists() for b in ("kube-scheduler", "kwok")):
            self._spawn(
                "kube-scheduler",
                binaries / "kube-scheduler",
                f"--kubeconfig={self.kubeconfig}",
                f"--authentication-kubeconfig={self.kubeconfig}",
                f"--authorization-kubeconfig={self.kubeconfig}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={free_port()}",
            )
            self._spawn(
                "kwok",
                binaries / "kwok",
                f"--kubeconfig={self.kubeconfig}",
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                "--node-ip=10.0.1.1",
                "--cidr=10.0.2.0/24",
                "--node-lease-duration-seconds=40",
                f"--server-address=127.0.0.1:{free_port()}",
                f"--config={KWOK_STAGES}",  # kwok's own pod stages, plus check pods that fail or hang
            )
            self.has_kwok = True
        self._bootstrap()

    def stop(self) -> None:
        for name in reversed(list(self.pids)):
            _kill_group(self.pids[name])
        self.pids.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def alive(self) -> bool:
        return bool(self.pids) and all(_pid_alive(pid) for pid in self.pids.values())

    # -- faults, for the tests that must see hotclone survive them ---------------

    def kill(self, name: str = "kube-apiserver") -> None:
        """SIGKILL one process (the API server by default), as a crash would."""
        _kill_group(self.pids.pop(name))

    def restart(self, name: str = "kube-apiserver", *, timeout: float = 60.0) -> None:
        """Start a killed process again with its original arguments; waits until the API answers."""
        binary, *args = self.argv[name]
        self._spawn(name, Path(binary), *args)
        if name == "kube-apiserver":
            ca = self.workdir / "pki" / "apiserver.crt"
            deadline = time.monotonic() + timeout
            _wait_until(lambda: _api_ready(self.server, ca), deadline, name, self._log(name))

    def pause(self, name: str = "kube-apiserver") -> None:
        """SIGSTOP: the process keeps its connections but answers nothing (a hung server)."""
        os.killpg(self.pids[name], signal.SIGSTOP)

    def resume(self, name: str = "kube-apiserver") -> None:
        os.killpg(self.pids[name], signal.SIGCONT)

    # -- state file, so `hotclone demo --no-ui` can leave it running -------------

    def save(self, path: Path) -> None:
        data = asdict(self)
        data["workdir"] = str(self.workdir)
        path.write_text(json.dumps(data))

    @classmethod
    def load(cls, path: Path) -> ControlPlane:
        data = json.loads(path.read_text())
        data["workdir"] = Path(data["workdir"])
        return cls(**data)

    # -- internals ----------------------------------------------------------------

    def _log(self, name: str) -> Path:
        return self.workdir / "logs" / f"{name}.log"

    def _spawn(self, name: str, binary: Path, *args: str) -> None:
        self.argv[name] = [str(binary), *args]
        log = open(self._log(name), "ab")  # noqa: SIM115 - handed to the child process
        process = subprocess.Popen(
            [str(binary), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.workdir,
            start_new_session=True,  # own process group: killed as one, survives our exit
        )
        log.close()
        self.pids[name] = process.pid

    def _write_kubeconfig(self, ca: Path) -> None:
        import yaml

        def user(name: str, token: str) -> dict[str, object]:
            return {"name": name, "user": {"token": token}}

        def context(name: str, user_name: str) -> dict[str, object]:
            return {"name": name, "context": {"cluster": "hotclone-local", "user": user_name}}

        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "hotclone-local", "cluster": {"server": self.server, "certificate-authority": str(ca)}}
            ],
            "users": [
                user("admin", ADMIN_TOKEN),
                user("restricted", RESTRICTED_TOKEN),
                user("approver", APPROVER_TOKEN),
            ],
            "contexts": [
                context(ADMIN_CONTEXT, "admin"),
                context(RESTRICTED_CONTEXT, "restricted"),
                context(APPROVER_CONTEXT, "approver"),
            ],
            "current-context": ADMIN_CONTEXT,
        }
        self.kubeconfig.write_text(yaml.safe_dump(config, sort_keys=False))

    def _bootstrap(self) -> None:
        """The restricted user may read (view) but change nothing; the approver may read and decide
        promotion requests (view + hotclone's approver role, made here so that it is bound before
        install-policy runs); a fake node for kwok."""
        from hotclone.core import approval_policy
        from hotclone.core.cluster import Cluster
        from hotclone.core.kinds import NAMESPACE, Kind
        from hotclone.core.schema import SYSTEM_NAMESPACE

        cluster = Cluster.connect(str(self.kubeconfig), ADMIN_CONTEXT)
        try:
            binding = Kind("ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "clusterrolebindings", False)
            cluster.create(
                binding,
                None,
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": "ClusterRoleBinding",
                    "metadata": {"name": "hotclone-restricted-view"},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                    "subjects": [{"kind": "User", "name": "restricted", "apiGroup": "rbac.authorization.k8s.io"}],
                },
            )
            cluster.create(approval_policy.CLUSTER_ROLE, None, approval_policy.approver_role())
            for role in ("view", approval_policy.approver_role()["metadata"]["name"]):
                cluster.create(
                    binding,
                    None,
                    {
                        "apiVersion": "rbac.authorization.k8s.io/v1",
                        "kind": "ClusterRoleBinding",
                        "metadata": {"name": f"hotclone-approver-{role}"},
                        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                        "subjects": [{"kind": "User", "name": "approver", "apiGroup": "rbac.authorization.k8s.io"}],
                    },
                )
            cluster.create(NAMESPACE, None, {"metadata": {"name": SYSTEM_NAMESPACE}})
            if self.has_kwok:
                node = Kind("Node", "", "v1", "nodes", False)
                cluster.create(node, None, _fake_node())
        finally:
            cluster.close()


def _fake_node() -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": FAKE_NODE,
            "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
            "labels": {"kubernetes.io/hostname": FAKE_NODE, "kubernetes.io/os": "linux", "type": "kwok"},
        },
        "status": {
            # Room for every test's and benchmark's pods: it is a fake node.
            "allocatable": {"cpu": "100000", "memory": "1000Ti", "pods": "1000000"},
            "capacity": {"cpu": "100000", "memory": "1000Ti", "pods": "1000000"},
        },
    }


def _write_keys(root: Path) -> None:
    key, pub = root / "sa.key", root / "sa.pub"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"], check=True, capture_output=True)
    subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout", "-out", str(pub)], check=True, capture_output=True)


def _http_ok(url: str, context: ssl.SSLContext | None = None, headers: dict[str, str] | None = None) -> bool:
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=2, context=context) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _api_ready(server: str, ca: Path) -> bool:
    if not ca.exists():
        return False
    context = ssl.create_default_context(cafile=str(ca))
    return _http_ok(f"{server}/readyz", context, {"Authorization": f"Bearer {ADMIN_TOKEN}"})


def _wait_until(check: object, deadline: float, what: str, log: Path) -> None:
    assert callable(check)
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
    raise ControlPlaneError(f"{what} did not become ready in time" + (f": {tail[0][:200]}" if tail else ""))


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGTERM)
    for _ in range(50):
        if not _pid_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _pid_alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass  # not our child (a demo started by another process): ask the kernel
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def join_kubeconfigs(path: Path, parts: list[tuple[ControlPlane, dict[str, str]]]) -> Path:
    """One kubeconfig holding several planes' contexts, as a user with two clusters has: for each
    plane, its contexts named in the mapping (old name -> new name), each with its own cluster and
    user entries (named after the new context, so two planes never share one). The first
    mapping's first context is current."""
    import yaml

    clusters: list[dict[str, object]] = []
    users: list[dict[str, object]] = []
    contexts: list[dict[str, object]] = []
    for plane, renamed in parts:
        config = yaml.safe_load(plane.kubeconfig.read_text())
        cluster_of = {c["name"]: c["cluster"] for c in config["clusters"]}
        user_of = {u["name"]: u["user"] for u in config["users"]}
        for context in config["contexts"]:
            new = renamed.get(context["name"])
            if new is None:
                continue
            clusters.append({"name": new, "cluster": cluster_of[context["context"]["cluster"]]})
            users.append({"name": new, "user": user_of[context["context"]["user"]]})
            contexts.append({"name": new, "context": {"cluster": new, "user": new}})
    first = next(iter(parts[0][1].values()))
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": first,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path
