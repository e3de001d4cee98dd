"""Logging (JSON lines with the request id) and metrics."""

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
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
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
