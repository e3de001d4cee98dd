"""``manage.py billing_payouts [--period YYYY-MM]``: pay (or finish paying) a month's batch."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from apps.billing import services
from core.errors import PlatformError


def _month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").replace(tzinfo=dt.UTC).date()
    except ValueError:
        raise CommandError(f"--period must be a month, YYYY-MM (got {value!r})") from None


class Command(BaseCommand):
    help = "Pay each creator's balance for a month as one Stripe Transfer (safe to run again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--period", type=_month, help="The month to pay, YYYY-MM (default: last month)."
        )

    def handle(self, *args, period: dt.date | None = None, **options) -> None:
        verbosity = options["verbosity"]

        def progress(done: int, total: int) -> None:
            if verbosity and (done == total or done % 100 == 0):
                self.stdout.write(f"  {done}/{total} creators")

        try:
            report = services.payout_batch_run(period=period, progress=progress)
        except (PlatformError, ValueError) as error:
            raise CommandError(getattr(error, "message", None) or str(error)) from None
        self.stdout.write(
            f"Batch {report.period:%Y-%m}: {report.paid} paid ({report.amount} minor units), "
            f"{report.already_paid} already paid, {report.held} held, {report.not_onboarded} without payouts set up, "
            f"{report.below_minimum} below the minimum, {report.failed} failed, {report.pending} left pending."
        )
        for line in report.errors:
            self.stderr.write(f"  {line}")
        if report.pending:
            raise CommandError(
                f"{report.pending} payouts are still pending: run the command again."
            )
