"""Watch-time revenue, the monthly payout batch, holds and the creator's statement."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from apps.billing.models import LedgerEntry, Payout, PayoutBatch, PayoutHold, WatchTime
from apps.billing.services import ledger, payouts
from core import events
from core.models import AuditEntry
from tests.accounts.factories import UserFactory
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db

LAST_MONTH = payouts.previous_month()
A_DAY = LAST_MONTH + dt.timedelta(days=4)


@pytest.fixture
def watch(eager):
    """``watch(viewer, creator, seconds, day=A_DAY, source="status:1")`` reports a running total
    as a lower app does, through the event bus."""

    def run(viewer, creator, seconds, *, day=A_DAY, source="status:1"):
        with eager():
            events.publish(
                events.WatchTimeRecorded(
                    viewer_id=viewer.pk,
                    creator_id=creator.pk,
                    source=source,
                    day=day.isoformat(),
                    seconds=seconds,
                )
            )

    return run


@pytest.fixture
def earning(stripe_fake, onboarded, watch):
    """``earning(creator, minutes)``: an onboarded creator watched for ``minutes`` last month
    by several viewers (each under the daily cap)."""

    def run(creator, minutes, *, onboard=True):
        if onboard:
            onboarded(creator)
        left = minutes * 60
        while left > 0:
            seconds = min(left, 3 * 3600)
            watch(UserFactory(), creator, seconds)
            left -= seconds

    return run


def test_watch_time_counts_running_totals_once_caps_a_day_and_skips_self_views(settings, watch):
    settings.BILLING_WATCH_CAP_SECONDS = 3600
    viewer, creator = UserFactory(), UserFactory()
    watch(viewer, creator, 600)
    watch(viewer, creator, 600)  # the same total, delivered again
    watch(viewer, creator, 300)  # an older total, late
    watch(viewer, creator, 900)
    watch(viewer, creator, 5000, source="live:3")  # another source: together at most the cap
    watch(creator, creator, 5000)  # the creator's own views
    rows = {row.source: row.seconds for row in WatchTime.objects.filter(creator=creator)}
    assert rows == {"status:1": 900, "live:3": 2700}


def test_watch_revenue_is_seconds_times_cpm_over_1000_over_60_times_share(settings):
    settings.BILLING_WATCH_CPM = 400
    settings.BILLING_WATCH_REVENUE_SHARE = 0.55
    assert ledger.watch_revenue(60 * 1000) == 220  # 1,000 minutes: 4.00 × 0.55
    assert ledger.watch_revenue(59) == 0  # never a fraction of a cent


def test_accrual_posts_each_day_once_and_late_reports_add_their_part(watch):
    viewer, creator = UserFactory(), UserFactory()
    watch(viewer, creator, 3 * 3600)
    assert ledger.watch_time_accrue(until=timezone.now().date()) == 1
    assert ledger.watch_time_accrue(until=timezone.now().date()) == 0
    watch(UserFactory(), creator, 3 * 3600)  # a late report for the same day
    ledger.watch_time_accrue(until=timezone.now().date())
    total = sum(
        LedgerEntry.objects.filter(creator=creator, kind="watch_time").values_list(
            "amount", flat=True
        )
    )
    assert total == ledger.watch_revenue(6 * 3600)


def test_a_batch_pays_each_creator_once_above_the_minimum(settings, stripe_fake, earning):
    settings.BILLING_PAYOUT_MINIMUM = 100
    rich, poor, unboarded = UserFactory(), UserFactory(), UserFactory()
    earning(rich, 1_000)  # 1,000 minutes: 2.20
    earning(poor, 100)  # 0.22: below the minimum
    earning(unboarded, 1_000, onboard=False)

    report = payouts.payout_batch_run()

    assert (report.paid, report.below_minimum, report.not_onboarded) == (1, 1, 1)
    [transfer] = stripe_fake.transfers()
    payout = Payout.objects.get(creator=rich)
    assert transfer["id"] == payout.stripe_transfer_id
    assert transfer["amount"] == payout.amount == 220
    assert transfer["transfer_group"] == f"agora-payout-{rich.pk}-{LAST_MONTH:%Y-%m}"
    assert ledger.balance(rich.pk) == 0
    assert ledger.balance(poor.pk) == 22
    assert PayoutBatch.objects.get().finished_at is not None

    again = payouts.payout_batch_run()
    assert again.paid == 0
    assert again.already_paid == 1
    assert len(stripe_fake.transfers()) == 1


def test_a_batch_killed_after_stripe_made_the_transfer_does_not_pay_twice(
    settings, stripe_fake, earning, stripe_client
):
    settings.BILLING_PAYOUT_MINIMUM = 100
    creator = UserFactory()
    earning(creator, 1_000)
    # the first run wrote its payout and Stripe made the transfer; then the worker died
    batch = PayoutBatch.objects.create(
        period=LAST_MONTH,
        cutoff=dt.datetime.combine(payouts.next_month(LAST_MONTH), dt.time.min, tzinfo=dt.UTC),
    )
    ledger.watch_time_accrue(until=batch.cutoff.date())
    key = payouts.payout_key(creator.pk, LAST_MONTH)
    payout = Payout.objects.create(
        batch=batch, creator=creator, amount=220, currency="eur", idempotency_key=key
    )
    made = stripe_client.v1.transfers.create(
        {
            "amount": 220,
            "currency": "eur",
            "destination": creator.billing_connect.stripe_id,
            "transfer_group": key,
        },
        {"idempotency_key": key},
    )

    payouts.payout_batch_run()

    payout.refresh_from_db()
    assert payout.state == "paid"
    assert payout.stripe_transfer_id == made.id
    assert len(stripe_fake.transfers()) == 1
    assert ledger.balance(creator.pk) == 0


def test_holds_skip_a_creator_and_say_why(
    api_client, token_for, settings, stripe_fake, earning, eager
):
    settings.BILLING_PAYOUT_MINIMUM = 100
    creator = UserFactory()
    earning(creator, 1_000)
    with eager():
        events.publish(
            events.AccountRestricted(account_id=creator.pk, restriction="suspended", reason="spam")
        )
    assert PayoutHold.objects.get(creator=creator).kind == "suspended"

    report = payouts.payout_batch_run()

    assert report.held == 1
    assert stripe_fake.transfers() == []
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(creator)}")

    with eager():
        events.publish(events.AccountRestricted(account_id=creator.pk, restriction="none"))
    assert not PayoutHold.objects.filter(creator=creator, released_at__isnull=True).exists()
    assert payouts.payout_batch_run().paid == 1


def test_a_suspension_that_lapsed_on_its_own_does_not_keep_the_hold(settings, stripe_fake, earning):
    settings.BILLING_PAYOUT_MINIMUM = 100
    creator = UserFactory()
    earning(creator, 1_000)
    PayoutHold.objects.create(
        creator=creator, kind="suspended", reason="Your account is suspended.", reference="standing"
    )
    assert payouts.payout_batch_run().paid == 1


def test_the_statement_traces_lines_to_ledger_entries_and_transfers(
    api_client, token_for, settings, stripe_fake, earning
):
    settings.BILLING_PAYOUT_MINIMUM = 100
    creator = UserFactory()
    earning(creator, 1_000)
    payouts.payout_batch_run()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(creator)}")

    last_month = api_client.get(
        "/api/agora/v1/billing/earnings", {"period": f"{LAST_MONTH:%Y-%m}"}
    ).json()
    this_month = api_client.get("/api/agora/v1/billing/earnings").json()
    lines = api_client.get("/api/agora/v1/billing/earnings/lines").json()

    assert last_month["totals"] == {"watch_time": 220}
    assert last_month["closing_balance"] == 220
    assert this_month["totals"] == {"payout": -220}
    assert this_month["balance"] == 0
    [payout_line] = lines
    payout = Payout.objects.get(creator=creator)
    assert payout_line["kind"] == "payout"
    assert payout_line["transfer"] == payout.stripe_transfer_id
    assert payout_line["id"] == str(LedgerEntry.objects.get(kind="payout").pk)
    assert this_month["payouts"][0]["transfer"] == payout.stripe_transfer_id
    for bad in ("2026", "2026-13", "x"):
        assert api_client.get("/api/agora/v1/billing/earnings", {"period": bad}).status_code == 422


def test_the_payout_command_reports_and_refuses_a_month_that_has_not_ended(
    settings, stripe_fake, earning
):
    settings.BILLING_PAYOUT_MINIMUM = 100
    earning(UserFactory(), 1_000)
    out = io.StringIO()
    call_command("billing_payouts", stdout=out)
    assert "1 paid (220 minor units)" in out.getvalue()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="has not ended"):
        call_command("billing_payouts", "--period", f"{timezone.now():%Y-%m}")
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("billing_payouts", "--period", "last")


def test_the_ledger_is_append_only(stripe_fake, earning):
    creator = UserFactory()
    earning(creator, 1000)
    ledger.watch_time_accrue(until=timezone.now().date())
    entry = LedgerEntry.objects.get()
    from apps.billing.models.ledger import AppendOnly

    entry.amount = 1_000_000
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()


def test_finance_exports_a_month_as_csv_and_it_is_audited(stripe_fake, earning, tmp_path):
    creator = UserFactory()
    earning(creator, 1_000)
    ledger.watch_time_accrue(until=timezone.now().date())
    client = verified_client(staff_member("finance"))
    response = client.get(
        reverse("admin:billing_ledgerentry_export"), {"period": f"{LAST_MONTH:%Y-%m}"}
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["creator_id"], r["kind"], r["amount"]) for r in rows] == [
        (str(creator.pk), "watch_time", "220")
    ]
    assert "username" not in rows[0]
    assert creator.username not in str(rows)
    assert AuditEntry.objects.filter(action="billing_exported").count() == 1
    path = tmp_path / "ledger.csv"
    call_command("billing_export", f"{LAST_MONTH:%Y-%m}", "--output", str(path))
    assert path.read_text().count("\n") == 2


def test_finance_releases_a_hold_with_a_reason_and_it_is_audited(db):
    creator = UserFactory()
    hold = PayoutHold.objects.create(
        creator=creator, kind="manual", reason="Checking a chargeback pattern."
    )
    client = verified_client(staff_member("finance"))
    changelist = reverse("admin:billing_payouthold_changelist")
    form = client.post(changelist, {"action": "release", "_selected_action": [hold.pk]})
    assert form.status_code == 200
    assert b"Reason" in form.content
    blank = client.post(
        changelist, {"action": "release", "_selected_action": [hold.pk], "apply": "1", "reason": ""}
    )
    assert blank.status_code == 200
    hold.refresh_from_db()
    assert hold.is_open
    done = client.post(
        changelist,
        {
            "action": "release",
            "_selected_action": [hold.pk],
            "apply": "1",
            "reason": "Pattern cleared.",
        },
    )
    assert done.status_code == 302
    hold.refresh_from_db()
    assert not hold.is_open
    assert hold.release_reason == "Pattern cleared."
    entry = AuditEntry.objects.get(action="payout_hold_released")
    assert entry.note == "Pattern cleared."


def test_finance_places_a_manual_hold_through_the_admin(db):
    creator = UserFactory()
    client = verified_client(staff_member("finance"))
    response = client.post(
        reverse("admin:billing_payouthold_add"),
        {"creator": creator.pk, "reason": "Tax form missing."},
    )
    assert response.status_code == 302
    hold = PayoutHold.objects.get(creator=creator)
    assert hold.kind == "manual"
    assert AuditEntry.objects.filter(action="payout_hold_placed").count() == 1


def test_a_players_heartbeats_reach_the_creators_watch_time(api_client, token_for, eager):
    from apps.feed import services as feed
    from apps.media.models import MediaAttachment, ProcessingState

    creator, viewer = UserFactory(), UserFactory()
    media = MediaAttachment.objects.create(
        account=creator,
        type="video",
        state=ProcessingState.READY,
        files={"mp4": "media/x/video.mp4", "poster": "media/x/poster.jpg"},
        meta={"duration": 120.0},
    )
    status = feed.status_create(author=creator, text="watch this", media_ids=[str(media.pk)])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(viewer)}")

    with eager():
        response = api_client.post(
            f"/api/agora/v1/statuses/{status.pk}/watch", {"seconds": 30}, format="json"
        )

    assert response.status_code == 200
    row = WatchTime.objects.get(creator=creator)
    assert (row.viewer_id, row.source, row.seconds) == (viewer.pk, f"status:{status.pk}", 30)
    assert row.day == timezone.now().date()


def test_suspending_an_account_that_never_earned_holds_nothing(eager):
    account = UserFactory()
    with eager():
        events.publish(events.AccountRestricted(account_id=account.pk, restriction="suspended"))
    assert not PayoutHold.objects.filter(creator=account).exists()
