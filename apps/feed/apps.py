from django.apps import AppConfig


class FeedConfig(AppConfig):
    name = "apps.feed"
    label = "feed"
    verbose_name = "Feed"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.feed import (  # noqa: F401 (registers tasks)
            handlers,
            poll_tasks,
            push_tasks,
            ranking_tasks,
            standing,
        )
        from apps.feed.grants import ROLE_GRANTS
        from core.roles import register_grants
        from core.schedules import register_schedulable

        handlers.connect()
        standing.connect()
        register_schedulable(
            "feed.scheduled_statuses.publish",
            description="publish scheduled statuses that are due",
        )
        register_schedulable("feed.ranking.train", description="retrain the feed ranking")
        register_schedulable(
            "feed.polls_expire_due", description="notify the end of polls that have ended"
        )
        register_grants(self.label, ROLE_GRANTS)
        self._forget_filters_on_change()

    def _forget_filters_on_change(self) -> None:
        """A viewer's filters are cached (apps.feed.selectors.filters): any change drops them."""
        from django.db.models.signals import post_delete, post_save

        from apps.feed.models import Filter, FilterKeyword, FilterStatus
        from apps.feed.selectors.filters import forget_active_filters

        for model in (Filter, FilterKeyword, FilterStatus):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget_active_filters,
                    sender=model,
                    dispatch_uid=f"filters-{model.__name__}-{signal}",
                )
