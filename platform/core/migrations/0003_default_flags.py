"""Create the platform's default feature flags (names in core.flags).

The rollouts are written out here rather than imported, so this migration keeps
meaning what it meant when it ran. A rollout of 100% is waffle's everyone=True
(Flag.percent holds at most 99.9). Existing flags are left as operators set them.
"""

from decimal import Decimal

from django.db import migrations

DEFAULT_FLAGS = [
    ("ai_moderation", 100, "Automated classifiers score new content before it is shown."),
    ("human_review_queue", 100, "Flagged content goes to the moderators' review queue."),
    ("appeals", 50, "Users may appeal a moderation decision; half of users see it."),
    ("community_jury_voting", 10, "Trusted members vote on appeals; trialled with 10% of users."),
    ("link_safety_scanning", 100, "Links in posts and chat are checked against blocklists."),
    ("scam_detection", 80, "Scam heuristics on messages and profiles; 80% while tuned."),
]


def create_flags(apps, schema_editor):
    Flag = apps.get_model("waffle", "Flag")
    db = schema_editor.connection.alias
    for name, percent, note in DEFAULT_FLAGS:
        if percent >= 100:
            defaults = {"everyone": True, "percent": None}
        else:
            defaults = {"everyone": None, "percent": Decimal(percent)}
        Flag.objects.using(db).get_or_create(name=name, defaults={**defaults, "note": note})


def remove_flags(apps, schema_editor):
    Flag = apps.get_model("waffle", "Flag")
    names = [name for name, _percent, _note in DEFAULT_FLAGS]
    Flag.objects.using(schema_editor.connection.alias).filter(name__in=names).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_roles"),
        ("waffle", "__latest__"),
    ]

    operations = [migrations.RunPython(create_flags, remove_flags)]
