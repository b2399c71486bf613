"""OpenTelemetry tracing for one gateway: gRPC calls, workflow starts, workflows and activities, one trace.

A gRPC call's server span (opentelemetry-instrumentation-grpc's aio interceptor) is current
while the servicer starts a workflow; Temporal's `TracingInterceptor`, on the client, puts
that context in the workflow's headers, and the same interceptor on the worker (the worker
takes the client's) continues it into the workflow and its activities.

The tracer provider is the gateway's own, handed to each instrument, never the process's
global one (which can be set once): several gateways in one process each keep their spans.
Spans go over OTLP/gRPC to `tracing_endpoint` (plaintext unless it starts with https://),
and to any extra exporter a caller passes (tests use the SDK's in-memory one).
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from opentelemetry.instrumentation.grpc.filters import any_of, health_check, negate, service_prefix
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from temporalio.contrib.opentelemetry import TracingInterceptor

from gateway.settings import Settings

TRACER_NAME = "carbon_gateway"


def tracer_provider(settings: Settings, exporters: Sequence[SpanExporter] = ()) -> TracerProvider:
    """The gateway's provider: spans named for `service_name`, exported to the collector when one is set."""
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: settings.service_name}))
    if settings.tracing_endpoint:
        endpoint = settings.tracing_endpoint
        otlp = OTLPSpanExporter(endpoint=endpoint, insecure=not endpoint.startswith("https://"))
        provider.add_span_processor(BatchSpanProcessor(otlp))
    for exporter in exporters:  # a test's exporter sees every span as it ends
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def temporal_tracing(provider: TracerProvider) -> TracingInterceptor:
    """Spans for workflow starts, workflows and activities; goes on the Temporal client (workers inherit it)."""
    return TracingInterceptor(provider.get_tracer(TRACER_NAME))


def grpc_tracing(provider: TracerProvider) -> grpc.aio.ServerInterceptor:
    """A server span per call; health checks and reflection make none (probes would drown the rest)."""
    untraced = any_of(health_check(), service_prefix("grpc.reflection."))
    interceptor: grpc.aio.ServerInterceptor = aio_server_interceptor(
        tracer_provider=provider, filter_=negate(untraced)
    )
    return interceptor
