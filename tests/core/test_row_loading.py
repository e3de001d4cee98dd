"""Models loaded by filling each instance's columns at once (``core.models.RowLoading``)
are the instances Django's own ``from_db`` builds, and Django builds them where that
could differ."""

import pytest
from django.apps import apps
from django.apps.registry import Apps
from django.db import models
from django.db.models.signals import post_init

from apps.feed.models import Status
from core.models import RowLoading, _direct_attnames
from tests.feed.factories import StatusFactory

LOADED_DIRECTLY = sorted(
    (model for model in apps.get_models() if issubclass(model, RowLoading)),
    key=lambda model: model._meta.label,
)


def django_from_db(model, db, field_names, values):
    """The instance Django's ``Model.from_db`` builds (through ``Model.__init__``)."""
    return models.Model.from_db.__func__(model, db, field_names, values)


def columns(instance) -> dict:
    return {name: value for name, value in vars(instance).items() if name != "_state"}


def test_the_hot_models_load_directly():
    labels = {model._meta.label for model in LOADED_DIRECTLY}
    assert {"accounts.User", "feed.Status", "feed.Notification", "feed.Poll"} <= labels
    assert all(_direct_attnames(model) is not None for model in LOADED_DIRECTLY)


@pytest.mark.parametrize("model", LOADED_DIRECTLY, ids=lambda model: model._meta.label)
def test_a_full_row_makes_the_instance_django_makes(model):
    # Given a value for every column, each one its own, in row order
    names = [field.attname for field in model._meta.concrete_fields]
    values = [f"value of {name}" for name in names]

    # When both load it
    loaded = model.from_db("replica", names, values)
    expected = django_from_db(model, "replica", names, values)

    # Then the instances hold the same columns, loaded from the same database
    assert type(loaded) is model
    assert columns(loaded) == columns(expected)
    assert list(columns(loaded)) == list(columns(expected))
    assert (loaded._state.adding, loaded._state.db) == (False, "replica")
    assert loaded._state.fields_cache == {}
    assert loaded.get_deferred_fields() == set()


def test_a_row_read_from_the_database_is_the_same_instance_as_djangos(db):
    # Given a status, read with its account
    status = StatusFactory()
    query = Status.objects.select_related("account").filter(pk=status.pk)

    # When it is read
    loaded = query.get()

    # Then it equals what Django's own loading makes of the same row, and behaves as one
    names = [field.attname for field in Status._meta.concrete_fields]
    row = Status.objects.filter(pk=status.pk).values_list(*names).get()
    assert columns(loaded) == columns(django_from_db(Status, "default", names, row))
    assert loaded.account == status.account
    loaded.text = "edited"
    loaded.save(update_fields=["text"])
    assert Status.objects.get(pk=status.pk).text == "edited"


def test_a_row_of_some_columns_is_loaded_by_django_with_the_rest_deferred(db):
    status = StatusFactory(text="kept")

    loaded = Status.objects.only("id", "account").get(pk=status.pk)

    assert "text" in loaded.get_deferred_fields()
    assert loaded.text == "kept"  # read when first asked for


def test_a_model_listened_to_at_init_is_loaded_by_django(db):
    # Given a receiver of post_init for statuses
    status = StatusFactory()
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance.pk)

    post_init.connect(receiver, sender=Status)
    try:
        # When a status is read, it is told
        Status.objects.get(pk=status.pk)
    finally:
        post_init.disconnect(receiver, sender=Status)

    assert seen == [status.pk]


def model_with_a_name(class_name: str, **members) -> type[RowLoading]:
    """A model loading as RowLoading does, with a ``name`` column and ``members``, kept out
    of the project's registry."""
    meta = type("Meta", (), {"app_label": "row_loading", "apps": Apps()})
    return type(
        class_name,
        (RowLoading,),
        {
            "__module__": __name__,
            "Meta": meta,
            "name": models.CharField(max_length=10),
            "__str__": lambda self: self.name,
            **members,
        },
    )


def test_a_model_whose_column_does_more_when_set_is_loaded_by_django():
    # Given a model whose column's attribute stores the value transformed
    class Upper:
        def __get__(self, instance, owner=None):
            return self if instance is None else instance.__dict__["name"]

        def __set__(self, instance, value):
            instance.__dict__["name"] = value.upper()

    shouting = model_with_a_name("Shouting")
    shouting.name = Upper()

    # When a row of it is loaded, Django's loading builds it, through the attribute
    assert _direct_attnames(shouting) is None
    assert shouting.from_db("default", ["id", "name"], [1, "quiet"]).name == "QUIET"


def test_a_model_with_its_own_init_is_loaded_by_django():
    def __init__(self, *args, **kwargs):
        models.Model.__init__(self, *args, **kwargs)
        self.built_by_init = True

    counted = model_with_a_name("Counted", __init__=__init__)

    assert _direct_attnames(counted) is None
    assert counted.from_db("default", ["id", "name"], [1, "a"]).built_by_init
