"""Moderation on replays: the recording is assessed as media (its perceptual hashes against
the known list); a hide keeps the replay from all but the streamer, a remove deletes it."""

from __future__ import annotations

import pytest

from apps.live.models import Stream
from apps.media.models import MediaAttachment
from apps.moderation.models import Assessment, KnownMediaHash
from tests.accounts.factories import UserFactory

# The replay tests' fixtures (their tmp dirs, eager Celery, a recorded stream) and the
# pipeline's flags, used by name as the tests' arguments.
from tests.live.test_replays import _dirs, eager, flv, record_done, recorded  # noqa: F401
from tests.moderation.conftest import pipeline_flags  # noqa: F401

pytestmark = pytest.mark.django_db


def _flip(hex_hash: str, bits: int) -> str:
    return f"{int(hex_hash, 16) ^ ((1 << bits) - 1):0{len(hex_hash)}x}"


def test_a_replay_near_a_known_hash_is_hidden_from_all_but_the_streamer(
    eager,
    pipeline_flags,
    recorded,
    record_done,
    client_for,
    streamer,
):
    # given a first replay, whose frames give the known list an entry near them
    first, path = recorded()
    record_done(first, path)
    first.refresh_from_db()
    KnownMediaHash.objects.create(
        hash=_flip(first.replay.perceptual_hashes[0], 3), label="known bad stream", max_distance=8
    )

    # when the same picture is streamed and recorded again
    second, path = recorded()
    record_done(second, path)

    # then moderation hid the replay (a near match), and only the streamer still sees it
    second.refresh_from_db()
    assessment = Assessment.objects.get(content_type="media", content_id=second.replay_id)
    assert (assessment.decision, assessment.category) == ("hide", "media_match")
    assert second.replay_hidden is True
    mine = client_for(streamer).get(f"/api/agora/v1/live/streams/{second.pk}").json()
    assert mine["replay"]["hidden"] is True
    assert mine["replay"]["media_attachment"]["id"] == str(second.replay_id)
    theirs = client_for(UserFactory()).get(f"/api/agora/v1/live/streams/{second.pk}").json()
    assert theirs["replay"] is None
    listed = client_for(UserFactory()).get(
        "/api/agora/v1/live/streams", {"account_id": streamer.pk, "state": "ended"}
    )
    assert all(s["replay"] is None for s in listed.json() if s["id"] == str(second.pk))


def test_an_exact_match_removes_the_replay(
    eager,
    pipeline_flags,
    recorded,
    record_done,
    client_for,
    streamer,
):
    # given the known list holds a replay's own hash
    first, path = recorded()
    record_done(first, path)
    first.refresh_from_db()
    KnownMediaHash.objects.create(
        hash=first.replay.perceptual_hashes[0], label="known bad stream", max_distance=8
    )

    # when the same picture is recorded again
    second, path = recorded()
    record_done(second, path)

    # then the replay's media is deleted and the stream shows none, even to the streamer
    second.refresh_from_db()
    assert second.replay_id is None
    assert Assessment.objects.get(content_type="media", decision="remove")
    assert MediaAttachment.objects.filter(kept_by=f"live:{second.pk}").count() == 0
    mine = client_for(streamer).get(f"/api/agora/v1/live/streams/{second.pk}").json()
    assert mine["replay"] is None


def test_approving_a_hidden_replay_shows_it_again(
    eager,
    recorded,
    record_done,
    client_for,
):
    from apps.live.services.replays import replay_moderate

    stream, path = recorded()
    record_done(stream, path)
    stream.refresh_from_db()
    assert replay_moderate(media_id=stream.replay_id, action="hide") is True
    assert replay_moderate(media_id=stream.replay_id, action="hide") is False
    assert replay_moderate(media_id=stream.replay_id, action="sensitive") is False
    assert replay_moderate(media_id=stream.replay_id, action="approve") is True
    answer = client_for(UserFactory()).get(f"/api/agora/v1/live/streams/{stream.pk}").json()
    assert answer["replay"]["hidden"] is False
    assert Stream.objects.get(pk=stream.pk).replay_hidden is False
