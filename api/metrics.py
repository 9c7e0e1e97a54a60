"""Prometheus metrics, one registry per app (so per worker process).

Each uvicorn worker keeps its own counters and serves them on ``/metrics``; with several
workers a scrape sees one worker's view (label ``worker`` = its pid). Sum over workers in
PromQL (``sum without (worker) (...)``), or run one worker per scrape target.

No metric names a list: ``/metrics`` needs no key by default, and a private list's name and
activity are its organisation's (matches are counted by the list's action instead).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hashdb.hashing import ALGORITHMS
from hashdb.matching.match import Match
from hashdb.service import HashDB

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class Metrics:
    def __init__(self, service: HashDB) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "hashdb_http_requests",
            "HTTP requests by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hashdb_http_request_duration_seconds",
            "Time from request start to the last byte of the response.",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.matches = Counter(
            "hashdb_matches",
            "Matches returned, by the action of the list matched and the algorithm.",
            ["action", "algorithm"],
            registry=self.registry,
        )
        self.lookups = Counter(
            "hashdb_lookup_hashes",
            "Hashes queried through POST /v1/lookup.",
            registry=self.registry,
        )
        self.registry.register(_IndexSize(service))
        # Each metric's child for a set of labels, kept: looking it up through .labels()
        # costs more than counting.
        self._requests: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self._matches: dict[tuple[str, str], Counter] = {}

    def count_request(self, route: str, method: str, status: int, seconds: float) -> None:
        """One request answered: ``route`` is its template (or "unmatched")."""
        children = self._requests.get((route, method, status))
        if children is None:
            children = (
                self.requests.labels(route=route, method=method, status=str(status)),
                self.latency.labels(route=route, method=method),
            )
            self._requests[route, method, status] = children
        children[0].inc()
        children[1].observe(seconds)

    def count_matches(self, matches: Iterable[Match]) -> None:
        for match in matches:
            key = (match.action.value, match.algorithm)
            child = self._matches.get(key)
            if child is None:
                child = self._matches[key] = self.matches.labels(*key)
            child.inc()


class _IndexSize(Collector):
    """Live entries in this worker's index, labelled with the pid of the process that serves
    the scrape: read when scraped, so a worker forked from the process that built the app
    names itself."""

    def __init__(self, service: HashDB) -> None:
        self.service = service

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield self._family()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = self._family()
        worker = str(os.getpid())
        indexes = self.service.pipeline.indexes
        for name in ALGORITHMS:
            family.add_metric([name, worker], float(indexes.size(name)))
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "hashdb_index_entries",
            "Live entries held in this worker's in-memory index, by algorithm.",
            labels=["algorithm", "worker"],
        )
