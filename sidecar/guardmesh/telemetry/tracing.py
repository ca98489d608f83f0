"""Set up OpenTelemetry tracing from the standard OTEL_* environment variables."""

import logging
import os
from collections.abc import Mapping

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger("guardmesh.tracing")

_PROPAGATOR = TraceContextTextMapPropagator()


def tracing_requested(env: Mapping[str, str]) -> bool:
    """Tracing is on when an OTLP endpoint or a traces exporter is named, unless the SDK is disabled."""
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return bool(exporter or env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def _exporter(env: Mapping[str, str]) -> SpanExporter:
    protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "grpc"
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter

        return GrpcExporter()
    if protocol in ("http/protobuf", "http"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter

        return HttpExporter()
    raise ValueError(f"OTEL_EXPORTER_OTLP_PROTOCOL={protocol!r} is not supported; use grpc or http/protobuf")


def configure(service_name: str, env: Mapping[str, str] | None = None) -> tuple[Tracer, TracerProvider] | None:
    """Build a tracer exporting over OTLP, or None when tracing is not requested."""
    env = os.environ if env is None else env
    if not tracing_requested(env):
        return None
    provider = TracerProvider(resource=Resource.create({"service.name": env.get("OTEL_SERVICE_NAME", service_name)}))
    provider.add_span_processor(BatchSpanProcessor(_exporter(env)))
    return provider.get_tracer("guardmesh.sidecar"), provider


def extract(meta: object, headers: Mapping[str, str] | None) -> Context | None:
    """The caller's trace context: `params._meta` first, then the HTTP headers."""
    if isinstance(meta, dict) and isinstance(meta.get("traceparent"), str):
        return _PROPAGATOR.extract({k: v for k, v in meta.items() if k in ("traceparent", "tracestate")})
    if headers is not None and "traceparent" in headers:
        return _PROPAGATOR.extract({"traceparent": headers["traceparent"], "tracestate": headers.get("tracestate", "")})
    return None
