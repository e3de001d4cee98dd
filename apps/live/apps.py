from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "apps.live"
    label = "live"
    verbose_name = "Live"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.live import handlers, metrics, readiness, standing
        from apps.live.grants import ROLE_GRANTS
        from core.metrics import register_collector
        from core.roles import register_grants
        from core.schedules import register_schedulable

        readiness.register()
        register_collector(metrics.collect)
        handlers.connect()
        standing.connect()
        register_grants(self.label, ROLE_GRANTS)
        register_schedulable(
            "live.viewer_counts", description="tell live streams' rooms their viewer counts"
        )
