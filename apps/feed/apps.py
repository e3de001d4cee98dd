from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "apps.feed"
    label = "feed"
    verbose_name = "Feed"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.feed import handlers, ranking_tasks  # noqa: F401 (registers the Celery task)

        handlers.connect()
