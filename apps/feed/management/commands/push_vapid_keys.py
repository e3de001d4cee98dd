"""``manage.py push_vapid_keys``: make the server's VAPID key pair for Web Push.

Prints the two environment lines to set (``VAPID_PRIVATE_KEY=...`` and
``VAPID_PUBLIC_KEY=...``) on standard output, everything else on standard error, so
``manage.py push_vapid_keys >> .env`` records them. Keys already configured are kept:
the command checks they are a pair and stops; ``--force`` prints a new pair anyway
(every app then has to subscribe again, as their subscriptions name the old key).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core import push


class Command(BaseCommand):
    help = "Generate a VAPID key pair for Web Push and print the environment lines to set."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="print a new pair even though keys are configured (apps must subscribe again)",
        )

    def handle(self, *args, force: bool = False, **options):
        private, public = settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY
        if (private or public) and not force:
            if not (private and public):
                raise CommandError(
                    "Only one of VAPID_PRIVATE_KEY and VAPID_PUBLIC_KEY is set: set both, or "
                    "unset both and run this command again (--force prints a new pair)."
                )
            if push.public_key_of(private) != public:
                raise CommandError(
                    "VAPID_PUBLIC_KEY is not the public key of VAPID_PRIVATE_KEY: push "
                    "deliveries would be refused. Fix the environment, or run with --force "
                    "for a new pair (apps must then subscribe again)."
                )
            self.stderr.write(
                "VAPID keys are already configured and form a pair; nothing generated "
                "(--force prints a new pair, and apps must then subscribe again)."
            )
            return
        new_private, new_public = push.generate_vapid_keys()
        if force and (private or public):
            self.stderr.write(
                self.style.WARNING(
                    "Replacing configured keys: every existing push subscription stops working "
                    "until its app subscribes again."
                )
            )
        self.stderr.write("Set these in the environment of the web processes and the workers:")
        self.stdout.write(f"VAPID_PRIVATE_KEY={new_private}")
        self.stdout.write(f"VAPID_PUBLIC_KEY={new_public}")
