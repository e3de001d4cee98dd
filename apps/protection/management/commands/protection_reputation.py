"""``manage.py protection_reputation (--account USER | --all)``: recompute trust scores now.

``--account`` takes a username or e-mail address, recomputes that account (audited, as
the admin's action is) and prints its score, level and components. ``--all`` runs the
periodic sweep now, printing progress after each batch (not audited: it is what the
scheduler does every hour).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.management.lookup import command_actor, user_by_username_or_email
from apps.protection.services import reputation as service


class Command(BaseCommand):
    help = "Recompute one account's trust score (--account USER) or every account's (--all)."

    def add_arguments(self, parser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--account", help="Username or e-mail address of one account.")
        target.add_argument("--all", action="store_true", help="Every active account.")
        parser.add_argument(
            "--batch-size", type=int, default=service.SWEEP_BATCH, help="Accounts per transaction."
        )

    def handle(self, *args, account: str | None, all: bool, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        if account is not None:
            self._one(account)
            return
        changed = service.reputations_sweep(
            reason="manage.py", batch_size=batch_size, progress=self._progress
        )
        self.stdout.write(self.style.SUCCESS(f"{changed} scores changed."))

    def _one(self, identifier: str) -> None:
        user = user_by_username_or_email(identifier)
        row = service.reputation_recompute(
            account_id=user.pk, reason="manage.py", actor=command_actor()
        )
        if row is None:
            trust = service.trust_many([user.pk])[user.pk]
            self.stdout.write(
                f"{user.username}: {trust.score:.2f} ({trust.level}), from its age alone"
            )
            return
        self.stdout.write(f"{user.username}: {row.score:.2f} ({row.level})")
        self.stdout.write(json.dumps(row.components, sort_keys=True))

    def _progress(self, done: int, total: int) -> None:
        self.stdout.write(f"{done}/{total} accounts")
