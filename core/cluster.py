"""One connection to one API server, as plain JSON dicts.

The official client builds the request (auth, TLS, exec plugins, token refresh);
responses are decoded straight from JSON instead of through the generated models,
which is several times faster for large lists and keeps objects round-trippable.
Every call carries a timeout, and every failure is translated here, once, into one
of the errors in core.errors.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import urllib3
import yaml
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config
from kubernetes.client import rest as k8s_rest
from kubernetes.config.config_exception import ConfigException

from hotclone.core.errors import (
    AlreadyExists,
    Conflict,
    Expired,
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
        timeout: tuple[float, float] | None = None,
    ) -> Cluster:
        """Load a kubeconfig like kubectl does: --kubeconfig, then $KUBECONFIG, then ~/.kube/config."""
        path = kubeconfig or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        first = path.split(os.pathsep)[0]
        if not os.path.exists(os.path.expanduser(first)):
            raise Unreachable(f"kubeconfig not found: {first} (use --kubeconfig or set KUBECONFIG)")
        try:
            _check_top_level(path)
            contexts, active = k8s_config.list_kube_config_contexts(config_file=path)
            chosen = context or (active or {}).get("name")
            if not chosen:
                raise Unreachable(f"kubeconfig {first} has no current context; pass --context")
            if context and context not in {c["name"] for c in contexts}:
                raise Unreachable(f"context {context!r} not found in kubeconfig {first}")
            configuration = k8s_client.Configuration()
            with _credential_errors() as failures:
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
        except (TypeError, AttributeError, KeyError) as error:
            # The client's merger assumes the documented shape (a field of the wrong type).
            raise Unreachable(f"kubeconfig {first} is unusable: malformed ({type(error).__name__}: {error})") from None
        if failures:
            # The client logs a failed exec plugin and carries on without credentials
            # (as system:anonymous): stop here instead, before any request.
            raise Unreachable(f"the credential plugin of context {chosen} failed: {failures[0]}")
        configuration.retries = 1  # fail fast when the server is down; the UI retries
        api = k8s_client.ApiClient(configuration)
        return cls(api, context=chosen, server=configuration.host, timeout=timeout or (CONNECT_TIMEOUT, READ_TIMEOUT))

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
        accept: str = "application/json",
    ) -> Obj:
        headers = {"Accept": accept}
        if body is not None:
            headers["Content-Type"] = content_type
        method, url, headers, body, _post = self._api.param_serialize(
            method=method,
            resource_path=path,
            query_params=list((query or {}).items()),
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        self.request_count = next(self._requests)  # atomic under the GIL, unlike += from many threads
        try:
            if body is None:
                response = self._api.call_api(method, url, headers, _request_timeout=self.timeout)
            else:
                response = self._send(method, url, headers, body)
            data = response.read()
        except urllib3.exceptions.HTTPError as error:
            raise Unreachable(f"cannot reach the API server at {self.server} ({_reason(error)})") from None
        except OSError as error:  # TLS and socket errors below urllib3
            raise Unreachable(f"cannot reach the API server at {self.server} ({error})") from None
        status = response.status
        try:
            payload = json.loads(data) if data else None
        except ValueError:
            payload = None
        if 200 <= status < 300:
            if not isinstance(payload, dict):
                # A proxy's login page (HTML) or anything else that is not the API: an
                # empty list would read as "no applications", so say what answered.
                kind = response.headers.get("Content-Type") or "no content type"
                raise ServerError(
                    f"{self.server} answered {method} {path} with HTTP {status} and {kind}, "
                    "not a Kubernetes API object (a proxy or login page in the way?)"
                )
            return payload
        if not isinstance(payload, dict):
            payload = {"message": data[:200].decode(errors="replace")}
        raise _translate(status, payload, self.context)

    def _send(self, method: str, url: str, headers: dict[str, str], body: Any) -> k8s_rest.RESTResponse:
        """A request with a JSON body, serialised here as raw UTF-8.

        The client's own serialiser escapes non-ASCII text (`\\uXXXX`); the API server's
        JSON patch `test` then compares escaped bytes with the stored raw ones and answers
        422, so a key holding Hangul could never be set again. The client's REST layer
        re-serialises anything given to it as JSON, so the pool manager it uses (same TLS,
        proxy and retries) gets the bytes directly.
        """
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        connect, read = self.timeout
        raw = self._api.rest_client.pool_manager.request(
            method,
            url,
            body=data,
            headers=headers,
            timeout=urllib3.Timeout(connect=connect, read=read),
            preload_content=False,
        )
        return k8s_rest.RESTResponse(raw)

    def text(
        self, path: str, *, query: dict[str, str] | None = None, timeout: tuple[float, float] | None = None
    ) -> str:
        """A GET answered with plain text (a pod's log), errors translated as `request` does."""
        method, url, headers, _body, _post = self._api.param_serialize(
            method="GET",
            resource_path=path,
            query_params=list((query or {}).items()),
            header_params={"Accept": "text/plain, application/json"},
            auth_settings=["BearerToken"],
        )
        self.request_count = next(self._requests)
        try:
            response = self._api.call_api(method, url, headers, _request_timeout=timeout or self.timeout)
            data = response.read()
        except urllib3.exceptions.HTTPError as error:
            raise Unreachable(f"cannot reach the API server at {self.server} ({_reason(error)})") from None
        except OSError as error:
            raise Unreachable(f"cannot reach the API server at {self.server} ({error})") from None
        if 200 <= response.status < 300:
            return bytes(data or b"").decode(errors="replace")
        try:
            payload = json.loads(data)
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            payload = {"message": bytes(data or b"")[:200].decode(errors="replace")}
        raise _translate(response.status, payload, self.context)

    def watch(
        self,
        kind: Kind,
        namespace: str | None = None,
        *,
        resource_version: str,
        label_selector: str | None = None,
        timeout_seconds: int = 300,
    ) -> WatchStream:
        """A WATCH from `resource_version`, with bookmarks; the server ends it after about
        `timeout_seconds`. Raises like `request` when the server refuses it (403, 410, ...)."""
        query = {
            "watch": "1",
            "allowWatchBookmarks": "true",
            "resourceVersion": resource_version,
            "timeoutSeconds": str(timeout_seconds),
        }
        if label_selector:
            query["labelSelector"] = label_selector
        method, url, headers, _body, _post = self._api.param_serialize(
            method="GET",
            resource_path=kind.collection_path(namespace),
            query_params=list(query.items()),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        self.request_count = next(self._requests)
        connect, _read = self.timeout
        try:
            raw = self._api.rest_client.pool_manager.request(
                method,
                url,
                headers=headers,
                # Bookmarks arrive about once a minute: a silent minute and a half is a dead link.
                timeout=urllib3.Timeout(connect=connect, read=timeout_seconds + 90.0),
                preload_content=False,
                retries=False,
            )
        except urllib3.exceptions.HTTPError as error:
            raise Unreachable(f"cannot reach the API server at {self.server} ({_reason(error)})") from None
        except OSError as error:
            raise Unreachable(f"cannot reach the API server at {self.server} ({error})") from None
        if raw.status != 200:
            data = raw.read()
            raw.release_conn()
            try:
                payload = json.loads(data)
            except ValueError:
                payload = None
            if not isinstance(payload, dict):
                payload = {"message": data[:200].decode(errors="replace")}
            raise _translate(raw.status, payload, self.context)
        return WatchStream(raw, self.server)

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

    def json_patch(
        self, kind: Kind, namespace: str | None, name: str, operations: Sequence[Obj], *, dry_run: bool = False
    ) -> Obj:
        return self.request(
            "PATCH",
            kind.object_path(namespace, name),
            body=operations,
            content_type="application/json-patch+json",
            query=_dry(dry_run),
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


class WatchStream:
    """The events of one WATCH as decoded dicts ({"type": ..., "object": ...}); `close()` from
    another thread ends the iteration (the way a cache stops)."""

    def __init__(self, response: urllib3.BaseHTTPResponse, server: str) -> None:
        self._response = response
        self._server = server
        self._closing = False

    def __iter__(self) -> Iterator[Obj]:
        pending = b""
        try:
            for chunk in self._response.stream(64 * 1024):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
        except Exception as error:  # urllib3 may raise anything (even AttributeError) on a socket closed under it
            if self._closing or self._response.closed:
                return  # closed by close(): a clean stop
            raise Unreachable(f"the watch on {self._server} broke off ({type(error).__name__}: {error})") from None

    def close(self) -> None:
        self._closing = True
        with contextlib.suppress(Exception):  # closing a dead socket may raise anything
            self._response.shutdown()  # unblocks a read waiting in another thread
            self._response.close()


def _check_top_level(path: str) -> None:
    """Each kubeconfig file must be a mapping; the client fails on a list with a traceback."""
    for name in path.split(os.pathsep):
        file = os.path.expanduser(name)
        if not name or not os.path.exists(file):
            continue
        with open(file, encoding="utf-8") as stream:
            loaded = yaml.safe_load(stream)
        if loaded is not None and not isinstance(loaded, dict):
            raise Unreachable(
                f"kubeconfig {name} is unusable: its top level is a {type(loaded).__name__}, not a mapping"
            )


class _CapturedErrors(logging.Filter):
    """Swallows the client's kubeconfig log records and keeps their one-line messages."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR and record.pathname.endswith(_KUBE_CONFIG_MODULE):
            self.messages.append(" ".join(record.getMessage().split()) or "unknown error")
            return False
        return True


_KUBE_CONFIG_MODULE = os.path.join("kubernetes", "config", "kube_config.py")


@contextlib.contextmanager
def _credential_errors() -> Iterator[list[str]]:
    """The errors the client logs (to the root logger) while loading credentials."""
    captured = _CapturedErrors()
    root = logging.getLogger()
    handlers = list(root.handlers)  # logging.error() adds a stderr handler when there is none
    root.addFilter(captured)
    try:
        yield captured.messages
    finally:
        root.removeFilter(captured)
        root.handlers[:] = handlers


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
    if status == 410:
        return Expired(message)
    return ServerError(f"{message} (HTTP {status})")
