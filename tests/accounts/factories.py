"""Factories for accounts and OAuth objects."""

from datetime import timedelta

import factory
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

from apps.accounts.models import User

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    display_name = factory.LazyAttribute(lambda o: o.username.title())
    # Signed in lately, as an account using the API is (core.authentication records API use
    # in last_login at most once a day), so a request costs its steady-state queries.
    last_login = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_application_model()

    name = factory.Sequence(lambda n: f"Client {n}")
    client_type = "confidential"
    authorization_grant_type = "authorization-code"
    redirect_uris = "urn:ietf:wg:oauth:2.0:oob"
    scopes = "read write follow push"


class AccessTokenFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_access_token_model()

    user = factory.SubFactory(UserFactory)
    application = factory.SubFactory(ApplicationFactory)
    token = factory.Sequence(lambda n: f"test-token-{n:08d}")
    scope = "read write follow push"
    expires = factory.LazyFunction(lambda: timezone.now() + timedelta(days=1))
