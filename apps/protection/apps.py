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
        from apps.protection import handlers, reputation
        from apps.protection.grants import ROLE_GRANTS
        from core.roles import register_grants

        register_grants(self.label, ROLE_GRANTS)
        handlers.connect()
        reputation.connect()
