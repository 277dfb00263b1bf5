"""A production namespace as real ones are: a real Helm release, custom resources, quotas, Jobs,
objects Argo CD and Flux claim. Clone, diff, promote, rollback and destroy through the CLI,
reading the cluster (and Helm itself) back after each step.

The helm binary is built from its Go module by controlplane/build.sh (`make test` runs it).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotclone.core import demo, inventory, kinds
from hotclone.core.cluster import Cluster, Obj
from hotclone.core.demo.controlplane import ADMIN_CONTEXT, helm_binary
from hotclone.core.errors import NotFound
from hotclone.core.kinds import Kind
from tests.conftest import fresh_app
from tests.helpers import Result, install_crd, run_cli

CERTIFICATE = Kind("Certificate", "certs.example.org", "v1", "certificates")
CHART = {
    "Chart.yaml": "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
    "values.yaml": "tag: '1.0.0'\n",
    "templates/configmap.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-settings
data:
  LOG_LEVEL: info
""",
    "templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: "shop/web:{{ .Values.tag }}"
""",
    "templates/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
    - port: 80
      targetPort: 8080
""",
}


@dataclass
class Shop:
    admin: Cluster
    app: str
    kubeconfig: str
    helm_env: dict[str, str]
    chart: Path

    def namespace(self, env: str) -> str:
        return f"{self.app}-{env}"

    def cli(self, *argv: str) -> Result:
        return run_cli(*argv, kubeconfig=self.kubeconfig)

    def helm(self, *argv: str) -> str:
        binary = helm_binary()
        assert binary, "helm is not built: run controlplane/build.sh"
        command = [str(binary), "--kubeconfig", self.kubeconfig, "--kube-context", ADMIN_CONTEXT, *argv]
        done = subprocess.run(command, env=self.helm_env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def web_image(self, env: str) -> str:
        web = self.admin.get(kinds.DEPLOYMENT, self.namespace(env), "web")
        return str(web["spec"]["template"]["spec"]["containers"][0]["image"])


def _write_chart(root: Path) -> Path:
    for name, text in CHART.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture(scope="module")
def shop(admin: Cluster, kubeconfig: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    app = fresh_app()
    home = tmp_path_factory.mktemp("helm-home")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # helm must not read or write the developer's own files
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "KUBECACHEDIR": str(home / "kubecache"),
    }
    world = Shop(admin, app, kubeconfig, env, _write_chart(tmp_path_factory.mktemp("chart")))
    production = world.namespace("production")
    admin.create(kinds.NAMESPACE, None, demo.namespace_object(app, "production", "production"))
    world.helm("install", "shop", str(world.chart), "-n", production)
    install_crd(admin, "certs.example.org", "Certificate")
    admin.create(
        CERTIFICATE,
        production,
        {
            "apiVersion": "certs.example.org/v1",
            "kind": "Certificate",
            "metadata": {"name": "web-tls"},
            "spec": {"secretName": "web-tls", "dnsNames": ["shop.example.org"]},
        },
    )
    admin.create(kinds.LIMITRANGE, production, _limit_range())
    admin.create(kinds.RESOURCEQUOTA, production, _quota())
    admin.create(kinds.JOB, production, _job("reindex"))
    admin.create(
        kinds.CONFIGMAP,
        production,
        {
            "metadata": {
                "name": "argo-flags",
                "annotations": {"argocd.argoproj.io/tracking-id": f"shop:/ConfigMap:{production}/argo-flags"},
            },
            "data": {"NEW_CHECKOUT": "off"},
        },
    )
    admin.create(
        kinds.CONFIGMAP,
        production,
        {
            "metadata": {
                "name": "flux-flags",
                "labels": {
                    "kustomize.toolkit.fluxcd.io/name": "apps",
                    "kustomize.toolkit.fluxcd.io/namespace": "flux-system",
                },
            },
            "data": {"BETA": "off"},
        },
    )
    yield world
    for namespace in admin.list(kinds.NAMESPACE, label_selector=f"hotclone.io/app={app}"):
        with contextlib.suppress(NotFound):
            admin.delete(kinds.NAMESPACE, None, namespace["metadata"]["name"])


def test_a_helm_release_with_custom_resources_clones_promotes_and_rolls_back(shop: Shop) -> None:
    app, production = shop.app, shop.namespace("production")
    before = {inventory.ref(o): o for o in inventory.load(shop.admin, production)}

    # The plan accounts for every object: copied, or skipped with its reason.
    dry = shop.cli("clone", app, "production", "hotfix", "--dry-run", "--json")
    assert dry.code == 0, dry.err
    plan = json.loads(dry.out)
    copies = set(plan["copies"])
    skipped = {s["object"]: s["reason"] for s in plan["skipped"]}
    assert {
        "Deployment/web",
        "Service/web",
        "ConfigMap/shop-settings",
        "LimitRange/defaults",
        "ResourceQuota/compute",
        "Job/reindex",
        "Certificate.certs.example.org/web-tls",
        "ConfigMap/argo-flags",
        "ConfigMap/flux-flags",
    } <= copies
    assert "Helm's record" in skipped["Secret/sh.helm.release.v1.shop.v1"]
    assert set(before) <= copies | set(skipped)
    assert shop.cli("envs", app, "--json").out.count('"hotfix"') == 0  # the dry run created nothing

    cloned = shop.cli("clone", app, "production", "hotfix", "--yes")
    assert cloned.code == 0, cloned.err
    hotfix = shop.namespace("hotfix")
    web = shop.admin.get(kinds.DEPLOYMENT, hotfix, "web")
    assert "meta.helm.sh/release-name" not in (web["metadata"].get("annotations") or {})
    assert (web["metadata"].get("labels") or {}).get("app.kubernetes.io/managed-by") != "Helm"
    assert shop.admin.get(kinds.SERVICE, hotfix, "web")["spec"]["type"] == "ClusterIP"
    assert shop.admin.get(CERTIFICATE, hotfix, "web-tls")["spec"]["dnsNames"] == ["shop.example.org"]
    assert shop.helm("list", "-n", hotfix, "-q").strip() == ""  # the clone is not the release

    assert shop.cli("set-image", app, "hotfix", "web=shop/web:1.0.1", "--yes").code == 0
    diff = shop.cli("diff", app, "production", "hotfix")
    assert "Deployment/web containers[web].image: shop/web:1.0.0 -> shop/web:1.0.1" in diff.out
    assert "meta.helm.sh" not in diff.out  # the clone's ownership marks are not a difference

    dry_promote = shop.cli("promote", app, "hotfix", "--dry-run")
    assert dry_promote.code == 0, dry_promote.err
    assert "Helm release shop" in dry_promote.out and "helm upgrade" in dry_promote.out
    promoted = shop.cli("promote", app, "hotfix", "--yes", "--confirm", "production", "--reason", "INC-7", "--no-wait")
    assert promoted.code == 0, promoted.err
    live = shop.admin.get(kinds.DEPLOYMENT, production, "web")
    assert shop.web_image("production") == "shop/web:1.0.1"
    assert live["metadata"]["annotations"]["meta.helm.sh/release-name"] == "shop"  # Helm's marks kept
    assert live["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "Helm"
    assert shop.admin.get(kinds.SERVICE, production, "web")["spec"]["type"] == "LoadBalancer"
    assert "Helm release shop" in shop.cli("history", app, "production").out  # what to carry back into the chart

    rolled = shop.cli(
        "rollback", app, "production", "1", "--yes", "--confirm", "production", "--reason", "undo", "--no-wait"
    )
    assert rolled.code == 0, rolled.err
    assert shop.web_image("production") == "shop/web:1.0.0"
    after = inventory.read(shop.admin, production)
    finished = {s.object for s in after.skipped if s.reason.startswith("a finished Job")}  # kwok completes its pod
    assert {inventory.ref(o) for o in after.objects} | finished == set(before)

    # Helm still owns its release: an upgrade goes through and sets the image.
    status = json.loads(shop.helm("status", "shop", "-n", production, "-o", "json"))
    assert status["info"]["status"] == "deployed"
    shop.helm("upgrade", "shop", str(shop.chart), "-n", production, "--set", "tag=1.0.2")
    assert shop.web_image("production") == "shop/web:1.0.2"

    assert shop.cli("destroy", app, "hotfix", "--yes").code == 0
    try:
        gone = shop.admin.get(kinds.NAMESPACE, None, hotfix)
        assert gone["metadata"].get("deletionTimestamp")
    except NotFound:
        pass
    assert shop.web_image("production") == "shop/web:1.0.2"  # destroying the clone left production alone


def _limit_range() -> Obj:
    return {
        "metadata": {"name": "defaults"},
        "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m"}, "defaultRequest": {"cpu": "100m"}}]},
    }


def _quota() -> Obj:
    return {"metadata": {"name": "compute"}, "spec": {"hard": {"pods": "50"}}}


def _job(name: str) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": {
            "template": {
                "spec": {"restartPolicy": "Never", "containers": [{"name": "reindex", "image": "shop/tools:1.0.0"}]}
            }
        },
    }
