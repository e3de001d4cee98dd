"""The database: SQLite under var/ by default, PostgreSQL through DATABASE_URL."""

from .environment import VAR_DIR, env

# DATABASE_URL: e.g. postgres://user:password@host:5432/agora. Unset: SQLite in var/.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'agora.sqlite3'}"),
}

# django-prometheus wraps the real backends so /metrics counts queries and errors.
_PROMETHEUS_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
_default = DATABASES["default"]
_default["ENGINE"] = _PROMETHEUS_ENGINES.get(_default["ENGINE"], _default["ENGINE"])
# DATABASE_CONN_MAX_AGE: seconds a connection is kept open between requests (only
# without a pool: a pooled connection goes back to the pool after each request).
_default["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
_default["CONN_HEALTH_CHECKS"] = True
if _default["ENGINE"].endswith("postgresql"):
    # DATABASE_POOL_MAX_SIZE: PostgreSQL connections each process may hold in its
    # pool (psycopg_pool, opened on first use); 0 opens a connection per request.
    # DATABASE_POOL_MIN_SIZE: connections the pool keeps open when idle.
    _pool_max = env.int("DATABASE_POOL_MAX_SIZE", default=4)
    if _pool_max > 0:
        _default.setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(env.int("DATABASE_POOL_MIN_SIZE", default=1), _pool_max),
            "max_size": _pool_max,
            # DATABASE_POOL_TIMEOUT: seconds a request waits for a free connection before
            # answering 503 with Retry-After (core.exceptions): under overload, a quick
            # refusal the client retries beats a queue of requests that all time out.
            "timeout": env.float("DATABASE_POOL_TIMEOUT", default=2.0),
        }
        _default["CONN_MAX_AGE"] = 0
if _default["ENGINE"].endswith("sqlite3"):
    # The web server, the worker and beat share one SQLite file: wait for locks
    # instead of failing, and take the write lock at the start of a transaction.
    _default.setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    _default.setdefault("TEST", {})["NAME"] = None
