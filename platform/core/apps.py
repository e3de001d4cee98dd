from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from core import (
            admin_beat,  # noqa: F401 (the periodic-task page, schedulable tasks only)
            converters,
            metrics,
        )
        from core.roles import sync_roles_after_migrate
        from core.schedules import register_schedulable

        converters.register()
        metrics.connect()
        post_migrate.connect(sync_roles_after_migrate, sender=self, dispatch_uid="core.sync_roles")
        register_schedulable("core.events.sweep", description="relay events left in the outbox")
        register_schedulable(
            "core.jobs.reap", description="retry or fail jobs whose worker vanished"
        )
