"""Fixtures of the protection tests."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.accounts.factories import UserFactory


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
