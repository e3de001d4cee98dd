"""Fixtures of the platform kernel's tests."""

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.celery import app as celery_app
from tests.accounts.factories import UserFactory


@pytest.fixture
def eager_celery(settings):
    """Celery runs tasks in the calling process and re-raises their exceptions."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def eager_celery_keeping_failures(eager_celery):
    """Eager Celery that records failures in the result and re-runs retries in place."""
    celery_app.conf.task_eager_propagates = False
    yield
    celery_app.conf.task_eager_propagates = True


def verified_client(user) -> Client:
    """A browser session signed in as ``user`` with a confirmed TOTP device (admin access)."""
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(superuser):
    """The back office, signed in as a superuser who passed two-factor authentication."""
    return verified_client(superuser)
