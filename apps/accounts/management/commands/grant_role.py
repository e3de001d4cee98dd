"""``manage.py grant_role USER ROLE``: give a staff role (see core.roles)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django_otp import devices_for_user

from apps.accounts.management.lookup import command_actor, user_by_username_or_email
from core.roles import UnknownRole, check_role, role_grant, role_names


class Command(BaseCommand):
    help = "Give an account a back-office role (" + ", ".join(role_names()) + ") and make it staff."

    def add_arguments(self, parser):
        parser.add_argument("user", help="username or e-mail address")
        parser.add_argument("role", help="one of: " + ", ".join(role_names()))

    def handle(self, *args, user: str, role: str, **options):
        try:
            check_role(role)
        except UnknownRole as error:
            raise CommandError(str(error)) from error
        account = user_by_username_or_email(user)
        change = role_grant(user=account, role=role, actor=command_actor())

        if change.membership_changed:
            self.stdout.write(self.style.SUCCESS(f"Granted role {role} to {account.username}."))
        else:
            self.stdout.write(f"{account.username} already has role {role}; nothing changed.")
        if change.staff_changed:
            self.stdout.write(f"{account.username} is now staff.")
        if not any(devices_for_user(account, confirmed=True)):
            self.stdout.write(
                self.style.WARNING(
                    f"{account.username} has no two-factor device and cannot sign in to the "
                    f"admin until one is enrolled: manage.py otp_enroll {account.username}"
                )
            )
