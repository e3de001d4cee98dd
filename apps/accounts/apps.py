from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts import handlers
        from apps.accounts.grants import ROLE_GRANTS
        from core.roles import register_grants

        handlers.connect()
        register_grants(self.label, ROLE_GRANTS)
