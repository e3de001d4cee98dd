"""``manage.py otp_enroll USER``: set up two-factor sign-in (TOTP) for an account."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.management.lookup import command_actor, user_by_username_or_email
from apps.accounts.management.otp import has_totp_device, qr_code_text, totp_enrol


class Command(BaseCommand):
    help = (
        "Create a TOTP device for an account and print its otpauth:// URI (and a QR code) "
        "for an authenticator app; optionally static backup codes. Staff need one to sign "
        "in to the admin."
    )

    def add_arguments(self, parser):
        parser.add_argument("user", help="username or e-mail address")
        parser.add_argument(
            "--backup-codes",
            type=int,
            default=0,
            metavar="N",
            help="also create N single-use backup codes (default: none)",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete the account's existing devices first (a lost phone)",
        )
        parser.add_argument("--no-qr", action="store_true", help="do not draw the QR code")

    def handle(self, *args, user: str, backup_codes: int, replace: bool, no_qr: bool, **options):
        if not 0 <= backup_codes <= 20:
            raise CommandError("--backup-codes must be between 0 and 20.")
        account = user_by_username_or_email(user)
        if has_totp_device(account) and not replace:
            raise CommandError(
                f"{account.username} already has a TOTP device; pass --replace to replace it "
                "(the old one stops working)."
            )

        enrolment = totp_enrol(
            user=account, backup_codes=backup_codes, replace=replace, actor=command_actor()
        )

        self.stdout.write(self.style.SUCCESS(f"Two-factor device created for {account.username}."))
        self.stdout.write("Add it to an authenticator app with this URI (or scan the QR code):")
        self.stdout.write(f"  {enrolment.config_url}")
        self.stdout.write(f"  secret: {enrolment.secret}")
        if not no_qr:
            self.stdout.write(qr_code_text(enrolment.config_url))
        if enrolment.backup_codes:
            self.stdout.write("Backup codes (each works once; keep them somewhere safe):")
            self.stdout.write("  " + " ".join(enrolment.backup_codes))
        self.stdout.write("These are shown only now.")
