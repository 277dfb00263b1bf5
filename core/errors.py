"""The few errors hotclone raises; each carries one line meant for a human.

Transport and API errors are translated once, at the edge (core.cluster), so the
rest of core and every front end only ever sees these.
"""

from __future__ import annotations


class HotcloneError(Exception):
    """Base class: `str(error)` is a single line suitable for stderr or a toast."""

    title = "Error"

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))

    @property
    def message(self) -> str:
        return str(self)


class InvalidInput(HotcloneError):
    """A name, image reference, template or argument is malformed."""

    title = "Invalid input"


class NotFound(HotcloneError):
    """An application, environment, workload, type or revision does not exist."""

    title = "Not found"


class AlreadyExists(HotcloneError):
    title = "Already exists"


class Refused(HotcloneError):
    """The operation is valid but hotclone's safety rules refuse it."""

    title = "Refused"


class Forbidden(HotcloneError):
    """The API server denied the request (RBAC) or read-only mode is on."""

    title = "Permission denied"


class Conflict(HotcloneError):
    """Someone changed the cluster between read and write; nothing was applied."""

    title = "Conflict"


class Unreachable(HotcloneError):
    """The API server cannot be reached or the kubeconfig is unusable."""

    title = "Cluster unreachable"


class ServerError(HotcloneError):
    """The API server rejected a request for another reason (validation, quota)."""

    title = "Server error"


class Expired(ServerError):
    """410 Gone: a watch asked for history the server no longer keeps (list again)."""

    title = "Expired"


class Stopped(HotcloneError):
    """A change stopped part-way; the message says what the cluster holds now (read back)."""

    title = "Change stopped"


class Interrupted(Stopped):
    """The same, when the stop was Ctrl-C or a signal (the front end exits 130)."""

    title = "Change interrupted"
