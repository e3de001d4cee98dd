"""Notifications get Mastodon 4.3's ``group_key``; existing ones are grouped as new ones are.

Favourites and reblogs of one status, and follows, join the recipient's latest
group of the same kind while it spans less than 12 hours (in order of creation);
every other notification is ``ungrouped-<id>``.
"""

from django.conf import settings
from django.db import migrations, models

GROUPABLE_TYPES = ("favourite", "reblog", "follow")
MAXIMUM_GROUP_SPAN_HOURS = 12
BATCH = 1000


def backfill_group_keys(apps, schema_editor):
    Notification = apps.get_model("feed", "Notification")
    # (recipient, prefix) -> (hour the latest group began, hour of its latest notification)
    latest: dict[tuple[int, str], tuple[int, int]] = {}
    rows = Notification.objects.order_by("id").only(
        "id", "account_id", "type", "status_id", "created_at"
    )
    after = None
    while True:
        # Batches by id, not one open cursor: the loop writes to the table it reads.
        batch = list((rows if after is None else rows.filter(id__gt=after))[:BATCH])
        if not batch:
            return
        for notification in batch:
            notification.group_key = _group_key(notification, latest)
        Notification.objects.bulk_update(batch, ["group_key"])
        after = batch[-1].pk


def _group_key(notification, latest) -> str:
    if notification.type == "follow":
        prefix = "follow"
    elif notification.type in GROUPABLE_TYPES and notification.status_id is not None:
        prefix = f"{notification.type}-{notification.status_id}"
    else:
        return f"ungrouped-{notification.pk}"
    hour = int(notification.created_at.timestamp()) // 3600
    began, last = latest.get((notification.account_id, prefix), (None, None))
    # A new group when there is none yet, the last one went quiet for the span (Mastodon's
    # Redis key expired), or it began a span ago.
    if began is None or hour - last >= MAXIMUM_GROUP_SPAN_HOURS:
        began = hour
    elif hour >= began + MAXIMUM_GROUP_SPAN_HOURS:
        began = hour
    latest[(notification.account_id, prefix)] = (began, hour)
    return f"{prefix}-{began}"


class Migration(migrations.Migration):
    dependencies = [
        ("feed", "0010_accounts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="group_key",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(backfill_group_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="notification",
            index=models.Index(
                fields=["account", "group_key", "-id"], name="feed_notification_group"
            ),
        ),
    ]
