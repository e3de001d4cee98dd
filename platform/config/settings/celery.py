"""Celery: a file broker under var/ by default, Redis in production."""

import sys

from kombu import Queue

from .cache import REDIS_URL
from .environment import VAR_DIR, env
from .media import MEDIA_TRANSCODE_TIMEOUT

# CELERY_BROKER_URL: the task broker. Unset: REDIS_URL if set, otherwise Kombu's
# filesystem transport under var/celery, which needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
# MEDIA_PROCESS_TIME_LIMIT: seconds after which a media processing task (the longest
# task: one transcode of up to MEDIA_TRANSCODE_TIMEOUT, plus probing, thumbnails and
# storage) is killed; its job is then retried or failed by the job reaper.
MEDIA_PROCESS_TIME_LIMIT = env.int(
    "MEDIA_PROCESS_TIME_LIMIT", default=int(MEDIA_TRANSCODE_TIMEOUT) + 600
)
# CELERY_VISIBILITY_TIMEOUT: seconds a task taken by a worker stays invisible to other
# workers before the broker (Redis, SQS) delivers it again, which is how a task whose
# worker died is redelivered. Longer than the longest task, or a slow task would run
# twice: MEDIA_PROCESS_TIME_LIMIT plus a margin.
CELERY_VISIBILITY_TIMEOUT = env.int(
    "CELERY_VISIBILITY_TIMEOUT", default=MEDIA_PROCESS_TIME_LIMIT + 300
)
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    _processed_dir = VAR_DIR / "celery" / "processed"
    # Broadcasts (remote control: revoke, ping) keep their exchange table here, not in the cwd.
    _control_dir = VAR_DIR / "celery" / "control"
    for _folder in (_queue_dir, _processed_dir, _control_dir):
        _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(_processed_dir),
        "control_folder": str(_control_dir),
        "store_processed": False,
    }
# CELERY_RESULT_BACKEND: where task results go. Unset: none; BackgroundJob rows
# track the work users and operators see.
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
# Queues. Every task goes to the default queue ("celery"), except media processing on
# "media" (media.*, and live.replay_create, which remuxes a recording with ffmpeg) and
# moderation's tasks on "moderation" (moderation.*), so a burst of transcodes does not
# hold up feeds and moderation, nor a burst of posts the transcodes. A worker started
# without -Q consumes all three queues (make run, compose); a deployment that splits them
# runs one worker pool per queue (deploy/k8s: -Q celery, -Q media, -Q moderation).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [
    Queue(name, routing_key=name) for name in (CELERY_TASK_DEFAULT_QUEUE, "media", "moderation")
]
# Task names are stable and path-free ("media.process"): routes match their prefixes.
CELERY_TASK_ROUTES = {
    "media.*": {"queue": "media"},
    "live.replay_create": {"queue": "media"},
    "moderation.*": {"queue": "moderation"},
}
# CELERY_TASK_ALWAYS_EAGER: run tasks in the calling process (tests and one-off scripts).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# A task is acknowledged when it finishes, not when a worker takes it, and a task whose
# worker process died is put back on the queue: a crash loses no task (tasks are
# written to run twice). One task is reserved at a time, so a dying worker holds few.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A task hands its database connection back as a request does (config.celery), not as
# Celery's Django fixup would: its prefork worker closes the whole connection pool before
# and after every task (celery/celery#10554), so each task opened two new PostgreSQL
# connections, which cost more CPU than the tasks themselves (bench/load.py). The fixup
# closes connections only every CELERY_DB_REUSE_MAX tasks; this never comes.
CELERY_DB_REUSE_MAX = sys.maxsize
# Workers and beat log through Django's LOGGING (JSON lines), like the web process.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Domain events (core.events): the transactional outbox and its relay.
# EVENTS_RELAY_IN_PROCESS: relay events in the publishing process right after commit
# instead of enqueueing core.events.relay for a worker (the unit suite, one-off scripts).
EVENTS_RELAY_IN_PROCESS = env.bool("EVENTS_RELAY_IN_PROCESS", default=False)
# EVENTS_MAX_ATTEMPTS: deliveries tried before an event whose handler keeps failing is
# left FAILED (with the reason) in the admin's outbox page.
EVENTS_MAX_ATTEMPTS = env.int("EVENTS_MAX_ATTEMPTS", default=10)
# EVENTS_RETRY_BACKOFF_SECONDS / _MAX_SECONDS: the wait after a failed delivery doubles
# from the first to at most the second.
EVENTS_RETRY_BACKOFF_SECONDS = env.int("EVENTS_RETRY_BACKOFF_SECONDS", default=30)
EVENTS_RETRY_BACKOFF_MAX_SECONDS = env.int("EVENTS_RETRY_BACKOFF_MAX_SECONDS", default=3600)
# EVENTS_DONE_RETENTION_DAYS: delivered outbox rows are deleted by the sweep after this.
EVENTS_DONE_RETENTION_DAYS = env.int("EVENTS_DONE_RETENTION_DAYS", default=7)

# Background jobs (core.jobs): noticing a job whose worker vanished.
# JOBS_HEARTBEAT_SECONDS: how often a running tracked task refreshes its job's heartbeat.
JOBS_HEARTBEAT_SECONDS = env.float("JOBS_HEARTBEAT_SECONDS", default=30.0)
# JOBS_HEARTBEAT_TIMEOUT: a running job silent for longer lost its worker; the reaper
# (core.jobs.reap, every minute) enqueues it again or fails it with a reason.
JOBS_HEARTBEAT_TIMEOUT = env.float("JOBS_HEARTBEAT_TIMEOUT", default=180.0)
# JOBS_LOST_MAX_ATTEMPTS: attempts after which a job whose worker vanished is failed.
JOBS_LOST_MAX_ATTEMPTS = env.int("JOBS_LOST_MAX_ATTEMPTS", default=3)

# Workers report in (core.health): /readyz fails while none has.
# WORKER_HEARTBEAT_SECONDS: how often each worker writes its heartbeat to the database.
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=15.0)
# WORKER_HEARTBEAT_MAX_AGE: /readyz is 503 ("worker") when the newest heartbeat is older.
WORKER_HEARTBEAT_MAX_AGE = env.int("WORKER_HEARTBEAT_MAX_AGE", default=60)
# WORKER_LIVENESS_FILE: a file each worker's main loop touches every
# WORKER_LIVENESS_SECONDS (core.health.WorkerLiveness), for a liveness probe that restarts
# a worker whose loop stopped turning (deploy/k8s/worker-*.yaml). Unset: no file.
WORKER_LIVENESS_FILE = env.str("WORKER_LIVENESS_FILE", default="")
WORKER_LIVENESS_SECONDS = env.float("WORKER_LIVENESS_SECONDS", default=10.0)
