"""Options the command line hands to the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from core.session import Session


@dataclass(frozen=True)
class DashboardOptions:
    kubeconfig: str | None
    context: str | None
    read_only: bool
    demo: bool = False  # opened by `hotclone demo`: the app is TopicShare on a local control plane

    def connect(self) -> Session:
        """Blocking: call it from a worker."""
        return Session.connect(self.kubeconfig, self.context, read_only=self.read_only)
