"""Django core: apps, middleware, templates, i18n, static files."""

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .environment import BASE_DIR, VAR_DIR, env

# DEBUG: development conveniences and error pages. Never on in production.
DEBUG = env.bool("DEBUG", default=False)

# SECRET_KEY: signs sessions, tokens and password reset links. Required unless DEBUG.
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off: refusing to start without a real secret."
        )
    SECRET_KEY = "django-insecure-agora-development-key-not-for-production"  # noqa: S105

# ALLOWED_HOSTS: host names this deployment answers to (comma separated).
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
# CSRF_TRUSTED_ORIGINS: origins (scheme://host) allowed to post forms, e.g. the admin behind TLS.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# AGORA_DOMAIN: the public host name (with a port if not the default one), reported by
# /api/v1/instance; every absolute URL in a response is on it (core.base_url).
AGORA_DOMAIN = env.str("AGORA_DOMAIN", default="localhost:8000")
# AGORA_HTTPS: whether those URLs are https:// (and the streaming URL wss://). Default
# on unless DEBUG; say false for a plain-HTTP deployment that is not in DEBUG.
AGORA_HTTPS = env.bool("AGORA_HTTPS", default=not DEBUG)
# AGORA_TITLE: the instance's name.
AGORA_TITLE = env.str("AGORA_TITLE", default="Agora")
# AGORA_CONTACT_EMAIL: the contact address shown by /api/v1/instance.
AGORA_CONTACT_EMAIL = env.str("AGORA_CONTACT_EMAIL", default="admin@localhost")
# AGORA_SOURCE_URL: where this deployment's source code is published (/api/v2/instance).
AGORA_SOURCE_URL = env.str("AGORA_SOURCE_URL", default="")
# AGORA_REGISTRATIONS_OPEN: whether POST /api/v1/accounts accepts sign-ups.
AGORA_REGISTRATIONS_OPEN = env.bool("AGORA_REGISTRATIONS_OPEN", default=True)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Third party
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "oauth2_provider",
    "corsheaders",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "waffle",
    "django_prometheus",
    "django_celery_beat",
    "djstripe",
    "storages",
    "channels",
    # Agora
    "core",
    "apps.accounts",
    "apps.media",
    "apps.feed",
    "apps.billing",
    "apps.protection",
    "apps.live",
    "apps.moderation",
]
# AGORA_DISABLED_APPS: Agora apps left out of INSTALLED_APPS (comma separated, e.g.
# "apps.moderation"). An app above accounts can be removed without breaking the apps
# below it: its URLs, routes, grants, handlers and tasks go with it (the app-removal
# test, tests/core/test_app_removal.py, runs each app's removal this way).
AGORA_DISABLED_APPS = env.list("AGORA_DISABLED_APPS", default=[])
_removable = [name for name in INSTALLED_APPS if name.startswith("apps.")][1:]
if set(AGORA_DISABLED_APPS) - set(_removable):
    raise ImproperlyConfigured(
        f"AGORA_DISABLED_APPS may name only {', '.join(_removable)}; "
        f"got {', '.join(AGORA_DISABLED_APPS)}."
    )
INSTALLED_APPS = [name for name in INSTALLED_APPS if name not in AGORA_DISABLED_APPS]

# AGORA_REQUEST_QUEUE_TIMEOUT: seconds a request waits for its turn when its process already
# serves AGORA_REQUEST_CONCURRENCY requests (settings/database.py) before it is refused with
# 503 and Retry-After instead of served late (core.overload).
AGORA_REQUEST_QUEUE_TIMEOUT = env.float("AGORA_REQUEST_QUEUE_TIMEOUT", default=2.0)

# Under ASGI the whole chain, the view included, runs synchronously, entered once
# (core.asgi.SynchronousChainASGIHandler).
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "core.middleware.RequestIdMiddleware",
    # CORS early: preflights are answered here, and every answer inside it (errors,
    # refusals, rate limits) carries the headers a browser client needs to read it.
    "corsheaders.middleware.CorsMiddleware",
    # JSON errors on API paths (DEBUG too) and 503 for outages, for everything inside it.
    "core.middleware.ApiErrorMiddleware",
    # Under overload, a request that waited too long for its turn is refused (503).
    "core.overload.RequestConcurrencyMiddleware",
    "core.middleware.RejectNulBytesMiddleware",
    "core.middleware.ApiTrailingSlashMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "waffle.middleware.WaffleMiddleware",
    # Axes must come last among the authentication middleware.
    "axes.middleware.AxesMiddleware",
    # After authentication: safe API requests read from a replica (when configured),
    # the session's user from the primary; writers are pinned to the primary.
    "core.replicas.ReplicaRoutingMiddleware",
    "core.throttling.RateLimitHeadersMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Internationalisation
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish")), ("de", _("German"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: served by WhiteNoise from STATIC_ROOT (collectstatic), or from the
# finders while DEBUG is on.
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = DEBUG
