from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "apps.media"
    label = "media"
    verbose_name = "Media"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.media import handlers, readiness, tasks  # noqa: F401 (registers the tasks)

        handlers.connect()
        readiness.register()
