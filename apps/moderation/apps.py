from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "apps.moderation"
    label = "moderation"
    verbose_name = "Moderation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.moderation import handlers, readiness, standing
        from apps.moderation.case_access import CaseAccess
        from apps.moderation.grants import ROLE_GRANTS
        from core import case_access, rules
        from core.roles import register_grants
        from core.schedules import register_schedulable

        handlers.connect()
        readiness.register()
        standing.connect()
        rules.set_provider(server_rules)
        case_access.set_provider(CaseAccess())
        register_schedulable("moderation.strikes.expire", description="expire strikes")
        register_schedulable(
            "moderation.assess.sweep",
            description="assess what a lost drain left pending",
        )
        register_grants(self.label, ROLE_GRANTS)


def server_rules() -> list[dict[str, str]]:
    """The server rules as Mastodon's Rule entities, for the instance entity (core.rules)."""
    from apps.moderation import selectors
    from apps.moderation.api.serializers import RuleSerializer

    return list(RuleSerializer(selectors.rules_list(), many=True).data)
