"""``/api/v1/push/subscription``: one Web Push subscription per access token, as Mastodon
4.5 keeps it, and which notifications it is pushed (alerts and policy).

Delivery itself (encryption, VAPID, the push service's answers) is driven against a
real local receiver in tests/clients/test_push_delivery.py.
"""

import base64
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import CommandError, call_command
from oauth2_provider.models import get_access_token_model

from apps.feed.models import Notification, PushSubscription
from apps.feed.selectors import push as push_selectors
from core import push
from tests.accounts.factories import AccessTokenFactory
from tests.api_client import APIClient

SUBSCRIPTION = "/api/v1/push/subscription"
ENDPOINT = "https://push.example.net/wpush/v2/abc-123"
ALERT_TYPES = list(push_selectors.ALERT_TYPES)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def client_keys() -> tuple[str, str]:
    """An app's subscription keys: its P-256 public point and a 16-byte secret, base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(public), b64url(os.urandom(16))


@pytest.fixture
def vapid(settings):
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = push.generate_vapid_keys()
    return settings.VAPID_PUBLIC_KEY


def form(endpoint=ENDPOINT, keys=None, **extra) -> dict:
    p256dh, auth = keys or client_keys()
    return {
        "subscription[endpoint]": endpoint,
        "subscription[keys][p256dh]": p256dh,
        "subscription[keys][auth]": auth,
        **extra,
    }


def token_of(member):
    return get_access_token_model().objects.get(token=member.token)


def subscribe(member, **extra) -> dict:
    response = member.client.post(SUBSCRIPTION, form(**extra))
    assert response.status_code == 200, response.content
    return response.json()


# --- Subscribing ---------------------------------------------------------------------


def test_a_form_subscription_is_stored_for_the_token_and_answered_as_mastodon_does(alice, vapid):
    p256dh, auth = client_keys()

    response = alice.client.post(
        SUBSCRIPTION,
        form(
            keys=(p256dh, auth),
            **{
                "subscription[standard]": "true",
                "data[alerts][mention]": "true",
                "data[alerts][favourite]": "1",
                "data[alerts][follow]": "false",
                "data[alerts][admin.sign_up]": "true",
                "data[policy]": "followed",
            },
        ),
    )

    assert response.status_code == 200, response.content
    body = response.json()
    row = PushSubscription.objects.get()
    assert body == {
        "id": row.pk,
        "endpoint": ENDPOINT,
        "standard": True,
        "alerts": {name: name in {"mention", "favourite", "admin.sign_up"} for name in ALERT_TYPES},
        "policy": "followed",
        "server_key": vapid,
    }
    assert (row.account_id, row.access_token_id) == (alice.account.pk, token_of(alice).pk)
    assert (row.key_p256dh, row.key_auth) == (p256dh, auth)
    assert row.alerts == {
        "mention": True,
        "favourite": True,
        "follow": False,
        "admin.sign_up": True,
    }


def test_a_json_subscription_without_data_pushes_nothing_and_lets_everyone_through(alice, vapid):
    p256dh, auth = client_keys()

    response = alice.client.post(
        SUBSCRIPTION,
        {"subscription": {"endpoint": ENDPOINT, "keys": {"p256dh": p256dh, "auth": auth}}},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["standard"] is False
    assert body["policy"] == "all"
    assert body["alerts"] == dict.fromkeys(ALERT_TYPES, False)


def test_a_json_subscription_with_nested_data(alice, vapid):
    p256dh, auth = client_keys()

    response = alice.client.post(
        SUBSCRIPTION,
        {
            "subscription": {
                "endpoint": ENDPOINT,
                "keys": {"p256dh": p256dh, "auth": auth},
                "standard": True,
            },
            "data": {"alerts": {"reblog": True, "poll": False}, "policy": "none"},
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["standard"] is True
    assert response.json()["policy"] == "none"
    assert PushSubscription.objects.get().alerts == {"reblog": True, "poll": False}


def test_subscribing_again_with_the_token_replaces_its_subscription_only(alice, vapid):
    # given alice subscribed from two apps (two tokens)
    other_app = APIClient()
    other_token = AccessTokenFactory(user=alice.account, scope="push")
    other_app.credentials(HTTP_AUTHORIZATION=f"Bearer {other_token.token}")
    first = subscribe(alice)
    kept = other_app.post(SUBSCRIPTION, form(endpoint="https://push.example.org/other"))

    # when the first app subscribes again
    second = subscribe(alice, endpoint="https://push.example.net/new")

    # then its subscription is replaced, the other app's is untouched
    assert kept.status_code == 200, kept.content
    assert second["id"] != first["id"]
    assert sorted(PushSubscription.objects.values_list("access_token_id", "endpoint")) == sorted(
        [
            (token_of(alice).pk, "https://push.example.net/new"),
            (other_token.pk, "https://push.example.org/other"),
        ]
    )


def test_get_answers_the_tokens_subscription(alice, vapid):
    created = subscribe(alice, **{"data[alerts][follow]": "true"})

    response = alice.client.get(SUBSCRIPTION)

    assert response.status_code == 200, response.content
    assert response.json() == created


def test_get_without_a_subscription_is_mastodons_404(alice, bob, vapid):
    subscribe(bob)

    response = alice.client.get(SUBSCRIPTION)

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_put_changes_the_alerts_and_the_policy_only(alice, vapid):
    created = subscribe(alice, **{"data[alerts][mention]": "true", "data[policy]": "follower"})

    response = alice.client.put(
        SUBSCRIPTION,
        {
            "subscription": {"endpoint": "https://evil.example.com/"},
            "data": {"alerts": {"favourite": True, "status": True}, "policy": "followed"},
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == created["id"]
    assert body["endpoint"] == ENDPOINT
    assert body["policy"] == "followed"
    assert [name for name, on in body["alerts"].items() if on] == ["status", "favourite"]


def test_put_with_form_fields(alice, vapid):
    subscribe(alice, **{"data[alerts][mention]": "true"})

    response = alice.client.put(
        SUBSCRIPTION,
        "data%5Balerts%5D%5Breblog%5D=true&data%5Bpolicy%5D=none",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200, response.content
    assert PushSubscription.objects.get().alerts == {"reblog": True}
    assert PushSubscription.objects.get().policy == "none"


def test_put_without_a_subscription_is_a_404(alice, vapid):
    response = alice.client.put(SUBSCRIPTION, {"data": {"policy": "all"}}, format="json")

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_put_with_an_unknown_policy_is_refused_and_changes_nothing(alice, vapid):
    subscribe(alice, **{"data[alerts][mention]": "true", "data[policy]": "followed"})

    response = alice.client.put(SUBSCRIPTION, {"data": {"policy": "friends"}}, format="json")

    assert response.status_code == 422
    assert "policy" in response.json()["details"]
    row = PushSubscription.objects.get()
    assert (row.policy, row.alerts) == ("followed", {"mention": True})


def test_delete_removes_the_tokens_subscription_and_is_idempotent(alice, bob, vapid):
    subscribe(alice)
    subscribe(bob)

    first = alice.client.delete(SUBSCRIPTION)
    again = alice.client.delete(SUBSCRIPTION)

    assert (first.status_code, first.json()) == (200, {})
    assert (again.status_code, again.json()) == (200, {})
    assert list(PushSubscription.objects.values_list("account_id", flat=True)) == [bob.account.pk]


def test_revoking_the_token_deletes_its_subscription(alice, vapid):
    subscribe(alice)

    token_of(alice).revoke()

    assert not PushSubscription.objects.exists()


# --- Refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope", ["read write follow", "read", "write:statuses"], ids=["no-push", "read", "write"]
)
def test_a_token_without_the_push_scope_is_refused(alice, vapid, scope):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=alice.account, scope=scope).token}"
    )

    created = client.post(SUBSCRIPTION, form())
    read = client.get(SUBSCRIPTION)

    assert (created.status_code, read.status_code) == (403, 403)
    assert not PushSubscription.objects.exists()


def test_without_credentials_the_answer_is_401(db, vapid):
    response = APIClient().post(SUBSCRIPTION, form())

    assert response.status_code == 401
    assert not PushSubscription.objects.exists()


def _not_on_the_curve() -> str:
    p256dh, _auth = client_keys()
    raw = bytearray(base64.urlsafe_b64decode(p256dh + "="))
    raw[-1] ^= 1
    return b64url(bytes(raw))


def _compressed_point() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
        )
    )


BAD_INPUT = {
    "http-endpoint": ({"subscription[endpoint]": "http://push.example.net/x"}, "endpoint"),
    "not-a-url": ({"subscription[endpoint]": "push.example.net/x"}, "endpoint"),
    "no-host": ({"subscription[endpoint]": "https:///x"}, "endpoint"),
    "bad-port": ({"subscription[endpoint]": "https://push.example.net:99999/x"}, "endpoint"),
    "credentials": ({"subscription[endpoint]": "https://u:p@push.example.net/x"}, "endpoint"),
    "no-endpoint": ({"subscription[endpoint]": ""}, "endpoint"),
    "p256dh-not-base64": ({"subscription[keys][p256dh]": "not base64 !!"}, "keys.p256dh"),
    "p256dh-short": ({"subscription[keys][p256dh]": b64url(b"\x04" + b"1" * 31)}, "keys.p256dh"),
    "p256dh-off-curve": ({"subscription[keys][p256dh]": _not_on_the_curve()}, "keys.p256dh"),
    "p256dh-compressed": ({"subscription[keys][p256dh]": _compressed_point()}, "keys.p256dh"),
    "p256dh-missing": ({"subscription[keys][p256dh]": ""}, "keys.p256dh"),
    "auth-15-bytes": ({"subscription[keys][auth]": b64url(os.urandom(15))}, "keys.auth"),
    "auth-not-base64": ({"subscription[keys][auth]": "%%%%"}, "keys.auth"),
    "unknown-policy": ({"data[policy]": "friends"}, "policy"),
}


@pytest.mark.parametrize(("bad", "field"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_a_422_naming_the_field_and_keeps_the_old_subscription(
    alice, vapid, bad, field
):
    # given alice's app already has a subscription
    before = subscribe(alice)

    # when it subscribes again with one bad parameter
    response = alice.client.post(SUBSCRIPTION, {**form(), **bad})

    # then the answer is Mastodon's validation failure and the old subscription stays
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"].startswith("Validation failed")
    assert field in body["details"]
    assert list(PushSubscription.objects.values_list("pk", flat=True)) == [before["id"]]


def test_a_json_body_of_the_wrong_shape_is_a_422(alice, vapid):
    response = alice.client.post(
        SUBSCRIPTION, {"subscription": "https://push.example.net/x"}, format="json"
    )

    assert response.status_code == 422
    assert not PushSubscription.objects.exists()


def test_without_vapid_keys_subscribing_is_a_422_and_nothing_is_written(alice, settings):
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = ""

    response = alice.client.post(SUBSCRIPTION, form())

    assert response.status_code == 422
    assert response.json() == {"error": "Push notifications are not configured on this server"}
    assert not PushSubscription.objects.exists()


# --- The key apps subscribe with ----------------------------------------------------


def test_instance_and_apps_give_the_vapid_public_key(db, api_client, vapid):
    instance = api_client.get("/api/v2/instance").json()
    app = api_client.post(
        "/api/v1/apps",
        {"client_name": "Pusher", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "push"},
    ).json()

    assert instance["configuration"]["vapid"]["public_key"] == vapid
    assert app["vapid_key"] == vapid


def test_without_a_private_key_no_public_key_is_given(db, api_client, settings):
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = "", push.generate_vapid_keys()[1]

    instance = api_client.get("/api/v2/instance").json()

    assert instance["configuration"]["vapid"]["public_key"] == ""


# --- Which notifications are pushed -------------------------------------------------


def favourite(member, status) -> Notification:
    response = member.client.post(f"/api/v1/statuses/{status['id']}/favourite")
    assert response.status_code == 200, response.content
    return Notification.objects.get(type="favourite", status_id=status["id"])


@pytest.mark.parametrize(
    ("policy", "alice_follows_bob", "bob_follows_alice", "pushed"),
    [
        ("all", False, False, True),
        ("none", True, True, False),
        ("followed", False, True, False),
        ("followed", True, False, True),
        ("follower", True, False, False),
        ("follower", False, True, True),
    ],
    ids=[
        "all",
        "none",
        "followed-not-followed",
        "followed",
        "follower-not-following",
        "follower",
    ],
)
def test_the_policy_says_whose_notifications_are_pushed(
    alice, bob, vapid, policy, alice_follows_bob, bob_follows_alice, pushed
):
    # given alice's app wants favourites, from senders its policy lets through
    created = subscribe(alice, **{"data[alerts][favourite]": "true", "data[policy]": policy})
    if alice_follows_bob:
        alice.follow(bob)
    if bob_follows_alice:
        bob.follow(alice)

    # when bob favourites alice's status
    notification = favourite(bob, alice.post("like this"))

    # then it is pushed to her subscription or not
    deliveries = push_selectors.push_deliveries(notification_ids=[notification.pk])
    assert deliveries == ([(created["id"], notification.pk)] if pushed else [])


def test_only_the_types_the_alerts_ask_for_are_pushed(alice, bob, carol, vapid):
    # given alice's app wants mentions only, and her other app favourites only
    mentions = subscribe(alice, **{"data[alerts][mention]": "true"})
    other_app = APIClient()
    other_app.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=alice.account).token}"
    )
    favourites = other_app.post(SUBSCRIPTION, form(**{"data[alerts][favourite]": "true"})).json()
    subscribe(carol, **{"data[alerts][favourite]": "true", "data[alerts][mention]": "true"})

    # when bob favourites her status and mentions her
    favourited = favourite(bob, alice.post("like this"))
    bob.post("hello @alice")
    mention = Notification.objects.get(type="mention", account=alice.account)

    # then each notification goes to the subscription that wants it, and to no one else's
    deliveries = push_selectors.push_deliveries(notification_ids=[favourited.pk, mention.pk])
    assert sorted(deliveries) == sorted(
        [(favourites["id"], favourited.pk), (mentions["id"], mention.pk)]
    )


def test_choosing_the_deliveries_costs_three_queries_whatever_the_numbers(
    alice, bob, carol, vapid, django_assert_max_num_queries
):
    # given alice and carol follow bob, and want mentions from those they follow
    for member in (alice, carol):
        subscribe(member, **{"data[alerts][mention]": "true", "data[policy]": "followed"})
        member.follow(bob)
    bob.post("hello @alice and @carol")
    notifications = list(Notification.objects.filter(type="mention"))
    assert len(notifications) == 2

    with django_assert_max_num_queries(3):
        deliveries = push_selectors.push_deliveries(
            notification_ids=[notification.pk for notification in notifications]
        )

    assert len(deliveries) == 2


def test_notifications_created_without_vapid_keys_enqueue_nothing(
    alice, bob, settings, django_capture_on_commit_callbacks
):
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = ""
    status = alice.post("like this")

    with django_capture_on_commit_callbacks() as callbacks:
        bob.client.post(f"/api/v1/statuses/{status['id']}/favourite")

    with_keys = len(callbacks)
    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = push.generate_vapid_keys()
    bob.client.post(f"/api/v1/statuses/{status['id']}/unfavourite")
    with django_capture_on_commit_callbacks() as callbacks:
        bob.client.post(f"/api/v1/statuses/{status['id']}/favourite")

    assert len(callbacks) == with_keys + 1


# --- The key pair command -----------------------------------------------------------


def test_the_command_prints_a_new_pair_when_none_is_configured(settings, capsys):
    settings.VAPID_PRIVATE_KEY = settings.VAPID_PUBLIC_KEY = ""

    call_command("push_vapid_keys")

    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines())
    assert sorted(lines) == ["VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY"]
    assert push.public_key_of(lines["VAPID_PRIVATE_KEY"]) == lines["VAPID_PUBLIC_KEY"]
    assert len(base64.urlsafe_b64decode(lines["VAPID_PUBLIC_KEY"] + "=")) == 65


def test_the_command_keeps_configured_keys(vapid, capsys):
    call_command("push_vapid_keys")

    captured = capsys.readouterr()
    assert captured.out == ""
    assert "already configured" in captured.err


@pytest.mark.parametrize(
    "keys",
    [("private-only", ""), ("", "public-only"), ("mismatch", "mismatch")],
    ids=["private-only", "public-only", "mismatch"],
)
def test_the_command_refuses_half_or_mismatched_keys(settings, capsys, keys):
    private, public = keys
    settings.VAPID_PRIVATE_KEY = push.generate_vapid_keys()[0] if private else ""
    settings.VAPID_PUBLIC_KEY = push.generate_vapid_keys()[1] if public else ""

    with pytest.raises(CommandError):
        call_command("push_vapid_keys")

    assert capsys.readouterr().out == ""


def test_the_command_replaces_keys_only_when_forced(vapid, settings, capsys):
    call_command("push_vapid_keys", force=True)

    captured = capsys.readouterr()
    lines = dict(line.split("=", 1) for line in captured.out.splitlines())
    assert lines["VAPID_PUBLIC_KEY"] != vapid
    assert "subscribes again" in captured.err
