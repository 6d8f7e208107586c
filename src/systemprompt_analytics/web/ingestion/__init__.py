"""HTTP ingestion of platform facts and OpenTelemetry traces (see docs/ingestion.md)."""

from systemprompt_analytics.web.ingestion.router import ingestion_router, otlp_router

__all__ = ["ingestion_router", "otlp_router"]
