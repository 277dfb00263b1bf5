"""The API server's own request counters, read from its /metrics endpoint.

`apiserver_request_total` counts a request when it ends, by verb (LIST and WATCH are
told apart), resource and subresource; a watch still open is not in it yet, so
`apiserver_longrunning_requests` (a gauge of the requests open now, WATCH among them)
says how many watches are open. Neither names the client: a figure of one client's
requests is a delta over a window minus the same window without it (the controller
manager and the benchmark's own reads run in both).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from benchmarks.rawclient import RawClient

_SAMPLE = re.compile(r"^(apiserver_request_total|apiserver_longrunning_requests)\{([^}]*)\} (\S+)$", re.M)
_LABEL = re.compile(r'(\w+)="([^"]*)"')

Key = tuple[str, str]  # (verb, resource[/subresource])

# What a dashboard can ask: reads, and the permission and identity reviews it creates. Writes, and
# reads of what only controllers and admission read, are the controllers' catching up (status
# updates, ReplicaSets, pods, events, the LimitRanger's lists), which a baseline window taken a
# minute earlier cannot cancel exactly while they still work through a fresh data set.
READ_VERBS = frozenset({"GET", "LIST", "WATCH"})
REVIEWS = frozenset({"selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"})
CONTROLLER_READS = frozenset(
    {"leases", "events", "limitranges", "resourcequotas", "replicasets", "endpoints", "endpointslices"}
)


@dataclass
class Counts:
    ended: Counter[Key] = field(default_factory=Counter)  # requests that ended (a counter)
    open_watches: Counter[str] = field(default_factory=Counter)  # WATCHes open now, by resource (a gauge)

    def __sub__(self, earlier: Counts) -> Counts:
        """Requests ended since `earlier`; open watches as the later reading has them, minus the earlier's."""
        ended = Counter({k: v - earlier.ended.get(k, 0) for k, v in self.ended.items()})
        watches = Counter({k: v - earlier.open_watches.get(k, 0) for k, v in self.open_watches.items()})
        return Counts(+ended, +watches)

    def minus(self, baseline: Counts) -> Counts:
        """This window's requests less a baseline window's (never below zero)."""
        return Counts(self.ended - baseline.ended)

    def a_client_reads(self) -> Counts:
        """Only the requests a read-only client such as the dashboard makes (see READ_VERBS)."""
        kept = Counter(
            {
                (verb, resource): n
                for (verb, resource), n in self.ended.items()
                if (verb in READ_VERBS and resource.split("/")[0] not in CONTROLLER_READS)
                or (verb == "POST" and resource in REVIEWS)
            }
        )
        return Counts(kept)

    def verb(self, verb: str) -> int:
        return sum(v for (b, _), v in self.ended.items() if b == verb)

    def as_json(self) -> dict[str, object]:
        return {
            "ended": {f"{verb} {resource}": n for (verb, resource), n in sorted(self.ended.items())},
            "open_watches": dict(sorted(self.open_watches.items())),
        }


def parse(text: str) -> Counts:
    counts = Counts()
    for name, labels_text, value in _SAMPLE.findall(text):
        labels = dict(_LABEL.findall(labels_text))
        resource = labels.get("resource", "")
        if not resource:  # non-resource URLs: /metrics itself, discovery, /healthz
            continue
        if labels.get("subresource"):
            resource += "/" + labels["subresource"]
        if name == "apiserver_request_total":
            counts.ended[(labels.get("verb", ""), resource)] += int(float(value))
        elif labels.get("verb") == "WATCH":
            counts.open_watches[resource] += int(float(value))
    return counts


def reader(raw: RawClient) -> Counts:
    return parse(raw.get_text("/metrics"))
