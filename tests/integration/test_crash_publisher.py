"""A publisher that dies right after its commit: the event's effect happens anyway.

A separate process removes media as moderation would (it publishes ``ContentActioned``)
and exits the moment its transaction commits, before its after-commit relay could run.
The outbox row it committed is found by the worker's periodic sweep (sent here as beat
sends it every minute) and delivered: the media handler deletes the media.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from apps.media.models import MediaAttachment
from core.models import OutboxEvent
from tests.integration.conftest import BASE_DIR, _test_database_url
from tests.integration.crash import Worker
from tests.media.conftest import Member

pytestmark = pytest.mark.integration

PUBLISHER = """
import os, sys
sys.path[:0] = [{base!r}, {platform!r}]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.db import transaction
from core import events

media_id = int(sys.argv[1])
with transaction.atomic():
    # Registered first, so it runs first after commit: the process dies before its relay.
    transaction.on_commit(lambda: os._exit(0))
    events.publish(events.ContentActioned(
        content_type="media", content_id=media_id, action="remove", reason="crash test"
    ))
print("not reached", flush=True)
"""


def test_an_event_committed_by_a_publisher_that_died_is_still_delivered(
    transactional_db, settings, tmp_path
):
    # given unattached media (an image: ready at once, no worker needed)
    from PIL import Image

    image = tmp_path / "photo.png"
    Image.new("RGB", (64, 48), "teal").save(image)
    alice = Member("crash_alice")
    media_id = int(alice.upload(image).json()["id"])

    # when a publisher removes it and dies right after its commit
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "EVENTS_RELAY_IN_PROCESS": "false",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
    script = PUBLISHER.format(base=str(BASE_DIR), platform=str(BASE_DIR / "platform"))
    finished = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script, str(media_id)],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr.decode()[-3000:]
    assert b"not reached" not in finished.stdout

    # then its event is in the outbox, undelivered, and the media is still there
    row = OutboxEvent.objects.get(event_type="ContentActioned")
    assert row.status == OutboxEvent.Status.PENDING
    assert row.payload["content_id"] == media_id
    assert MediaAttachment.objects.filter(pk=media_id).exists()

    # when a worker runs the outbox sweep, as beat has it do every minute
    from config.celery import app

    queue = f"crash-relay-{time.monotonic_ns()}"
    worker = Worker(
        name="relay",
        log_dir=tmp_path,
        env={"EVENTS_RELAY_IN_PROCESS": "false", "MEDIA_ROOT": str(settings.MEDIA_ROOT)},
        queue=queue,
    )
    try:
        worker.wait_ready()
        # On this worker's own queue: the session's shared worker must not take it.
        app.send_task("core.events.sweep", queue=queue)
        started = time.monotonic()
        deadline = started + 90
        while MediaAttachment.objects.filter(pk=media_id).exists():
            if time.monotonic() > deadline:
                pytest.fail(f"the event was not delivered in 90s:\n{worker.log()}")
            time.sleep(0.5)

        # then the moderation decision took effect: the media is gone, the event delivered
        row.refresh_from_db()
        assert row.status == OutboxEvent.Status.DONE
        assert "apps.media.handlers.on_content_actioned" in row.delivered_to
        assert row.last_error == ""
    finally:
        worker.stop()
