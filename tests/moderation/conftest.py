"""Fixtures of the moderation tests (shared: the pipeline's tests may append theirs)."""

import pytest

from tests.accounts.factories import AccessTokenFactory
from tests.api_client import APIClient
from tests.feed.conftest import Member, alice, bob, carol  # noqa: F401
from tests.security.staff import staff_member, verified_client


@pytest.fixture
def moderator(db):
    """A staff member in the moderator role, with a confirmed TOTP device."""
    return staff_member("moderator", username="mod")


@pytest.fixture
def moderator_admin(moderator):
    """An admin client signed in as ``moderator`` with two-factor verified."""
    return verified_client(moderator)


@pytest.fixture
def admin_api(moderator):
    """An API client for ``moderator`` with Mastodon's admin scopes."""
    client = APIClient()
    token = AccessTokenFactory(user=moderator, scope="read write admin:read admin:write").token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.user = moderator
    return client


@pytest.fixture
def dave(db):
    return Member("dave")


@pytest.fixture
def eve(db):
    return Member("eve")


# --- The automated pipeline's fixtures (mod-pipeline) ---


@pytest.fixture
def rules_only(settings):
    """The rule assessors alone, without the learned text model: what each rule does end to end."""
    settings.MODERATION_TEXT_MODEL = ""


@pytest.fixture
def pipeline_flags(db):
    """Every flag the pipeline reads on for everyone (scam detection ships at 80%)."""
    from waffle.models import Flag

    from core import flags

    names = (
        flags.AI_MODERATION,
        flags.HUMAN_REVIEW_QUEUE,
        flags.SCAM_DETECTION,
        flags.LINK_SAFETY_SCANNING,
    )
    for name in names:
        flag, _created = Flag.objects.get_or_create(name=name)
        flag.everyone = True
        flag.save()
    return names


@pytest.fixture
def set_flag(db):
    """``set_flag(name, everyone)``: switch one waffle flag on or off for everyone."""
    from waffle.models import Flag

    def switch(name: str, everyone: bool | None, percent=None) -> None:
        flag, _created = Flag.objects.get_or_create(name=name)
        flag.everyone = everyone
        flag.percent = percent
        flag.save()

    return switch


@pytest.fixture
def pipeline(pipeline_flags, settings, django_capture_on_commit_callbacks):
    """``with pipeline(): ...`` runs what is published inside through the pipeline, in process.

    Celery runs eagerly and the after-commit callbacks (event delivery, the tasks they
    enqueue, the events those publish) run when the block ends.
    """
    from contextlib import contextmanager

    from config.celery import app as celery_app

    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    yield run
    celery_app.conf.task_always_eager = False
