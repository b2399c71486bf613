"""One Prometheus endpoint for a gateway: the ledger's gauges, the step metrics, and Temporal's SDK metrics.

- `LedgerGauges` reads the ledger when scraped (`ledger.gauges`): transfers by state, anchoring
  lag, the delivery backlog. A ledger that cannot be read makes one warning line and
  `carbon_gateway_ledger_up 0`, not a failed scrape.
- `TemporalSdkMetrics` drains the Temporal runtime's `MetricBuffer` (a background thread, so the
  buffer never fills between scrapes) and serves what it holds in Prometheus' form: counters
  summed, gauges' last values, histograms bucketed. No second port, no second exporter.
- `MetricsEndpoint` serves a registry over HTTP (prometheus_client's threaded server).

Everything is per instance (its own `CollectorRegistry`), so several gateways share a process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from temporalio.runtime import (
    BUFFERED_METRIC_KIND_COUNTER,
    BUFFERED_METRIC_KIND_GAUGE,
    BufferedMetricUpdate,
    MetricBuffer,
)

from ledger import Ledger

_log = logging.getLogger(__name__)

# Temporal's histograms are latencies (seconds: the buffer is made with SECONDS) from milliseconds
# (a request) to days (a transfer waiting for its holder's evidence).
SDK_BUCKETS_S = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0, 86400.0,
)  # fmt: skip
DRAIN_INTERVAL_S = 1.0
# Updates the runtime holds between drains; with a drain every second this is never reached.
BUFFER_SIZE = 100_000


class LedgerGauges:
    """A collector that reads the ledger at scrape time."""

    def __init__(self, ledger: Ledger, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._ledger = ledger
        self._now = now

    def describe(self) -> Iterable[Metric]:
        return self._families()

    def collect(self) -> Iterable[Metric]:
        try:
            by_state = self._ledger.gauges.transfers_by_state()
            lag = self._ledger.gauges.anchor_lag()
            backlog = self._ledger.gauges.delivery_backlog()
        except Exception as exc:  # a scrape reports the ledger down; it never fails the endpoint
            _log.warning("metrics: the ledger could not be read: %s", exc)
            up, *_ = self._families()
            up.add_metric([], 0)
            return [up]
        up, transfers, lag_leaves, lag_seconds, deliveries, waiting = self._families()
        up.add_metric([], 1)
        for state, n in by_state.items():
            transfers.add_metric([state.value], n)
        lag_leaves.add_metric([], lag.leaves)
        lag_seconds.add_metric([], lag.seconds(self._now()))
        for delivery_state, n in backlog.by_state.items():
            deliveries.add_metric([delivery_state.value], n)
        waiting.add_metric([], backlog.events_waiting)
        return [up, transfers, lag_leaves, lag_seconds, deliveries, waiting]

    @staticmethod
    def _families() -> list[GaugeMetricFamily]:
        return [
            GaugeMetricFamily("carbon_gateway_ledger_up", "1 when the last scrape could read the ledger."),
            GaugeMetricFamily(
                "carbon_gateway_transfers",
                "Transfers in the ledger by their current state.",
                labels=["state"],
            ),
            GaugeMetricFamily(
                "carbon_gateway_anchor_lag_leaves",
                "Settlement-log leaves not yet covered by a final (confirmed) anchor.",
            ),
            GaugeMetricFamily(
                "carbon_gateway_anchor_lag_seconds",
                "Seconds since the oldest settlement not covered by a final anchor was appended (0: none).",
            ),
            GaugeMetricFamily(
                "carbon_gateway_delivery_backlog",
                "Finance event deliveries not acknowledged: pending (being retried) or failed (until a replay).",
                labels=["state"],
            ),
            GaugeMetricFamily(
                "carbon_gateway_delivery_events_waiting",
                "Finance events after their subscriptions' acknowledged positions, summed over subscriptions.",
            ),
        ]


_Labels = tuple[tuple[str, str], ...]


@dataclass
class _Histogram:
    buckets: list[int] = field(default_factory=lambda: [0] * len(SDK_BUCKETS_S))
    count: int = 0
    total: float = 0.0

    def observe(self, value: float) -> None:
        self.count += 1
        self.total += value
        for i, bound in enumerate(SDK_BUCKETS_S):
            if value <= bound:
                self.buckets[i] += 1


@dataclass
class _SdkMetric:
    name: str
    description: str
    kind: int
    values: dict[_Labels, float] = field(default_factory=dict)
    histograms: dict[_Labels, _Histogram] = field(default_factory=dict)


def _labels(attributes: Mapping[str, object]) -> _Labels:
    return tuple(sorted((str(k), str(v)) for k, v in attributes.items()))


class TemporalSdkMetrics:
    """A collector holding the Temporal SDK's metrics, drained from the runtime's buffer."""

    def __init__(self, buffer: MetricBuffer, drain_interval_s: float = DRAIN_INTERVAL_S) -> None:
        self._buffer = buffer
        self._metrics: dict[str, _SdkMetric] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._interval_s = drain_interval_s
        self._drainer = threading.Thread(target=self._drain_forever, name="temporal-metrics", daemon=True)

    def start(self) -> None:
        self._drainer.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._drainer.is_alive():
            self._drainer.join(timeout=5)

    def drain(self) -> None:
        with self._lock:
            for update in self._buffer.retrieve_updates():
                self._apply(update)

    def collect(self) -> Iterable[Metric]:
        self.drain()
        with self._lock:
            return [self._family(m) for m in self._metrics.values()]

    def _drain_forever(self) -> None:
        while not self._stopping.wait(self._interval_s):
            try:
                self.drain()
            except Exception as exc:  # keep draining: a lost update is better than a full buffer
                _log.warning("metrics: Temporal SDK metrics could not be read: %s", exc)

    def _apply(self, update: BufferedMetricUpdate) -> None:
        metric = self._metrics.get(update.metric.name)
        if metric is None:
            metric = _SdkMetric(update.metric.name, update.metric.description or "", update.metric.kind)
            self._metrics[metric.name] = metric
        labels = _labels(update.attributes)
        if metric.kind == BUFFERED_METRIC_KIND_COUNTER:
            metric.values[labels] = metric.values.get(labels, 0.0) + update.value
        elif metric.kind == BUFFERED_METRIC_KIND_GAUGE:
            metric.values[labels] = float(update.value)
        else:
            metric.histograms.setdefault(labels, _Histogram()).observe(float(update.value))

    @staticmethod
    def _family(metric: _SdkMetric) -> Metric:
        if metric.kind == BUFFERED_METRIC_KIND_COUNTER:
            family = Metric(metric.name, metric.description, "counter")
            for labels, value in metric.values.items():
                family.add_sample(family.name + "_total", dict(labels), value)
        elif metric.kind == BUFFERED_METRIC_KIND_GAUGE:
            family = Metric(metric.name, metric.description, "gauge")
            for labels, value in metric.values.items():
                family.add_sample(metric.name, dict(labels), value)
        else:
            family = Metric(metric.name, metric.description, "histogram")
            for labels, histogram in metric.histograms.items():
                base = dict(labels)
                for bound, n in zip(SDK_BUCKETS_S, histogram.buckets, strict=True):
                    family.add_sample(metric.name + "_bucket", {**base, "le": str(bound)}, n)
                family.add_sample(metric.name + "_bucket", {**base, "le": "+Inf"}, histogram.count)
                family.add_sample(metric.name + "_count", base, histogram.count)
                family.add_sample(metric.name + "_sum", base, histogram.total)
        return family


class MetricsEndpoint:
    """`/metrics` (any path, in fact) over HTTP on a thread, until `stop`."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int) -> None:
        self._server: WSGIServer
        self._server, self._thread = start_http_server(port, addr=host, registry=registry)
        self.port: int = self._server.server_port
        shown = f"[{host}]" if ":" in host else host
        self.url = f"http://{shown}:{self.port}/metrics"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
