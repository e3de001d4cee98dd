"""``manage.py seed_demo``: the demo accounts ``make run`` signs in with.

Idempotent: accounts that exist are left alone and their secrets are not shown
again (they were printed once, when created). Every password, TOTP secret and
backup code is random per database. Refuses to run with ``DEBUG`` off unless
``--force``, so it never seeds a production database by accident.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse

from apps.accounts.management.lookup import command_actor
from apps.accounts.management.otp import has_totp_device, totp_enrol
from apps.accounts.services import account_register
from core import events
from core.base_url import absolute_url
from core.roles import role_grant, role_names

if TYPE_CHECKING:
    from apps.accounts.models import User

DEMO_USERS = ("alice", "bob")
SUPERUSER = "admin"
BACKUP_CODES = 5


@dataclass
class DemoLogin:
    """What to print about one demo account."""

    username: str
    description: str
    created: bool
    password: str = ""
    otp_uri: str = ""
    otp_secret: str = ""
    backup_codes: tuple[str, ...] = field(default_factory=tuple)


def _demo_email(username: str) -> str:
    return f"{username}@demo.agora.localhost"


def _new_password(account: User) -> str:
    """A random password that the password validators accept for this account.

    A random draw is now and then "too similar" to a part of the account's email (about
    one draw in 200,000 against "localhost"), so draw again until one passes.
    """
    for _attempt in range(10):
        password = secrets.token_urlsafe(12)
        try:
            password_validation.validate_password(password, user=account)
        except ValidationError:
            continue
        return password
    raise CommandError(f"No random password passed the password validators for {account}.")


class Command(BaseCommand):
    help = (
        "Create the demo accounts (users alice and bob, an admin superuser and one staff "
        "account per role, each with two-factor) and print their logins. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even though DEBUG is off (never in production)",
        )

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to create demo accounts with DEBUG off: this looks like a production "
                "database. Pass --force if you really mean it."
            )
        actor = command_actor()
        logins = [self._user(username) for username in DEMO_USERS]
        logins.append(self._staff(SUPERUSER, role=None, actor=actor))
        logins.extend(self._staff(role, role=role, actor=actor) for role in role_names())
        self._print(logins)

    @transaction.atomic
    def _account(self, username: str, *, is_staff: bool) -> tuple[User, str]:
        """The account, and its new password ("" when it already existed).

        Users sign up through the public registration service; staff accounts are
        made directly, since their names (admin, moderator, ...) are reserved from
        sign-up precisely so that only the platform has them.
        """
        model = get_user_model()
        existing = model._default_manager.filter(username__iexact=username).first()
        if existing is not None:
            return existing, ""
        account = model(username=username, email=_demo_email(username), is_staff=is_staff)
        password = _new_password(account)
        if not is_staff:
            account = account_register(
                username=username, email=_demo_email(username), password=password, agreement=True
            )
            return account, password
        account.set_password(password)
        account.full_clean()
        account.save()
        events.publish(events.AccountCreated(account_id=account.pk))
        return account, password

    def _user(self, username: str) -> DemoLogin:
        account, password = self._account(username, is_staff=False)
        return DemoLogin(account.username, "user", created=bool(password), password=password)

    @transaction.atomic
    def _staff(self, username: str, *, role: str | None, actor: str) -> DemoLogin:
        account, password = self._account(username, is_staff=True)
        if role is None:
            if not (account.is_superuser and account.is_staff):
                account.is_superuser = account.is_staff = True
                account.save(update_fields=["is_superuser", "is_staff"])
            description = "superuser"
        else:
            role_grant(user=account, role=role, actor=actor)
            description = f"staff, role {role}"
        login = DemoLogin(account.username, description, created=bool(password), password=password)
        if not has_totp_device(account):
            enrolment = totp_enrol(
                user=account, backup_codes=BACKUP_CODES, replace=True, actor=actor
            )
            login.otp_uri = enrolment.config_url
            login.otp_secret = enrolment.secret
            login.backup_codes = enrolment.backup_codes
        return login

    def _print(self, logins: list[DemoLogin]) -> None:
        write = self.stdout.write
        write(self.style.MIGRATE_HEADING("Agora demo logins"))
        write(
            f"  Admin (staff sign in with password + two-factor code): {absolute_url(reverse('admin:index'))}"
        )
        write("  API users sign in through an OAuth client (POST /api/v1/apps, /oauth/token).")
        for login in logins:
            write("")
            write(self.style.SUCCESS(f"  {login.username}") + f"  ({login.description})")
            if login.created:
                write(f"    password:     {login.password}")
            else:
                write("    password:     exists; shown only when it was created")
            if login.otp_uri:
                write(f"    TOTP secret:  {login.otp_secret}")
                write(f"    otpauth URI:  {login.otp_uri}")
                write(f"    backup codes: {' '.join(login.backup_codes)}")
            elif login.description != "user":
                write("    two-factor:   enrolled; secret shown only when it was created")
        write("")
        write(
            "  At the admin login, enter the password, choose the device "
            "('authenticator app' or 'backup codes') and its code."
        )
        write("  Lost them? manage.py changepassword USER; manage.py otp_enroll USER --replace")
