"""The database: SQLite under var/ by default, PostgreSQL through DATABASE_URL."""

from .environment import VAR_DIR, env

# DATABASE_URL: e.g. postgres://user:password@host:5432/agora. Unset: SQLite in var/.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'agora.sqlite3'}"),
}

# django-prometheus wraps the real backends so /metrics counts queries and errors. On
# PostgreSQL, Agora's backend (core.backends.postgresql) is django-prometheus's, reading
# timestamps with psycopg's C loader rather than Django's Python one (nine times cheaper).
_PROMETHEUS_ENGINES = {
    "django.db.backends.postgresql": "core.backends.postgresql",
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
    # DATABASE_SERVER_SIDE_BINDING: send a query's values apart from its text (the
    # extended protocol), instead of quoting them into it in Python: the visibility rules'
    # fifty values cost about 3 ms a notifications page to quote and PostgreSQL to parse
    # as literals (bench/plans.py). Statements are not prepared, on purpose: a prepared
    # statement lets PostgreSQL switch to a generic plan, planned without the values, and
    # the notifications page's generic plan took 800 ms for the viewer with the most
    # notifications, against 4 ms planned with its values (bench/load.py's data).
    # DATABASE_PREPARED_STATEMENTS (with server-side binding; default true): except the
    # reads of rows by key (core.rows), whose plan cannot depend on their keys, and the
    # public timeline's and notifications' page ids, their rules' constants written into
    # the text (apps.feed.models.compiled.written_in): their generic plans are their plans,
    # and planning cost PostgreSQL more than running them (core.postgres). Prepared
    # statements are per connection: behind PgBouncer in transaction mode they need its
    # max_prepared_statements (1.21 or later), else set this false.
    if env.bool("DATABASE_SERVER_SIDE_BINDING", default=True):
        _options = _default.setdefault("OPTIONS", {})
        _options["server_side_binding"] = True
        _options["prepare_threshold"] = None
        if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
            from core.postgres import ONLY_WHEN_ASKED, PreparingCursor

            _options["cursor_factory"] = PreparingCursor
            _options["prepare_threshold"] = ONLY_WHEN_ASKED
    # DATABASE_JIT: PostgreSQL's JIT compiles a query whose plan looks expensive. The API's
    # queries are short but their plans large (visibility), and it spent seconds compiling
    # for milliseconds of work (bench/load.py, the notifications page). Off unless true.
    if not env.bool("DATABASE_JIT", default=False):
        _options = _default.setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
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

# AGORA_REQUEST_CONCURRENCY: requests a web process serves at once (core.overload; see
# AGORA_REQUEST_QUEUE_TIMEOUT): by default its database pool's size, as more would only
# wait for a connection; 8 without a pool; 0 serves every request at once.
_pool = _default.get("OPTIONS", {}).get("pool")
AGORA_REQUEST_CONCURRENCY = env.int(
    "AGORA_REQUEST_CONCURRENCY", default=_pool["max_size"] if isinstance(_pool, dict) else 8
)
# AGORA_REQUEST_BACKLOG: requests a web process holds at once, served or waiting for their
# turn, past which it refuses a new one at once (503 with Retry-After) on its event loop,
# before the request costs a thread (core.overload); 0 holds any number.
AGORA_REQUEST_BACKLOG = env.int("AGORA_REQUEST_BACKLOG", default=16 * AGORA_REQUEST_CONCURRENCY)


def replica_databases(urls: str, primary: dict) -> dict[str, dict]:
    """``DATABASES`` entries ``replica_1``, ``replica_2``... for comma-separated PostgreSQL URLs.

    Each replica gets the primary's engine wrapper, pool and connection options, and
    mirrors ``default`` in tests. Raises ImproperlyConfigured for a URL that is not a
    ``postgres://`` URL naming a host and a database, or when the primary is not
    PostgreSQL (streaming replicas are PostgreSQL's).
    """
    from urllib.parse import urlsplit

    from django.core.exceptions import ImproperlyConfigured

    replicas: dict[str, dict] = {}
    for position, url in enumerate((part.strip() for part in urls.split(",")), start=1):
        if not url:
            continue
        parts = urlsplit(url)
        # The URL without its password, for the message.
        shown = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        if parts.scheme not in ("postgres", "postgresql", "pgsql"):
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS: replica {position} ({shown}) is not a PostgreSQL "
                "URL: expected postgres://user:password@host:5432/name"
            )
        try:
            config = env.db_url_config(url)
        except ValueError as error:
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS: replica {position} ({shown}): {error}"
            ) from error
        if not config.get("HOST") or not config.get("NAME"):
            raise ImproperlyConfigured(
                f"DATABASE_REPLICA_URLS: replica {position} ({shown}) must name a host and "
                "a database: postgres://user:password@host:5432/name"
            )
        if not primary["ENGINE"].endswith("postgresql"):
            raise ImproperlyConfigured(
                "DATABASE_REPLICA_URLS needs DATABASE_URL to be PostgreSQL (the primary "
                "they replicate)."
            )
        config["ENGINE"] = primary["ENGINE"]
        for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
            config[key] = primary[key]
        config["OPTIONS"] = {**primary.get("OPTIONS", {}), **config.get("OPTIONS", {})}
        config["TEST"] = {"MIRROR": "default"}
        replicas[f"replica_{len(replicas) + 1}"] = config
    return replicas


# DATABASE_REPLICA_URLS: comma-separated postgres:// URLs of streaming read replicas of
# DATABASE_URL. The API's safe requests (GET, HEAD, OPTIONS) read from one of them
# (core.replicas); empty: every read goes to the primary and no router is installed.
DATABASES.update(replica_databases(env.str("DATABASE_REPLICA_URLS", default=""), _default))
# The aliases of the replicas, in order (replica_1, replica_2, ...).
DATABASE_REPLICAS = [alias for alias in DATABASES if alias.startswith("replica_")]
DATABASE_ROUTERS = ["core.replicas.ReplicaRouter"] if DATABASE_REPLICAS else []
# DATABASE_REPLICA_PIN_SECONDS: after an account writes, its reads stay on the primary
# this long, so it sees its own writes while the replicas catch up.
DATABASE_REPLICA_PIN_SECONDS = env.float("DATABASE_REPLICA_PIN_SECONDS", default=5.0)
# DATABASE_REPLICA_MAX_LAG_SECONDS: a replica further behind than this is skipped.
DATABASE_REPLICA_MAX_LAG_SECONDS = env.float("DATABASE_REPLICA_MAX_LAG_SECONDS", default=10.0)
# DATABASE_REPLICA_CHECK_SECONDS: how often each process checks a replica's health and lag.
DATABASE_REPLICA_CHECK_SECONDS = env.float("DATABASE_REPLICA_CHECK_SECONDS", default=2.0)
