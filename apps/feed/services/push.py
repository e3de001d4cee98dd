"""Writes of Web Push: subscriptions, and the encrypted delivery of notifications.

As Mastodon 4.5 does it (``Api::V1::Push::SubscriptionsController``,
``Web::PushSubscription``, ``Web::PushNotificationWorker``):

- An app subscribes one endpoint per access token (subscribing again replaces it;
  revoking the token deletes it), with the P-256 public key and 16-byte secret the
  message is encrypted to, the notification types it wants (``alerts``) and whose
  notifications it wants at all (``policy``).
- Each notification created (:mod:`.notifications`) enqueues ``feed.push_notify``
  after commit, when push is configured; that task picks the subscriptions the
  notification passes (:func:`apps.feed.selectors.push.push_deliveries`) and
  enqueues one ``feed.push_deliver`` each, which encrypts Mastodon's payload (RFC
  8291 ``aes128gcm``, or the legacy ``aesgcm`` draft for subscriptions that are not
  ``standard``), signs it with the server's VAPID key (RFC 8292) and POSTs it.

Deliveries never reach loopback, private, link-local or reserved addresses unless
``AGORA_OUTBOUND_ALLOW_PRIVATE`` (the tests' local receiver): the endpoint's name is
resolved once, every address it resolves to must be public, and the connection goes
to that address (so a second lookup cannot change the answer).
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import logging
import os
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from oauth2_provider.models import get_access_token_model
from py_vapid import Vapid01, Vapid02, VapidException

from apps.accounts.entities import DEFAULT_AVATAR, static_url
from apps.feed.models import Notification, PushSubscription
from apps.feed.selectors import push as push_selectors
from core import errors, outbound, push, queue
from core.base_url import absolute_url
from core.params import truthy

logger = logging.getLogger(__name__)

POLICIES = [choice.value for choice in PushSubscription.Policy]
MAX_ENDPOINT_LENGTH = 2048
# How long a push service keeps an undelivered message (Mastodon's 48 hours).
TTL_SECONDS = 48 * 60 * 60
URGENCY = "normal"
BODY_LENGTH = 140
# A push service's answer is a few bytes; more is not read.
MAX_ANSWER_BYTES = 64 * 1024


# --- Subscriptions -----------------------------------------------------------------


def _key_bytes(value: Any) -> bytes | None:
    """``value`` decoded from base64url (or standard base64), padded or not; None if
    it is not base64 at all."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().rstrip("=").replace("+", "-").replace("/", "_")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None


def _endpoint_errors(endpoint: Any) -> list[str]:
    if not isinstance(endpoint, str) or not endpoint:
        return [_("can't be blank")]
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        return [_("is too long (maximum is %(count)d characters)") % {"count": MAX_ENDPOINT_LENGTH}]
    try:
        parts = urlsplit(endpoint)
        has_port = parts.port is None or parts.port > 0
    except ValueError:
        return [_("is not a valid URL")]
    if not has_port or parts.scheme != "https" or not parts.hostname or re.search(r"\s", endpoint):
        return [_("is not a valid https URL")]
    if parts.username is not None or parts.password is not None:
        return [_("must not carry credentials")]
    return []


def _validated_keys(*, p256dh: Any, auth: Any) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    public = _key_bytes(p256dh)
    try:
        if public is None or len(public) != 65 or public[0] != 4:
            raise ValueError(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
    except ValueError:
        problems["keys.p256dh"] = [
            _("is not a base64url-encoded uncompressed P-256 public key (65 bytes)")
        ]
    secret = _key_bytes(auth)
    if secret is None or len(secret) != 16:
        problems["keys.auth"] = [_("is not a base64url-encoded 16-byte secret")]
    return problems


def _validated_data(*, alerts: Any, policy: Any) -> tuple[dict[str, bool], str]:
    """The alerts (known types only, as booleans) and the policy ("all" when not given).

    Raises Invalid for a policy that is not one of :data:`POLICIES`, or alerts that
    are not a mapping.
    """
    if policy in (None, ""):
        policy = PushSubscription.Policy.ALL.value
    if policy not in POLICIES:
        raise errors.Invalid(
            {"policy": [_("must be one of %(choices)s") % {"choices": ", ".join(POLICIES)}]}
        )
    if alerts is None:
        alerts = {}
    if not isinstance(alerts, dict):
        raise errors.Invalid({"alerts": [_("must be an object of notification types")]})
    chosen = {}
    for name in push_selectors.ALERT_TYPES:
        if name in alerts:
            chosen[name] = truthy(alerts[name])
    return chosen, policy


@transaction.atomic
def push_subscription_create(
    *,
    account,
    access_token,
    endpoint: Any,
    p256dh: Any,
    auth: Any,
    standard: bool = False,
    alerts: Any = None,
    policy: Any = None,
) -> PushSubscription:
    """Subscribe ``endpoint`` for ``access_token``, replacing the token's subscription.

    Raises Unprocessable (422) when the server has no VAPID key pair (a lasting state of
    the deployment, not an outage to retry), Invalid (422) for an endpoint that is not
    an https URL, a key that is not a P-256 point, a secret that is not 16 bytes, or an
    unknown policy; nothing is written then.
    """
    if not push.is_configured():
        raise errors.Unprocessable(_("Push notifications are not configured on this server"))
    problems: dict[str, list[str]] = {}
    if endpoint_problems := _endpoint_errors(endpoint):
        problems["endpoint"] = endpoint_problems
    problems.update(_validated_keys(p256dh=p256dh, auth=auth))
    if problems:
        raise errors.Invalid(problems)
    chosen, policy = _validated_data(alerts=alerts, policy=policy)
    # One subscription per token: concurrent subscriptions with it wait on its row.
    get_access_token_model().objects.select_for_update().filter(pk=access_token.pk).first()
    PushSubscription.objects.filter(access_token=access_token).delete()
    return PushSubscription.objects.create(
        account=account,
        access_token=access_token,
        endpoint=endpoint,
        key_p256dh=p256dh.strip(),
        key_auth=auth.strip(),
        standard=bool(standard),
        alerts=chosen,
        policy=policy,
    )


@transaction.atomic
def push_subscription_update(*, access_token, alerts: Any = None, policy: Any = None):
    """Replace the alerts and policy of ``access_token``'s subscription, as Mastodon does
    (what is not given is off, and the policy back to "all").

    Raises NotFound without a subscription, Invalid for an unknown policy.
    """
    subscription = push_selectors.push_subscription_for_token(access_token=access_token)
    chosen, policy = _validated_data(alerts=alerts, policy=policy)
    subscription.alerts = chosen
    subscription.policy = policy
    subscription.save(update_fields=["alerts", "policy", "updated_at"])
    return subscription


def push_subscription_delete(*, access_token) -> None:
    """Delete ``access_token``'s subscription, if it has one (Mastodon answers {} either way)."""
    PushSubscription.objects.filter(access_token=access_token).delete()


# --- Delivery ----------------------------------------------------------------------


def notifications_push_on_commit(*, notifications: list[Notification]) -> None:
    """After commit, have the notifications pushed to their recipients' subscriptions.

    Nothing at all (no task, no query) while push is not configured: no subscription
    can exist then.
    """
    if not notifications or not push.is_configured():
        return
    queue.send_on_commit(
        "feed.push_notify", notification_ids=[notification.pk for notification in notifications]
    )


def push_notify(*, notification_ids: list[int]) -> int:
    """Enqueue one ``feed.push_deliver`` per subscription each notification is pushed to."""
    deliveries = push_selectors.push_deliveries(notification_ids=notification_ids)
    for subscription_id, notification_id in deliveries:
        queue.send_on_commit(
            "feed.push_deliver", subscription_id=subscription_id, notification_id=notification_id
        )
    return len(deliveries)


class PushRetry(Exception):  # noqa: N818 (a signal to the task, not an error to report)
    """The push service asked to be tried again later (429, 5xx, or out of reach)."""

    def __init__(self, reason: str, *, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PushRefused(Exception):  # noqa: N818
    """The endpoint may not be called (an address the SSRF guard refuses)."""


@dataclass(frozen=True)
class PushAnswer:
    status: int
    headers: dict[str, str]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _avatar_url(account) -> str:
    return absolute_url(account.avatar.url if account.avatar else static_url(DEFAULT_AVATAR))


def _title(notification: Notification, name: str) -> str:
    titles = {
        "mention": _("You were mentioned by %(name)s"),
        "status": _("%(name)s just posted"),
        "reblog": _("%(name)s boosted your post"),
        "follow": _("%(name)s is now following you"),
        "follow_request": _("Pending follower: %(name)s"),
        "favourite": _("%(name)s favorited your post"),
        "poll": _("A poll by %(name)s has ended"),
        "update": _("%(name)s edited a post"),
    }
    return titles.get(notification.type, _("New notification from %(name)s")) % {"name": name}


def _body(notification: Notification) -> str:
    status = notification.status
    text = (status.spoiler_text or status.text) if status is not None else ""
    text = text or notification.from_account.note or ""
    text = html.unescape(re.sub(r"<[^>]*>", "", text)).strip()
    if len(text) > BODY_LENGTH:
        text = text[: BODY_LENGTH - 3] + "..."
    return text


def push_payload(*, subscription: PushSubscription, notification: Notification) -> dict:
    """Mastodon's Web::NotificationSerializer: what the app's push handler decrypts."""
    locale = subscription.account.locale or settings.LANGUAGE_CODE
    sender = notification.from_account
    with translation.override(locale):
        title = _title(notification, sender.display_name or sender.username)
    return {
        "access_token": subscription.access_token.token,
        "preferred_locale": locale,
        "notification_id": int(notification.pk),
        "notification_type": notification.type,
        "icon": _avatar_url(sender),
        "title": title,
        "body": _body(notification),
    }


def _encrypt(subscription: PushSubscription, plaintext: bytes) -> tuple[bytes, dict[str, str]]:
    """The body and encryption headers for ``subscription``: RFC 8291 ``aes128gcm``
    (keys inside the body) when it is standard, the ``aesgcm`` draft otherwise."""
    receiver = _key_bytes(subscription.key_p256dh)
    secret = _key_bytes(subscription.key_auth)
    sender = ec.generate_private_key(ec.SECP256R1())
    if subscription.standard:
        body = http_ece.encrypt(
            plaintext, private_key=sender, dh=receiver, auth_secret=secret, version="aes128gcm"
        )
        return body, {"Content-Encoding": "aes128gcm"}
    salt = os.urandom(16)
    body = http_ece.encrypt(
        plaintext,
        salt=salt,
        private_key=sender,
        dh=receiver,
        auth_secret=secret,
        version="aesgcm",
    )
    sender_public = sender.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return body, {
        "Content-Encoding": "aesgcm",
        "Encryption": f"salt={_b64url(salt)}",
        "Crypto-Key": f"dh={_b64url(sender_public)}",
    }


def _vapid_headers(*, endpoint: str, standard: bool, headers: dict[str, str]) -> dict[str, str]:
    """The VAPID signature (RFC 8292 ``vapid t=,k=``; the draft's ``WebPush`` JWT with
    ``p256ecdsa`` in Crypto-Key for legacy subscriptions), valid 12 hours."""
    parts = urlsplit(endpoint)
    audience = f"{parts.scheme}://{parts.netloc}"
    contact = settings.VAPID_CONTACT or f"mailto:{settings.AGORA_CONTACT_EMAIL}"
    claims = {"aud": audience, "exp": int(time.time()) + 12 * 60 * 60, "sub": contact}
    signer = (Vapid02 if standard else Vapid01).from_raw(settings.VAPID_PRIVATE_KEY.encode())
    signer.conf = {"no-strict": True}
    if standard:
        return {"Authorization": signer.sign(claims)["Authorization"]}
    signed = signer.sign(claims, crypto_key=headers["Crypto-Key"])
    return {"Authorization": signed["Authorization"], "Crypto-Key": signed["Crypto-Key"]}


def _post(endpoint: str, *, body: bytes, headers: dict[str, str]) -> PushAnswer:
    """POST ``body`` to ``endpoint`` through :mod:`core.outbound` (public addresses only,
    the certificate checked against the endpoint's host name); no redirects, no retries
    here."""
    try:
        answer = outbound.request(
            "POST",
            endpoint,
            body=body,
            headers=headers,
            max_bytes=MAX_ANSWER_BYTES,
            timeout=settings.PUSH_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
    except outbound.OutboundRefused as error:
        raise PushRefused(str(error)) from error
    except outbound.OutboundError as error:
        raise PushRetry(str(error)) from error
    return PushAnswer(status=answer.status, headers=answer.headers)


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return int(value.strip())
    return None


def push_deliver(*, subscription_id: int, notification_id: int) -> str:
    """Encrypt, sign and POST one notification to one subscription; the outcome's name.

    ``delivered`` (2xx), ``gone`` (the subscription or the notification no longer
    exists, or its type is no longer wanted), ``unsubscribed`` (404 or 410: the
    subscription is deleted), ``refused`` (another 4xx, or an endpoint the SSRF
    guard refuses: given up). Raises PushRetry on 408, 429, 5xx or a network error,
    for the task to try again later.
    """
    subscription, notification = push_selectors.push_delivery_get(
        subscription_id=subscription_id, notification_id=notification_id
    )
    if subscription is None or notification is None:
        return "gone"
    if not push.is_configured() or not push_selectors.is_alert_enabled(
        subscription, notification.type
    ):
        return "gone"
    payload = push_payload(subscription=subscription, notification=notification)
    body, headers = _encrypt(subscription, json.dumps(payload).encode())
    try:
        headers.update(
            _vapid_headers(
                endpoint=subscription.endpoint, standard=subscription.standard, headers=headers
            )
        )
    except VapidException as error:
        logger.error("push: VAPID signature failed: %s", error)
        return "refused"
    headers.update(
        {"Content-Type": "application/octet-stream", "TTL": str(TTL_SECONDS), "Urgency": URGENCY}
    )
    try:
        answer = _post(subscription.endpoint, body=body, headers=headers)
    except PushRefused as error:
        logger.warning("push: subscription %s not delivered: %s", subscription.pk, error)
        return "refused"
    if 200 <= answer.status < 300:
        return "delivered"
    if answer.status in (404, 410):
        PushSubscription.objects.filter(pk=subscription.pk).delete()
        return "unsubscribed"
    if answer.status in (408, 429) or answer.status >= 500:
        raise PushRetry(
            f"push service answered {answer.status}",
            retry_after=_retry_after(answer.headers.get("retry-after")),
        )
    logger.warning("push: subscription %s refused with %s", subscription.pk, answer.status)
    return "refused"
