"""Everything a gateway needs to be watched: metrics on one endpoint, log fields, tracing, in one object.

`Observability.start(settings, ledger)` builds, for one gateway:
- a Prometheus endpoint on `metrics_host:metrics_port` (None: none; 0: a free port) serving the
  ledger's gauges, the step metrics and Temporal's SDK metrics (docs/observability.md);
- a Temporal `Runtime` whose metrics feed that endpoint and whose core log lines go through
  Python logging (so `log_format` applies to them);
- a tracer provider exporting to `tracing_endpoint`, and the interceptors that trace gRPC
  calls, workflow starts, workflows and activities as one trace;
- the interceptors that put the transfer id on every log line (`gateway.log_lines`).
Each instance has its own registry, runtime and tracer provider, so several gateways run in one
process (the tests do); nothing here sets process-wide state. The root log handler is the
process's own business: `gateway.log_lines.configure_logging(settings)`, once, at the entry point.

Wiring (gateway/runtime.py, `EmbeddedGateway`):

    self.observability = Observability.start(s)                 # before the Temporal client
    # embedded server:
    WorkflowEnvironment.start_local(..., runtime=o.temporal_runtime, interceptors=o.client_interceptors)
    # or a cluster:
    Client.connect(address, ..., runtime=o.temporal_runtime, interceptors=o.client_interceptors)
    o.watch_ledger(self.ledger)                                  # once the ledger is open
    gateway_worker(..., interceptors=o.worker_interceptors)
    start_grpc_server(..., interceptors=o.grpc_interceptors)
    shown["Metrics"] = o.metrics_url                            # when not None
    ...
    o.stop()                                                     # last, after the worker and server

The tracing interceptor goes on the client only: a worker takes its client's interceptors, and
having it twice would trace every step twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import grpc
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from prometheus_client import CollectorRegistry, ProcessCollector
from temporalio import client as temporal_client
from temporalio import worker as temporal_worker
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    MetricBuffer,
    MetricBufferDurationFormat,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

from gateway.log_lines import TransferLogFields
from gateway.metrics import BUFFER_SIZE, LedgerGauges, MetricsEndpoint, TemporalSdkMetrics
from gateway.settings import Settings
from gateway.tracing import grpc_tracing, temporal_tracing, tracer_provider
from ledger import Ledger
from workflows.step_metrics import StepMetrics

# Temporal core's own lines, forwarded into Python logging at these levels (its default ones).
_CORE_LOGS = TelemetryFilter(core_level="WARN", other_level="ERROR")


def temporal_runtime(buffer: MetricBuffer | None) -> Runtime:
    """A Temporal runtime of its own: metrics into `buffer` (None: none), core log lines into Python's."""
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    telemetry = TelemetryConfig(
        logging=LoggingConfig(filter=_CORE_LOGS, forwarding=forwarding), metrics=buffer
    )
    return Runtime(telemetry=telemetry)


@dataclass
class Observability:
    """One gateway's metrics, tracing and log fields; build with `start`, end with `stop`."""

    registry: CollectorRegistry
    temporal_runtime: Runtime
    tracer_provider: TracerProvider
    step_metrics: StepMetrics
    client_interceptors: list[temporal_client.Interceptor]
    worker_interceptors: list[temporal_worker.Interceptor]
    grpc_interceptors: list[grpc.aio.ServerInterceptor]
    _sdk_metrics: TemporalSdkMetrics | None = None
    _endpoint: MetricsEndpoint | None = None
    _ledger_gauges: LedgerGauges | None = field(default=None, repr=False)
    _stopped: bool = False

    @classmethod
    def start(
        cls, settings: Settings, ledger: Ledger | None = None, *, span_exporters: Sequence[SpanExporter] = ()
    ) -> Observability:
        """Build everything and serve the metrics endpoint; `span_exporters` also receive every span."""
        registry = CollectorRegistry()
        serving = settings.metrics_port is not None
        buffer = MetricBuffer(BUFFER_SIZE, MetricBufferDurationFormat.SECONDS) if serving else None
        runtime = temporal_runtime(buffer)
        steps = StepMetrics(registry)
        ProcessCollector(namespace="carbon_gateway", registry=registry)
        provider = tracer_provider(settings, span_exporters)
        # Spans cost every workflow task and call something; with nowhere to send them, none are made.
        tracing = bool(settings.tracing_endpoint or span_exporters)
        made = cls(
            registry=registry,
            temporal_runtime=runtime,
            tracer_provider=provider,
            step_metrics=steps,
            client_interceptors=[temporal_tracing(provider)] if tracing else [],
            worker_interceptors=[steps],
            grpc_interceptors=[*([grpc_tracing(provider)] if tracing else []), TransferLogFields()],
        )
        try:
            if buffer is not None and settings.metrics_port is not None:
                made._sdk_metrics = TemporalSdkMetrics(buffer)
                registry.register(made._sdk_metrics)
                made._endpoint = MetricsEndpoint(registry, settings.metrics_host, settings.metrics_port)
                made._sdk_metrics.start()
            if ledger is not None:
                made.watch_ledger(ledger)
        except BaseException:
            made.stop()
            raise
        return made

    @property
    def metrics_url(self) -> str | None:
        """Where Prometheus scrapes (None when no endpoint is served)."""
        return None if self._endpoint is None else self._endpoint.url

    @property
    def metrics_port(self) -> int | None:
        return None if self._endpoint is None else self._endpoint.port

    def watch_ledger(self, ledger: Ledger) -> None:
        """Serve `ledger`'s gauges from now on (the ledger opens after the Temporal client connects)."""
        if self._ledger_gauges is not None:
            self.registry.unregister(self._ledger_gauges)
        self._ledger_gauges = LedgerGauges(ledger)
        self.registry.register(self._ledger_gauges)

    def stop(self) -> None:
        """Stop serving, stop draining, and send the spans still buffered; again, nothing."""
        if self._stopped:
            return
        self._stopped = True
        if self._endpoint is not None:
            self._endpoint.stop()
            self._endpoint = None
        if self._sdk_metrics is not None:
            self._sdk_metrics.stop()
            self._sdk_metrics = None
        self.tracer_provider.shutdown()
