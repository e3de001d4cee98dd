"""Two-factor authentication for users: TOTP devices (django-otp).

A user sets up a device (unconfirmed), proves it with a first code (confirmed),
and may remove it with a current code. Only a confirmed device makes the login
page ask for a code and makes the password grant refuse the account. django-otp's
``TOTPDevice`` accepts each code once (it remembers the last time step used) and
slows down guessing after failures.
"""

from __future__ import annotations

from base64 import b32encode
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts.models import User
from core import events
from core.errors import Unprocessable

DEVICE_NAME = "Authenticator app"


@dataclass(frozen=True)
class TotpSetup:
    """What an authenticator app needs to start producing codes."""

    device: TOTPDevice
    secret: str
    provisioning_uri: str


def totp_confirmed_device(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def totp_is_enabled(*, user: User) -> bool:
    return totp_confirmed_device(user=user) is not None


@transaction.atomic
def totp_setup_start(*, user: User) -> TotpSetup:
    """Create a fresh unconfirmed TOTP device, replacing any earlier unconfirmed one.

    Raises ``Unprocessable`` when two-factor authentication is already on.
    """
    if totp_is_enabled(user=user):
        raise Unprocessable(_("Two-factor authentication is already enabled."))
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice(user=user, name=DEVICE_NAME, confirmed=False)
    device.full_clean()
    device.save()
    return TotpSetup(
        device=device,
        secret=b32encode(device.bin_key).decode("ascii"),
        provisioning_uri=device.config_url,
    )


def totp_setup_confirm(*, user: User, code: str) -> TOTPDevice:
    """Confirm the pending device with a code from the app: two-factor is then on.

    Not wrapped in one transaction on purpose: a wrong code must leave its mark
    (django-otp's throttle) even though the call fails.
    Raises ``Unprocessable`` when no setup is pending or the code is wrong.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise Unprocessable(_("No two-factor setup is in progress."))
    if not device.verify_token(code):
        raise Unprocessable(_("The two-factor code is invalid."))
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        events.publish(events.AccountUpdated(account_id=user.pk, fields=("two_factor",)))
    return device


def totp_disable(*, user: User, code: str) -> None:
    """Remove the user's TOTP devices, given a current code from the confirmed one.

    As with confirmation, a wrong code's throttle mark outlives the failed call.
    Raises ``Unprocessable`` when two-factor is off or the code is wrong.
    """
    device = totp_confirmed_device(user=user)
    if device is None:
        raise Unprocessable(_("Two-factor authentication is not enabled."))
    if not device.verify_token(code):
        raise Unprocessable(_("The two-factor code is invalid."))
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        events.publish(events.AccountUpdated(account_id=user.pk, fields=("two_factor",)))


def totp_verify_login_code(*, user: User, code: str) -> TOTPDevice | None:
    """The confirmed device that accepts ``code`` (used once), or ``None``."""
    for device in TOTPDevice.objects.devices_for_user(user, confirmed=True):
        if device.verify_token(code):
            return device
    return None
