"""Sending a Celery task by its stable name, once the caller's transaction commits.

Services sit below tasks in each app (tasks are thin and call services), so a
service must not import its app's ``tasks`` module to enqueue one. Task names are
stable and path-free (``"feed.fanout"``, ``"media.process"``), so a service names
the task instead::

    from core import queue

    queue.send_on_commit("media.process", job_id=job.pk, media_id=media.pk)

The task is looked up in the Celery app's registry, so it runs exactly as calling
it would: in the calling process under ``CELERY_TASK_ALWAYS_EAGER``, with the
task's own options otherwise. After commit, so a worker never picks up a row the
transaction has not yet made visible; ``robust``: a broker that refuses is logged
and does not undo the committed work (a reaper or sweep picks the work up). When
tracing, the task joins the trace of the code that asked for it (:func:`core.tracing.bind`).
"""

from __future__ import annotations

from typing import Any

from celery import current_app
from celery.exceptions import NotRegistered
from django.db import transaction

from core import tracing


def task(name: str):
    """The task registered as ``name``; an unknown name fails here, in the caller.

    A worker imports every app's ``tasks`` module when it starts (Celery's autodiscovery
    runs on its ``import_modules`` signal), but a web process does not: the first time a
    name is missing, the same default modules are imported here, then it is looked up
    again. Task modules not named ``tasks`` are imported by their app's ``ready()``.
    """
    try:
        return current_app.tasks[name]
    except NotRegistered:
        current_app.loader.import_default_modules()
        return current_app.tasks[name]


def send_on_commit(name: str, /, **kwargs: Any) -> None:
    """Send the task registered as ``name`` with ``kwargs`` when the transaction commits."""
    found = task(name)
    transaction.on_commit(tracing.bind(lambda: found.delay(**kwargs)), robust=True)
