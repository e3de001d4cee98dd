from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.accounts import handlers, metrics, standing
        from apps.accounts.grants import ROLE_GRANTS
        from core.roles import register_grants

        handlers.connect()
        standing.connect()
        metrics.connect()
        self._forget_emojis_on_change()
        register_grants(self.label, ROLE_GRANTS)

    def _forget_emojis_on_change(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from apps.accounts.models import CustomEmoji
        from apps.accounts.selectors import forget_custom_emojis

        for signal in (post_save, post_delete):
            signal.connect(
                forget_custom_emojis, sender=CustomEmoji, dispatch_uid=f"emojis-{signal}"
            )
