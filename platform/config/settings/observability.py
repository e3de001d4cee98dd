"""Logging (JSON lines with the request id and trace id), metrics and tracing."""

from .environment import env

# LOG_LEVEL: the root log level.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# LOG_FORMAT: "json" (one JSON object a line) or "text".
LOG_FORMAT = env.str("LOG_FORMAT", default="json")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            # trace_id and span_id: hex, empty without tracing or outside a span.
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s "
            "%(trace_id)s %(span_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT if LOG_FORMAT in ("json", "text") else "json",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's own console handlers print plain text: send its records to ours.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "INFO"},
    },
}

# Probes reach /healthz and /readyz over plain HTTP inside the cluster, so they are
# never redirected to HTTPS (the regexes match the path without its leading slash).
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# PROMETHEUS_EXPORT_MIGRATIONS: whether /metrics reports unapplied migrations.
PROMETHEUS_EXPORT_MIGRATIONS = env.bool("PROMETHEUS_EXPORT_MIGRATIONS", default=False)

# Tracing (OpenTelemetry, see core.tracing): off unless configured, so it costs nothing.
# OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the collector spans go
# to, over OTLP/HTTP (protobuf); setting either turns tracing on. The exporter reads them,
# and the other standard OTEL_EXPORTER_OTLP_* variables (headers, timeout), itself.
_otlp_endpoint = env.str("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", default="") or env.str(
    "OTEL_EXPORTER_OTLP_ENDPOINT", default=""
)
# AGORA_TRACING: trace this process's requests, tasks, queries and Redis commands (default:
# on when an OTLP endpoint is set; true without one exports to http://localhost:4318).
# The standard OTEL_SDK_DISABLED=true turns it off whatever else is set.
TRACING_ENABLED = env.bool("AGORA_TRACING", default=bool(_otlp_endpoint)) and not env.bool(
    "OTEL_SDK_DISABLED", default=False
)
# OTEL_SERVICE_NAME: the service spans are reported under (default "agora" for the web
# processes, "agora-worker" for Celery workers). Sampling follows the standard
# OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG (default: parentbased_always_on), and
# OTEL_RESOURCE_ATTRIBUTES adds resource attributes (deployment.environment=...).
TRACING_SERVICE_NAME = env.str("OTEL_SERVICE_NAME", default="") or None
# OTEL_PYTHON_DJANGO_EXCLUDED_URLS: comma-separated regexes of URLs whose requests are not
# traced (the probes and the Prometheus scrape by default).
TRACING_EXCLUDED_URLS = env.str(
    "OTEL_PYTHON_DJANGO_EXCLUDED_URLS", default="/healthz$,/readyz$,/metrics$"
)
