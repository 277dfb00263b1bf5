"""One connection to one API server, as plain JSON dicts.

The official client builds the request (auth, TLS, exec plugins, token refresh);
responses are decoded straight from JSON instead of through the generated models,
which is several times faster for large lists and keeps objects round-trippable.
Every call carries a timeout, and every failure is translated here, once, into one
of the errors in core.errors.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from hotclone.core.errors import (
    AlreadyExists,
    Conflict,
    Forbidden,
    HotcloneError,
    InvalidInput,
    NotFound,
    ServerError,
    Unreachable,
)
from hotclone.core.kinds import Kind

Obj = dict[str, Any]

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0


@dataclass(frozen=True)
class Identity:
    """Who the API server says we are (SelfSubjectReview)."""

    username: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Access:
    """The answer to "may I?", with the server's reason when it says no."""

    allowed: bool
    reason: str = ""


class Cluster:
    """A client for one kube context. Thread-safe: share it between workers."""

    def __init__(
        self,
        api: k8s_client.ApiClient,
        *,
        context: str,
        server: str,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ) -> None:
        self._api = api
        self.context = context
        self.server = server
        self.timeout = timeout
        self._requests = itertools.count(1)
        self.request_count = 0  # API round trips so far (benchmarks and tests count them)

    # -- construction -------------------------------------------------------

    @classmethod
    def connect(
        cls,
        kubeconfig: str | None = None,
        context: str | None = None,
        *,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT),
    ) -> Cluster:
        """Load a kubeconfig like kubectl does: --kubeconfig, then $KUBECONFIG, then ~/.kube/config."""
        path = kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        first = path.split(os.pathsep)[0]
        if not os.path.exists(os.path.expanduser(first)):
            raise Unreachable(f"kubeconfig not found: {first} (use --kubeconfig or set KUBECONFIG)")
        try:
            contexts, active = k8s_config.list_kube_config_contexts(config_file=path)
            chosen = context or (active or {}).get("name")
            if not chosen:
                raise Unreachable(f"kubeconfig {first} has no current context; pass --context")
            if context and context not in {c["name"] for c in contexts}:
                raise Unreachable(f"context {context!r} not found in kubeconfig {first}")
            configuration = k8s_client.Configuration()
            k8s_config.load_kube_config(
                config_file=path,
                context=chosen,
                client_configuration=configuration,
                persist_config=False,
            )
        except ConfigException as error:
            raise Unreachable(f"kubeconfig {first} is unusable: {error}") from None
        except (OSError, ValueError, yaml.YAMLError) as error:
            # yaml and file errors surface as these; keep the message to one line.
            raise Unreachable(f"kubeconfig {first} is unusable: {' '.join(str(error).split())}") from None
        configuration.retries = 1  # fail fast when the server is down; the UI retries
        return cls(k8s_client.ApiClient(configuration), context=chosen, server=configuration.host, timeout=timeout)

    def close(self) -> None:
        self._api.close()

    # -- raw requests ----------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Obj:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        params = self._api.param_serialize(
            method=method,
            resource_path=path,
            query_params=list((query or {}).items()),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        self.request_count = next(self._requests)  # atomic under the GIL, unlike += from many threads
        try:
            response = self._api.call_api(*params, _request_timeout=self.timeout)
            data = response.read()
        except urllib3.exceptions.HTTPError as error:
            raise Unreachable(f"cannot reach the API server at {self.server} ({_reason(error)})") from None
        except OSError as error:  # TLS and socket errors below urllib3
            raise Unreachable(f"cannot reach the API server at {self.server} ({error})") from None
        status = response.status
        try:
            payload: Obj = json.loads(data) if data else {}
        except ValueError:
            payload = {"message": data[:200].decode(errors="replace")}
        if 200 <= status < 300:
            return payload
        raise _translate(status, payload, self.context)

    # -- typed helpers over kinds ---------------------------------------------

    def list(self, kind: Kind, namespace: str | None = None, *, label_selector: str | None = None) -> list[Obj]:
        query = {"labelSelector": label_selector} if label_selector else None
        payload = self.request("GET", kind.collection_path(namespace), query=query)
        items: list[Obj] = payload.get("items") or []
        # List items come without apiVersion/kind; restore them so objects stand alone.
        for item in items:
            item.setdefault("apiVersion", kind.api_version)
            item.setdefault("kind", kind.kind)
        return items

    def get(self, kind: Kind, namespace: str | None, name: str) -> Obj:
        return self.request("GET", kind.object_path(namespace, name))

    def create(self, kind: Kind, namespace: str | None, body: Obj, *, dry_run: bool = False) -> Obj:
        return self.request("POST", kind.collection_path(namespace), body=body, query=_dry(dry_run))

    def replace(self, kind: Kind, namespace: str | None, body: Obj, *, dry_run: bool = False) -> Obj:
        name = body["metadata"]["name"]
        return self.request("PUT", kind.object_path(namespace, name), body=body, query=_dry(dry_run))

    def patch(self, kind: Kind, namespace: str | None, name: str, patch: Obj) -> Obj:
        return self.request(
            "PATCH", kind.object_path(namespace, name), body=patch, content_type="application/merge-patch+json"
        )

    def json_patch(self, kind: Kind, namespace: str | None, name: str, operations: Sequence[Obj]) -> Obj:
        return self.request(
            "PATCH", kind.object_path(namespace, name), body=operations, content_type="application/json-patch+json"
        )

    def patch_unchanged(
        self, kind: Kind, namespace: str, name: str, operations: Sequence[Obj], unchanged: Callable[[Obj], bool]
    ) -> Obj:
        """A JSON patch whose `test` operations guard the values it replaces.

        A failed `test` is a 422 like any other, so on a 422 the object is read again:
        if `unchanged(live)` says the guarded values moved, someone raced us.
        """
        try:
            return self.json_patch(kind, namespace, name, operations)
        except InvalidInput:
            if not unchanged(self.get(kind, namespace, name)):
                raise Conflict(f"{kind.kind}/{name} changed while it was being edited; nothing applied") from None
            raise

    def delete(
        self,
        kind: Kind,
        namespace: str | None,
        name: str,
        *,
        resource_version: str | None = None,
        dry_run: bool = False,
    ) -> None:
        options: Obj = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        if resource_version:
            options["preconditions"] = {"resourceVersion": resource_version}
        if dry_run:
            # With a body, the server reads every delete option from it and ignores
            # the ?dryRun query parameter: a dry run must be said here.
            options["dryRun"] = ["All"]
        self.request("DELETE", kind.object_path(namespace, name), body=options)

    # -- who am I, what may I do -------------------------------------------------

    def whoami(self) -> Identity:
        review = self.request(
            "POST",
            "/apis/authentication.k8s.io/v1/selfsubjectreviews",
            body={"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
        )
        info = review.get("status", {}).get("userInfo", {})
        return Identity(info.get("username", "unknown"), tuple(info.get("groups", ())))

    def can_i(self, verb: str, kind: Kind, namespace: str | None = None) -> Access:
        attributes: Obj = {"verb": verb, "group": kind.group, "resource": kind.plural}
        if namespace:
            attributes["namespace"] = namespace
        review = self.request(
            "POST",
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            body={
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": attributes},
            },
        )
        status = review.get("status", {})
        if status.get("allowed"):
            return Access(True)
        where = f" in namespace {namespace}" if namespace else ""
        reason = status.get("reason") or f"RBAC does not allow {verb} {kind.plural}{where}"
        return Access(False, reason)


def _dry(dry_run: bool) -> dict[str, str] | None:
    return {"dryRun": "All"} if dry_run else None


def _reason(error: urllib3.exceptions.HTTPError) -> str:
    inner = getattr(error, "reason", None) or error
    text = str(inner)
    # urllib3 wraps the useful part ("Connection refused") after a colon.
    return text.rsplit(": ", 1)[-1].strip(" )'\"") or type(inner).__name__


def _translate(status: int, payload: Obj, context: str) -> HotcloneError:
    message = str(payload.get("message") or payload.get("reason") or f"HTTP {status}")
    reason = payload.get("reason", "")
    if status == 401:
        return Forbidden(f"the API server rejected the credentials of context {context} (401 Unauthorized)")
    if status == 403:
        return Forbidden(message)
    if status == 404:
        return NotFound(message)
    if status == 409 and reason == "AlreadyExists":
        return AlreadyExists(message)
    if status == 409:
        return Conflict(message)
    if status in (400, 422):
        return InvalidInput(message)
    return ServerError(f"{message} (HTTP {status})")
