"""Fixtures of the protection tests."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.protection import detector
from tests.accounts.factories import UserFactory
from tests.feed.conftest import Member, alice, bob, carol  # noqa: F401
from tests.moderation.conftest import (  # noqa: F401
    admin_api,
    moderator,
    moderator_admin,
    pipeline,
    pipeline_flags,
)

STANDING_URL = "/api/agora/v1/account/standing"


def standing_of(member: Member) -> dict:
    """``member``'s standing page, which must answer 200."""
    response = member.client.get(STANDING_URL)
    assert response.status_code == 200, response.json()
    return response.json()


def surfaces_of(page: dict) -> dict[str, dict]:
    """The page's surfaces by name."""
    return {surface["surface"]: surface for surface in page["surfaces"]}


def states_of(page: dict) -> dict[str, str]:
    return {name: surface["state"] for name, surface in surfaces_of(page).items()}


@pytest.fixture
def trust_levels():
    """A reputation provider for the test: ``trust_levels[account_id] = Level.NEW``, ...

    The provider in place before (protection's, or none) comes back afterwards.
    """
    from core import reputation

    levels: dict[int, str] = {}

    def provider(account_ids: list[int]) -> dict[int, reputation.Trust]:
        return {
            account_id: reputation.Trust(score=0.1, level=levels[account_id])
            for account_id in account_ids
            if account_id in levels
        }

    previous = reputation._provider
    reputation.set_provider(provider)
    yield levels
    reputation.set_provider(previous)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): ...``: what is published inside is delivered when the block ends,
    as it is once a moderator's transaction commits."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture(autouse=True)
def _fresh_detector():
    """The in-process detector store starts empty in each test."""
    detector._memory_store.__init__()
    yield
    detector._memory_store.__init__()


@pytest.fixture
def eager(settings, django_capture_on_commit_callbacks):
    """``with eager(): ...``: events and the tasks they enqueue run when the block ends."""
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


@pytest.fixture
def aged(db):
    """``aged(days, **fields)``: an account that signed up ``days`` days ago."""

    def make(days: float, **fields):
        return UserFactory(date_joined=timezone.now() - dt.timedelta(days=days), **fields)

    return make
