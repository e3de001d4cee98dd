"""Web Push delivered for real: an app subscribes through the API with its own key pair,
bob favourites alice's status, the worker's tasks run, and a local HTTPS push service
receives the message, decrypts it with the app's private key (RFC 8291, http_ece)
and checks the VAPID signature (RFC 8292) against the server's public key.

The receiver is an HTTPS server on 127.0.0.1 with a certificate made here; the
delivery trusts it through ``AGORA_OUTBOUND_CA_BUNDLE`` and may call a loopback address only
because ``AGORA_OUTBOUND_ALLOW_PRIVATE`` is on (a test below turns it off).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import os
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from apps.feed.models import Notification, PushSubscription
from apps.feed.push_tasks import push_deliver_task, retry_countdown
from core import outbound, push
from tests.accounts.factories import AccessTokenFactory, UserFactory
from tests.feed.conftest import Member

SUBSCRIPTION = "/api/v1/push/subscription"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def self_signed_certificate(folder) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and localhost, signed by its own key: (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Agora test push service")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "push-cert.pem", folder / "push-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


class PushService:
    """A push service on 127.0.0.1 over TLS: records each POST and answers the statuses
    queued in ``answers`` (then 201)."""

    def __init__(self, cert: str, key: str, *, port: int = 0) -> None:
        self.received: list[dict] = []
        self.answers: list[tuple[int, dict[str, str]]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                service.received.append(
                    {"path": self.path, "headers": dict(self.headers.items()), "body": body}
                )
                status, headers = service.answers.pop(0) if service.answers else (201, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format, *args):  # a test prints nothing
                return

        class QuietServer(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):  # refused handshakes included
                return

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server = QuietServer(("127.0.0.1", port), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def alice(db):
    return Member("alice")


@pytest.fixture
def bob(db):
    return Member("bob")


@pytest.fixture
def certificate(tmp_path):
    return self_signed_certificate(tmp_path)


@pytest.fixture
def push_service(certificate):
    service = PushService(*certificate)
    yield service
    service.stop()


@pytest.fixture
def push_configured(settings, certificate):
    """Push configured as in production, except that the local receiver is reachable and
    trusted; Celery runs tasks in the process that sends them, as the worker would."""
    from config.celery import app as celery_app

    settings.VAPID_PRIVATE_KEY, settings.VAPID_PUBLIC_KEY = push.generate_vapid_keys()
    settings.VAPID_CONTACT = "mailto:push-admin@agora.example"
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = True
    settings.AGORA_OUTBOUND_CA_BUNDLE = certificate[0]
    settings.PUSH_TIMEOUT_SECONDS = 5
    settings.CELERY_TASK_ALWAYS_EAGER = True
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield settings
    celery_app.conf.task_always_eager = False


@pytest.fixture
def delivery(push_configured, django_capture_on_commit_callbacks):
    """``with delivery(): ...`` runs the tasks enqueued inside when the block's transaction
    would commit."""
    from contextlib import contextmanager

    @contextmanager
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            yield

    return run


class App:
    """A Mastodon app's push side: its own P-256 key pair and auth secret."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.p256dh = b64url(
            self.key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    def subscribe(self, member, endpoint: str, *, standard: bool = True, **alerts) -> dict:
        response = member.client.post(
            SUBSCRIPTION,
            {
                "subscription": {
                    "endpoint": endpoint,
                    "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
                    "standard": standard,
                },
                "data": {"alerts": alerts, "policy": "all"},
            },
            format="json",
        )
        assert response.status_code == 200, response.content
        return response.json()

    def decrypt(self, message: dict) -> dict:
        headers = {name.lower(): value for name, value in message["headers"].items()}
        if headers["content-encoding"] == "aes128gcm":
            plain = http_ece.decrypt(
                message["body"], private_key=self.key, auth_secret=self.auth, version="aes128gcm"
            )
        else:
            params = dict(
                part.split("=", 1) for part in headers["crypto-key"].split(";") if "=" in part
            )
            salt = headers["encryption"].removeprefix("salt=")
            plain = http_ece.decrypt(
                message["body"],
                salt=unb64url(salt),
                dh=unb64url(params["dh"]),
                private_key=self.key,
                auth_secret=self.auth,
                version="aesgcm",
            )
        return json.loads(plain)


def verified_claims(jwt: str, public_key: str) -> dict:
    """The JWT's claims once its ES256 signature checks out against ``public_key``."""
    header, claims, signature = jwt.split(".")
    raw = unb64url(signature)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    key.verify(
        encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")),
        f"{header}.{claims}".encode(),
        ec.ECDSA(hashes.SHA256()),
    )
    assert json.loads(unb64url(header)) == {"typ": "JWT", "alg": "ES256"}
    return json.loads(unb64url(claims))


def favourite(member, status: dict) -> None:
    response = member.client.post(f"/api/v1/statuses/{status['id']}/favourite")
    assert response.status_code == 200, response.content


def test_a_favourite_reaches_the_apps_push_service_encrypted_and_signed(
    alice, bob, push_service, delivery, settings
):
    # given alice's app subscribed for favourites (RFC 8291), and a status of hers
    app = App()
    app.subscribe(alice, push_service.url("/push/alice-phone"), favourite=True, mention=True)
    status = alice.post("Push me a <b>favourite</b> & see")

    # when bob favourites it and the worker's tasks run
    with delivery():
        favourite(bob, status)

    # then one message reached the push service, as the standard says
    assert len(push_service.received) == 1
    message = push_service.received[0]
    headers = {name.lower(): value for name, value in message["headers"].items()}
    assert message["path"] == "/push/alice-phone"
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["content-type"] == "application/octet-stream"
    assert headers["ttl"] == str(48 * 60 * 60)
    assert headers["urgency"] == "normal"
    assert headers["host"] == f"127.0.0.1:{push_service.port}"
    # the app decrypts Mastodon's payload with its private key
    notification = Notification.objects.get(type="favourite")
    payload = app.decrypt(message)
    assert payload == {
        "access_token": alice.token,
        "preferred_locale": "en",
        "notification_id": int(notification.pk),
        "notification_type": "favourite",
        "icon": payload["icon"],
        "title": "Bob favorited your post",
        "body": "Push me a favourite & see",
    }
    assert payload["icon"].startswith(("http://", "https://"))
    # and the VAPID signature is the server's, for this push service, for a while
    scheme, credentials = headers["authorization"].split(" ", 1)
    fields = dict(part.split("=", 1) for part in credentials.split(","))
    assert scheme == "vapid"
    assert fields["k"] == settings.VAPID_PUBLIC_KEY
    claims = verified_claims(fields["t"], settings.VAPID_PUBLIC_KEY)
    assert claims["aud"] == f"https://127.0.0.1:{push_service.port}"
    assert claims["sub"] == "mailto:push-admin@agora.example"
    assert time.time() < claims["exp"] <= time.time() + 24 * 60 * 60


def test_a_legacy_subscription_gets_the_aesgcm_draft_and_a_webpush_jwt(
    alice, bob, push_service, delivery, settings
):
    app = App()
    app.subscribe(alice, push_service.url("/legacy"), standard=False, favourite=True)
    status = alice.post("old school")

    with delivery():
        favourite(bob, status)

    (message,) = push_service.received
    headers = {name.lower(): value for name, value in message["headers"].items()}
    assert headers["content-encoding"] == "aesgcm"
    assert headers["encryption"].startswith("salt=")
    assert f"p256ecdsa={settings.VAPID_PUBLIC_KEY}" in headers["crypto-key"].split(";")
    scheme, jwt = headers["authorization"].split(" ", 1)
    assert scheme == "WebPush"
    assert verified_claims(jwt, settings.VAPID_PUBLIC_KEY)["aud"] == push_service.url("")
    assert app.decrypt(message)["notification_type"] == "favourite"


def test_types_the_app_did_not_ask_for_are_not_pushed(alice, bob, push_service, delivery):
    App().subscribe(alice, push_service.url("/mentions-only"), mention=True)
    status = alice.post("quiet")

    with delivery():
        favourite(bob, status)

    assert push_service.received == []


@pytest.mark.parametrize("status", [404, 410])
def test_a_push_service_that_forgot_the_subscription_ends_it(
    alice, bob, push_service, delivery, status
):
    App().subscribe(alice, push_service.url("/gone"), favourite=True)
    push_service.answers.append((status, {}))
    post = alice.post("anyone there?")

    with delivery():
        favourite(bob, post)

    assert len(push_service.received) == 1
    assert not PushSubscription.objects.exists()


def run_delivery(subscription_id: int, notification_id: int):
    """Run ``feed.push_deliver`` as the worker would; in process, Celery runs its retries
    at once (their countdowns are :func:`retry_countdown`'s, tested below)."""
    from config.celery import app as celery_app

    propagates = celery_app.conf.task_eager_propagates
    celery_app.conf.task_eager_propagates = False  # a retry is a state, not an error here
    try:
        result = push_deliver_task.apply(
            kwargs={"subscription_id": subscription_id, "notification_id": notification_id}
        )
    finally:
        celery_app.conf.task_eager_propagates = propagates
    assert result.state == "SUCCESS", result.result
    return result.result


@pytest.mark.parametrize(
    ("status", "headers"),
    [(429, {"Retry-After": "120"}), (503, {}), (500, {}), (408, {})],
    ids=["429", "503", "500", "408"],
)
def test_a_deferred_delivery_is_tried_again_and_the_subscription_kept(
    alice, bob, push_service, delivery, status, headers
):
    # given a favourite to push, and a push service that defers it once
    subscription = App().subscribe(alice, push_service.url("/busy"), favourite=True)
    favourite(bob, alice.post("try again"))
    notification = Notification.objects.get(type="favourite")
    push_service.answers.append((status, headers))

    # when the worker runs the delivery
    outcome = run_delivery(subscription["id"], notification.pk)

    # then it was tried again and delivered
    assert outcome == "delivered"
    assert len(push_service.received) == 2
    assert PushSubscription.objects.count() == 1


def test_deliveries_stop_after_the_attempts_allowed(alice, bob, push_service, delivery, settings):
    settings.PUSH_MAX_ATTEMPTS = 3
    subscription = App().subscribe(alice, push_service.url("/down"), favourite=True)
    favourite(bob, alice.post("down for good"))
    notification = Notification.objects.get(type="favourite")
    push_service.answers.extend([(503, {})] * 5)

    outcome = run_delivery(subscription["id"], notification.pk)

    assert outcome == "failed"
    assert len(push_service.received) == 3
    assert PushSubscription.objects.count() == 1


@pytest.mark.parametrize(
    ("retries", "retry_after", "countdown"),
    [
        (0, None, 30),
        (1, None, 60),
        (3, None, 240),
        (20, None, 3600),
        (0, 120, 120),
        (0, 10**6, 3600),
    ],
    ids=["first", "second", "fourth", "capped", "retry-after", "retry-after-capped"],
)
def test_the_backoff_doubles_and_honours_retry_after(retries, retry_after, countdown):
    assert retry_countdown(retries=retries, retry_after=retry_after) == countdown


def test_a_receiver_on_a_reused_port_is_checked_against_the_certificates_trusted_now(
    settings, tmp_path
):
    # given a receiver trusted through the bundle, and a request to it (its pool is kept)
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = True
    first_certificate = self_signed_certificate(_folder(tmp_path / "first"))
    first = PushService(*first_certificate)
    settings.AGORA_OUTBOUND_CA_BUNDLE = first_certificate[0]
    assert outbound.request("POST", first.url("/one"), body=b"").status == 201
    port = first.port
    first.stop()

    # when another receiver with its own certificate takes the same port, and the bundle
    # now trusts that certificate
    second_certificate = self_signed_certificate(_folder(tmp_path / "second"))
    second = PushService(*second_certificate, port=port)
    settings.AGORA_OUTBOUND_CA_BUNDLE = second_certificate[0]
    try:
        # then it is reached, checked against the bundle of now, not the first one's
        assert outbound.request("POST", second.url("/two"), body=b"").status == 201
        assert [call["path"] for call in second.received] == ["/two"]
    finally:
        second.stop()


def _folder(path):
    path.mkdir()
    return path


def test_a_push_service_the_server_does_not_trust_is_never_sent_the_message(
    alice, bob, push_service, delivery, settings
):
    # given the receiver's certificate is not among the trusted ones
    subscription = App().subscribe(alice, push_service.url("/untrusted"), favourite=True)
    settings.AGORA_OUTBOUND_CA_BUNDLE = ""
    favourite(bob, alice.post("secret"))
    notification = Notification.objects.get(type="favourite")

    settings.PUSH_MAX_ATTEMPTS = 2

    outcome = run_delivery(subscription["id"], notification.pk)

    # then each TLS handshake fails (retried: a certificate can be fixed), nothing is sent
    assert outcome == "failed"
    assert push_service.received == []
    assert PushSubscription.objects.count() == 1


def test_loopback_and_private_endpoints_are_refused_in_production(
    alice, bob, push_service, delivery, settings
):
    # given the deployment's default: no deliveries to the server's own networks
    subscription = App().subscribe(alice, push_service.url("/internal"), favourite=True)
    settings.AGORA_OUTBOUND_ALLOW_PRIVATE = False
    favourite(bob, alice.post("ssrf?"))
    notification = Notification.objects.get(type="favourite")

    # when the worker runs the delivery
    outcome = run_delivery(subscription["id"], notification.pk)

    # then nothing reached the address, the delivery is given up, the subscription kept
    assert outcome == "refused"
    assert push_service.received == []
    assert PushSubscription.objects.count() == 1


def test_mastodon_py_subscribes_and_decrypts_what_it_is_pushed(
    live_server, transactional_db, push_service, push_configured
):
    """The real client library, over HTTP: its keys (standard base64), its form fields
    (a top-level ``policy``), its legacy decryption of the message it is pushed."""
    from mastodon import Mastodon

    def client_for(user) -> Mastodon:
        token = AccessTokenFactory(user=user, scope="read write follow push").token
        return Mastodon(access_token=token, api_base_url=live_server.url, version_check_mode="none")

    ann, ben = client_for(UserFactory(username="ann")), client_for(UserFactory(username="ben"))
    private, public = ann.push_subscription_generate_keys()

    # given ann subscribes as Mastodon.py does, for favourites from anyone
    created = ann.push_subscription_set(
        push_service.url("/mastodon-py"), public, favourite_events=True, policy="all"
    )
    assert created.server_key == push_configured.VAPID_PUBLIC_KEY
    assert (created.alerts.favourite, created.alerts.mention, created.policy) == (
        True,
        False,
        "all",
    )

    # when ben favourites her status (the server's own after-commit hooks run the tasks)
    status = ann.status_post("as Mastodon.py sees it")
    ben.status_favourite(status)

    # then the message her app receives decrypts to the notification
    deadline = time.monotonic() + 10
    while not push_service.received and time.monotonic() < deadline:
        time.sleep(0.05)
    (message,) = push_service.received
    pushed = ann.push_subscription_decrypt_push(
        message["body"], private, message["headers"]["Encryption"], message["headers"]["Crypto-Key"]
    )
    assert pushed.notification_type == "favourite"
    assert pushed.title == "Ben favorited your post"
    assert pushed.body == "as Mastodon.py sees it"
    notification = ann.notifications()[0]
    assert str(pushed.notification_id) == str(notification.id)

    # and she can change what she is pushed, read it back and unsubscribe
    updated = ann.push_subscription_update(mention_events=True)
    assert (updated.alerts.mention, updated.alerts.favourite) == (True, False)
    assert ann.push_subscription().id == created.id
    ann.push_subscription_delete()
    assert not PushSubscription.objects.exists()
