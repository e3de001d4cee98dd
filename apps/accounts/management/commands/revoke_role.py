"""``manage.py revoke_role USER ROLE``: take a staff role away (see core.roles)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.management.lookup import command_actor, user_by_username_or_email
from core.roles import UnknownRole, check_role, role_names, role_revoke


class Command(BaseCommand):
    help = (
        "Take a back-office role ("
        + ", ".join(role_names())
        + ") from an account; without roles left it stops being staff (superusers excepted)."
    )

    def add_arguments(self, parser):
        parser.add_argument("user", help="username or e-mail address")
        parser.add_argument("role", help="one of: " + ", ".join(role_names()))

    def handle(self, *args, user: str, role: str, **options):
        try:
            check_role(role)
        except UnknownRole as error:
            raise CommandError(str(error)) from error
        account = user_by_username_or_email(user)
        change = role_revoke(user=account, role=role, actor=command_actor())

        if change.membership_changed:
            self.stdout.write(self.style.SUCCESS(f"Revoked role {role} from {account.username}."))
        else:
            self.stdout.write(f"{account.username} does not have role {role}; nothing changed.")
        if change.staff_changed:
            self.stdout.write(f"{account.username} has no role left and is no longer staff.")
