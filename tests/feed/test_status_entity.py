"""The Status entity is built directly (``StatusSerializer.entity``), not by DRF's walk over its
declared fields: both must give the same entity, key order included, whatever the status
holds, rendered alone, for the cache and for a viewer."""

import pytest
from django.utils import timezone

from apps.feed import entities
from apps.feed.api.serializers import StatusSerializer
from apps.feed.models import PreviewCard, Status
from apps.feed.selectors import ViewerState
from apps.media.models import MediaAttachment, ProcessingState
from tests.feed.test_custom_emojis import emoji

pytestmark = pytest.mark.django_db


class DeclaredFields(StatusSerializer):
    """The entity as DRF renders the declared fields (a subclass: not built directly)."""


def _statuses(alice, bob) -> list[Status]:
    emoji("blobcat")
    plain = alice.post("hello")
    rich = alice.post(
        "hi @bob about #rivers :blobcat:",
        spoiler_text="rivers",
        sensitive=True,
        language="en",
        visibility="unlisted",
        poll={"options": ["yes", "no"], "expires_in": 3600},
    )
    reply = bob.post("a reply", in_reply_to_id=plain["id"])
    reblog = bob.client.post(f"/api/v1/statuses/{plain['id']}/reblog")
    assert reblog.status_code == 200, reblog.json()
    pictured = bob.post("a picture")
    MediaAttachment.objects.create(
        account=bob.account, type="image", state=ProcessingState.READY,
        status_id=int(pictured["id"]), description="a river",
        files={"original": "media/x/o.jpg", "small": "media/x/s.jpg"},
        meta={"original": {"width": 10, "height": 10}},
    )  # fmt: skip
    carded = Status.objects.get(pk=alice.post("see https://example.org/river")["id"])
    carded.preview_card = PreviewCard.objects.create(
        url="https://example.org/river", title="River", description="Water", provider_name="Ex"
    )
    carded.application_name = "Tusky"
    carded.edited_at = timezone.now()
    carded.pinned_at = timezone.now()
    carded.members_only = True
    carded.extensions = {"live": {"stream_id": "7", "state": "ended"}}
    carded.save()
    ids = [plain["id"], rich["id"], reply["id"], reblog.json()["id"], pictured["id"], carded.pk]
    found = Status.objects.select_related("account", "reblog_of__account").in_bulk(ids)
    return [found[int(pk)] for pk in ids]


def _viewer_state(statuses: list[Status]) -> ViewerState:
    ids = {status.pk for status in statuses}
    return ViewerState(favourited=ids, bookmarked={min(ids)}, filtered={min(ids): [{"x": 1}]})


@pytest.mark.parametrize("plain", [False, True], ids=["for a viewer", "for the cache"])
def test_each_status_renders_as_its_declared_fields(alice, bob, plain):
    statuses = _statuses(alice, bob)
    context = {"viewer_state": _viewer_state(statuses), entities.PLAIN: plain}

    for status in statuses:
        direct = StatusSerializer(status, context=context).data
        declared = DeclaredFields(status, context=context).data
        assert direct == declared, status.text
        assert list(direct) == list(declared) == StatusSerializer.Meta.fields
        assert list(direct["account"]) == list(declared["account"])


def test_the_status_features_are_all_shown(alice, bob):
    # the statuses above hold what a status can (else the comparison proves less than it says)
    rendered = [
        StatusSerializer(status, context={entities.PLAIN: True}).data
        for status in _statuses(alice, bob)
    ]

    assert any(entity["reblog"] for entity in rendered)
    assert any(entity["in_reply_to_id"] for entity in rendered)
    for feature in ("media_attachments", "mentions", "tags", "emojis", "poll", "card"):
        assert any(entity[feature] for entity in rendered), feature
    assert any(entity["application"] and entity["edited_at"] for entity in rendered)
    assert any(entity["agora"]["members_only"] and entity["pinned"] for entity in rendered)


def test_a_page_renders_as_its_declared_fields(alice, bob):
    statuses = _statuses(alice, bob)
    context = {"viewer_state": _viewer_state(statuses)}

    page = StatusSerializer(statuses, many=True, context=context).data

    expected = [DeclaredFields(status, context=context).data for status in statuses]
    assert page == expected
