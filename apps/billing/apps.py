from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "apps.billing"
    label = "billing"
    verbose_name = "Billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.billing import handlers, metrics, readiness, stripe_api, tasks  # noqa: F401
        from apps.billing.grants import ROLE_GRANTS
        from apps.billing.services import entitlements_of
        from apps.billing.services.memberships import creators_of, membership_of
        from core import memberships
        from core.entitlements import set_provider
        from core.metrics import register_collector
        from core.roles import register_grants
        from core.schedules import register_schedulable

        stripe_api.configure_module()
        set_provider(entitlements_of)
        memberships.set_provider(membership_of, creators_of)
        handlers.connect()
        readiness.register()
        register_collector(metrics.collect)
        register_schedulable("billing.retry_events", description="retry failed Stripe events")
        register_schedulable("billing.dunning", description="lapse plans whose grace period ended")
        register_schedulable("billing.accrue_watch_time", description="post watch-time revenue")
        register_schedulable("billing.payout_batch", description="pay last month's creator payouts")
        register_grants(self.label, ROLE_GRANTS)
