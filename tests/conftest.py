"""Fixtures every suite may use."""

from pathlib import Path

import pytest

from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.api_client import APIClient


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing(django_test_environment):
    """Passwords hashed with MD5 in tests, as Django's testing docs advise.

    Argon2 costs about 0.1 s a hash by design, and most tests create accounts: it was a
    large share of the suite's time. Argon2 stays in the list, so its hashes still check.
    """
    from django.conf import settings
    from django.test.utils import override_settings

    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher", *settings.PASSWORD_HASHERS]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture(autouse=True)
def _isolated_state(settings, tmp_path):
    """Each test gets empty media storage and an empty cache (rate limits, lockouts)."""
    from django.core.cache import cache

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
    }
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def token_for(db):
    """``token_for(user, scope="read write")`` -> an access token string for that user."""

    def make(user, scope="read write follow push"):
        return AccessTokenFactory(user=user, scope=scope).token

    return make


@pytest.fixture
def auth_client(user, token_for):
    """An API client signed in as ``user`` with a full-scope bearer token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user)}")
    client.user = user
    return client


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """On SQLite, start from a private copy of the migrated template (see tests/db_template.py)."""
    from django.conf import settings

    from tests import db_template

    database = settings.DATABASES["default"]
    if not database["ENGINE"].endswith("sqlite3"):
        yield
        return
    copy = db_template.private_copy()
    database.setdefault("TEST", {})["NAME"] = str(copy)
    yield
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)


@pytest.fixture
def worker_alive(db):
    """A Celery worker reported in a moment ago, as /readyz requires (core.health)."""
    from django.utils import timezone

    from core.models import WorkerHeartbeat

    return WorkerHeartbeat.objects.create(hostname="celery@test", last_seen_at=timezone.now())


@pytest.fixture
def private_mentions_accepted(db):
    """Accounts created during the test accept private mentions from strangers.

    Mastodon 4.3's default policy filters a direct mention from someone the recipient
    does not follow; tests about conversations, not policies, use this so that their
    direct messages arrive (tests/feed/test_notification_policies.py covers the default).
    """
    from django.db.models.signals import post_save

    from apps.accounts.models import User
    from apps.feed.models import NotificationPolicy

    def accept(sender, instance, created, **kwargs):
        if created:
            NotificationPolicy.objects.create(account=instance, for_private_mentions="accept")

    uid = "tests.private_mentions_accepted"
    post_save.connect(accept, sender=User, weak=False, dispatch_uid=uid)
    yield
    post_save.disconnect(sender=User, dispatch_uid=uid)
