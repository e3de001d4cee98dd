"""Base models shared by every app."""

from django.db import models

from core.ids import generate_id


class SnowflakeIdField(models.BigIntegerField):
    """A primary key filled with a time-ordered id from :func:`core.ids.generate_id`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("primary_key", True)
        kwargs.setdefault("default", generate_id)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        for key, value in (("primary_key", True), ("default", generate_id), ("editable", False)):
            if kwargs.get(key) == value:
                del kwargs[key]
        return name, path, args, kwargs


class TimestampedModel(models.Model):
    """Created and updated times for every row."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class PublicModel(TimestampedModel):
    """A model clients address by id: a time-ordered 64-bit id, sent as a string."""

    id = SnowflakeIdField()

    class Meta:
        abstract = True
