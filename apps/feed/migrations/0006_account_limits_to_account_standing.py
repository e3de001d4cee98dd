"""The feed's AccountLimit rows become the accounts app's standing, then the model goes.

limit -> limited, suspend -> suspended, disable -> disabled, with the reason and
``until`` kept and moderation as the source. Accounts owns the standing from here on.
"""

from django.db import migrations

STANDING_OF = {"limit": "limited", "suspend": "suspended", "disable": "disabled"}


def limits_to_standing(apps, schema_editor):
    AccountLimit = apps.get_model("feed", "AccountLimit")
    User = apps.get_model("accounts", "User")
    for limit in AccountLimit.objects.iterator():
        standing = STANDING_OF.get(limit.restriction)
        if standing is None:
            continue
        User.objects.filter(pk=limit.account_id).update(
            standing=standing,
            standing_reason=limit.reason[:500],
            standing_source="moderation",
            standing_until=limit.until,
            standing_changed_at=limit.updated_at,
        )


def standing_to_limits(apps, schema_editor):
    AccountLimit = apps.get_model("feed", "AccountLimit")
    User = apps.get_model("accounts", "User")
    restriction_of = {standing: restriction for restriction, standing in STANDING_OF.items()}
    for account in User.objects.exclude(standing="none").iterator():
        AccountLimit.objects.update_or_create(
            account_id=account.pk,
            defaults={
                "restriction": restriction_of[account.standing],
                "reason": account.standing_reason,
                "until": account.standing_until,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_account_standing"),
        ("feed", "0005_markers"),
    ]

    operations = [
        migrations.RunPython(limits_to_standing, standing_to_limits, elidable=True),
        migrations.DeleteModel(name="AccountLimit"),
    ]
