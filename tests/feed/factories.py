"""Factories for the social core."""

import factory

from apps.feed.models import Follow, Status, Visibility
from tests.accounts.factories import UserFactory


class StatusFactory(factory.django.DjangoModelFactory):
    """A status written straight to the table (for read tests; writes go through the API)."""

    class Meta:
        model = Status

    account = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"status number {n}")
    content = factory.LazyAttribute(lambda o: f"<p>{o.text}</p>")
    visibility = Visibility.PUBLIC


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Follow

    account = factory.SubFactory(UserFactory)
    target = factory.SubFactory(UserFactory)
