"""Create the back-office role groups with their permissions (see core.roles)."""

from django.db import migrations


def create_roles(apps, schema_editor):
    from core.roles import sync_roles

    sync_roles(apps=apps, using=schema_editor.connection.alias)


def remove_roles(apps, schema_editor):
    from core.roles import ROLES

    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=list(ROLES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        # The apps whose permissions the roles hold, so their models are in this state.
        ("waffle", "__latest__"),
        ("django_celery_beat", "__latest__"),
        ("axes", "__latest__"),
        ("djstripe", "__latest__"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
