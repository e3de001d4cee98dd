from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "apps.media"
    label = "media"
    verbose_name = "Media"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.media import handlers, metrics, readiness, tasks  # noqa: F401 (tasks)
        from apps.media.grants import ROLE_GRANTS
        from core.metrics import register_collector
        from core.roles import register_grants
        from core.schedules import register_schedulable

        handlers.connect()
        readiness.register()
        register_collector(metrics.collect)
        register_schedulable("media.remove_unattached", description="remove unattached media")
        register_schedulable("media.uploads.expire", description="expire abandoned uploads")
        register_grants(self.label, ROLE_GRANTS)
