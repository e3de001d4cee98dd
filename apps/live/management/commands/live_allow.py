"""``manage.py live_allow USER [--revoke]``: let an account go live without a paid plan."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.accounts.management.lookup import command_actor, user_by_username_or_email
from apps.live import services


class Command(BaseCommand):
    help = (
        "Allow an account to go live whatever its plan (an instance without billing needs "
        "this); --revoke takes the allowance back."
    )

    def add_arguments(self, parser):
        parser.add_argument("user", help="username or e-mail address")
        parser.add_argument("--revoke", action="store_true", help="take the allowance back instead")

    def handle(self, *args, user: str, revoke: bool, **options):
        account = user_by_username_or_email(user)
        actor = command_actor()
        if revoke:
            if services.live_revoke(account=account, actor=actor):
                self.stdout.write(
                    self.style.SUCCESS(f"{account.username} may no longer go live without a plan.")
                )
            else:
                self.stdout.write(f"{account.username} had no allowance; nothing changed.")
            return
        _allowance, created = services.live_allow(account=account, actor=actor)
        if created:
            self.stdout.write(self.style.SUCCESS(f"{account.username} may now go live."))
        else:
            self.stdout.write(f"{account.username} may already go live; nothing changed.")
        if not account.is_able_to_act:
            self.stdout.write(
                self.style.WARNING(
                    f"{account.username} is suspended or disabled: refused until that ends."
                )
            )
