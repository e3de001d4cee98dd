from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    """Keeps people safe from each other before a moderator steps in.

    Pile-on detection and the shield, link and lookalike safety (it fills
    ``core.checks``), reputation (it fills ``core.reputation``) and the account
    standing page (it reads ``core.standing``).
    """

    name = "apps.protection"
    label = "protection"
    verbose_name = "Protection"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.protection import handlers, reputation, tasks  # noqa: F401 (tasks: register)
        from apps.protection.grants import ROLE_GRANTS
        from apps.protection.links.verdict import link_check
        from apps.protection.services.lookalikes import lookalike_check
        from core import checks
        from core.roles import register_grants
        from core.schedules import register_schedulable

        register_grants(self.label, ROLE_GRANTS)
        handlers.connect()
        register_schedulable(
            "protection.shields_expire",
            description="lower the shields whose time ran out, with their recap",
        )
        checks.register(link_check)
        checks.register_name_checker(lookalike_check)
        reputation.connect()
