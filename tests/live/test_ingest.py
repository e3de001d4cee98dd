"""nginx-rtmp's callbacks: a valid key goes live under the internal name; everything else is refused."""

from __future__ import annotations

import pytest

from apps.live.models import Stream
from core.models import OutboxEvent
from tests.live.conftest import STREAMS

pytestmark = pytest.mark.django_db


def _snapshot(stream_id):
    stream = Stream.objects.get(pk=stream_id)
    return (stream.state, stream.started_at, stream.ended_at, stream.key_hash)


def test_a_valid_key_goes_live_under_the_internal_name_and_ends_when_the_encoder_stops(
    streamer, create_stream, nginx
):
    # given
    created = create_stream(streamer)
    stream = Stream.objects.get(pk=created["id"])

    # when the encoder pushes with the key
    response = nginx("on_publish", created["ingest"]["stream_key"])

    # then nginx renames the stream to its internal name, and the stream is live
    assert response.status_code == 302
    assert response["Location"] == stream.internal_name
    stream.refresh_from_db()
    assert stream.state == "live"
    assert stream.started_at is not None
    started = OutboxEvent.objects.get(event_type="LiveStarted")
    assert started.payload == {
        "stream_id": stream.pk,
        "account_id": streamer.pk,
        "visibility": "public",
    }
    assert created["playback"]["hls_url"] == (
        f"https://agora.test/live/hls/{stream.internal_name}/index.m3u8"
    )
    assert created["ingest"]["stream_key"] not in created["playback"]["hls_url"]

    # and nginx's updates keep it going
    assert nginx("on_update", stream.internal_name).status_code == 204

    # when the encoder stops
    assert nginx("on_publish_done", stream.internal_name).status_code == 204

    # then
    stream.refresh_from_db()
    assert stream.state == "ended"
    assert stream.ended_by == "encoder"
    ended = OutboxEvent.objects.get(event_type="LiveEnded")
    assert ended.payload == {"stream_id": stream.pk, "account_id": streamer.pk}
    assert nginx("on_update", stream.internal_name).status_code == 404


def test_a_rotated_key_is_refused_and_the_new_one_accepted(
    streamer, create_stream, nginx, client_for
):
    created = create_stream(streamer)
    response = client_for(streamer).post(f"/api/agora/v1/live/streams/{created['id']}/rotate_key")
    assert response.status_code == 200
    new_key = response.json()["ingest"]["stream_key"]
    assert new_key != created["ingest"]["stream_key"]

    assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 403
    assert Stream.objects.get(pk=created["id"]).state == "idle"
    assert nginx("on_publish", new_key).status_code == 302


def test_an_unknown_key_is_refused(streamer, create_stream, nginx):
    created = create_stream(streamer)

    response = nginx("on_publish", "not-a-key-anybody-was-given")

    assert response.status_code == 403
    assert Stream.objects.get(pk=created["id"]).state == "idle"
    assert not OutboxEvent.objects.filter(event_type="LiveStarted").exists()


def test_a_stream_already_live_is_refused_a_second_publish(streamer, create_stream, nginx):
    created = create_stream(streamer)
    key = created["ingest"]["stream_key"]
    assert nginx("on_publish", key).status_code == 302
    before = _snapshot(created["id"])

    assert nginx("on_publish", key).status_code == 403

    assert _snapshot(created["id"]) == before
    assert OutboxEvent.objects.filter(event_type="LiveStarted").count() == 1


def test_an_ended_stream_cannot_go_live_again(streamer, create_stream, nginx, client_for):
    created = create_stream(streamer)
    client_for(streamer).post(f"/api/agora/v1/live/streams/{created['id']}/end")

    assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 403
    assert Stream.objects.get(pk=created["id"]).state == "ended"


@pytest.mark.parametrize("standing", ["suspended", "disabled"])
def test_a_barred_account_is_refused(streamer, create_stream, nginx, standing):
    created = create_stream(streamer)
    streamer.standing = standing
    streamer.save(update_fields=["standing"])

    assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 403
    assert Stream.objects.get(pk=created["id"]).state == "idle"


def test_without_a_plan_or_an_allowance_going_live_is_refused_until_an_operator_allows_it(
    user, client_for, create_stream, nginx
):
    from django.core.management import call_command

    # given an account on the free plan: it cannot even create a stream, and is told why
    refused = client_for(user).post(STREAMS, {"title": "Mine"}, format="json")
    assert refused.status_code == 403
    assert "plan does not include going live" in refused.json()["error"]
    assert not Stream.objects.exists()

    # when an operator allows it
    call_command("live_allow", user.username, stdout=_Sink())
    created = create_stream(user)
    key = created["ingest"]["stream_key"]

    # then it goes live
    assert nginx("on_publish", key).status_code == 302
    assert Stream.objects.get(pk=created["id"]).state == "live"


def test_an_allowance_revoked_after_the_stream_was_created_refuses_the_publish(
    streamer, create_stream, nginx
):
    from apps.live.services import live_revoke

    created = create_stream(streamer)
    live_revoke(account=streamer, actor="tests")

    response = nginx("on_publish", created["ingest"]["stream_key"])

    assert response.status_code == 403
    assert b"plan does not include going live" in response.content
    assert Stream.objects.get(pk=created["id"]).state == "idle"


def test_a_plan_that_allows_going_live_is_enough(user, create_stream, nginx, settings):
    # given billing configured and the account on a plan with can_go_live
    from apps.billing.models import Plan, Subscription

    settings.STRIPE_IS_CONFIGURED = True
    plan = Plan.objects.create(
        tier="pro", name="Pro", stripe_price_id="price_pro", can_go_live=True
    )
    Subscription.objects.create(stripe_id="sub_1", account=user, plan=plan, status="active")
    created = create_stream(user)

    assert nginx("on_publish", created["ingest"]["stream_key"]).status_code == 302


@pytest.mark.parametrize(
    "secret", [pytest.param(None, id="no-secret"), pytest.param("guess", id="wrong-secret")]
)
@pytest.mark.parametrize("callback", ["on_publish", "on_publish_done", "on_update"])
def test_a_forged_callback_is_refused_and_changes_nothing(
    streamer, create_stream, nginx, callback, secret
):
    created = create_stream(streamer)
    key = created["ingest"]["stream_key"]
    if callback != "on_publish":
        assert nginx("on_publish", key).status_code == 302
    name = key if callback == "on_publish" else Stream.objects.get(pk=created["id"]).internal_name
    before = _snapshot(created["id"])
    events = OutboxEvent.objects.count()

    response = nginx(callback, name, secret=secret)

    assert response.status_code == 403
    assert _snapshot(created["id"]) == before
    assert OutboxEvent.objects.count() == events


def test_callbacks_are_refused_with_503_while_no_secret_is_configured(
    streamer, create_stream, nginx, settings
):
    created = create_stream(streamer)
    settings.LIVE_CALLBACK_SECRET = ""

    response = nginx("on_publish", created["ingest"]["stream_key"], secret="")

    assert response.status_code == 503
    assert Stream.objects.get(pk=created["id"]).state == "idle"


def test_a_callback_must_be_a_post(streamer, create_stream, client):
    created = create_stream(streamer)
    response = client.get(
        "/internal/live/on_publish",
        {"secret": "live-callback-unit-tests", "name": created["ingest"]["stream_key"]},
    )
    assert response.status_code == 405
    assert Stream.objects.get(pk=created["id"]).state == "idle"


class _Sink:
    def write(self, text):
        pass

    def flush(self):
        pass


def test_readyz_reports_live_ingest_degraded_without_the_callback_secret(
    client, settings, worker_alive
):
    settings.LIVE_CALLBACK_SECRET = ""
    body = client.get("/readyz").json()
    assert "live_ingest" in body["degraded"]
    assert "LIVE_CALLBACK_SECRET" in body["optional"]["live_ingest"]["detail"]

    settings.LIVE_CALLBACK_SECRET = "set"
    assert "live_ingest" not in client.get("/readyz").json()["degraded"]


def test_later_callbacks_name_the_stream_by_its_key_as_nginx_rtmp_sends_them(
    streamer, create_stream, nginx
):
    """nginx-rtmp keeps the pre-redirect name (the key) for on_update and on_publish_done."""
    # given a stream live through its key
    created = create_stream(streamer)
    key = created["ingest"]["stream_key"]
    assert nginx("on_publish", key).status_code == 302

    # when nginx asks, by the key, whether it goes on, and then says it stopped
    update = nginx("on_update", key)
    done = nginx("on_publish_done", key)

    # then it went on, and then ended
    assert update.status_code == 204
    assert done.status_code == 204
    assert Stream.objects.get(pk=created["id"]).state == "ended"


def test_after_the_kill_switch_on_update_by_the_old_key_drops_the_encoder(
    streamer, create_stream, nginx
):
    from apps.live.services import stream_kill

    created = create_stream(streamer)
    key = created["ingest"]["stream_key"]
    nginx("on_publish", key)
    stream_kill(stream=Stream.objects.get(pk=created["id"]), actor="mod", reason="spam")

    assert nginx("on_update", key).status_code == 404
    # the encoder's end is still heard, and changes nothing
    assert nginx("on_publish_done", key).status_code == 204
    killed = Stream.objects.get(pk=created["id"])
    assert (killed.state, killed.ended_by) == ("ended", "mod")


def test_a_key_rotated_while_live_keeps_the_encoder_and_its_end_is_heard(
    streamer, create_stream, nginx, client_for
):
    # given a live stream, published with the key nginx goes on naming it by
    created = create_stream(streamer)
    key = created["ingest"]["stream_key"]
    assert nginx("on_publish", key).status_code == 302

    # when its owner rotates the key (it leaked)
    rotated = client_for(streamer).post(f"/api/agora/v1/live/streams/{created['id']}/rotate_key")
    assert rotated.status_code == 200

    # then the encoder goes on, nobody can publish with the old key, and the end is heard
    assert nginx("on_update", key).status_code == 204
    assert nginx("on_publish", key).status_code == 403
    assert nginx("on_publish_done", key).status_code == 204
    assert Stream.objects.get(pk=created["id"]).state == "ended"
