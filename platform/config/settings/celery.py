"""Celery: a file broker under var/ by default, Redis in production."""

from .cache import REDIS_URL
from .environment import VAR_DIR, env

# CELERY_BROKER_URL: the task broker. Unset: REDIS_URL if set, otherwise Kombu's
# filesystem transport under var/celery, which needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://localhost//")
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {}
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
# CELERY_TASK_ALWAYS_EAGER: run tasks in the calling process (tests and one-off scripts).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Workers and beat log through Django's LOGGING (JSON lines), like the web process.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
