"""Staff accounts for admin tests: a role's member, signed in with two-factor verified."""

from django.contrib.auth.models import Group
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from tests.accounts.factories import UserFactory


def staff_member(role: str | None = None, **fields):
    """A staff account in ``role``'s group (``None``: no role) with a confirmed TOTP device."""
    user = UserFactory(is_staff=True, **fields)
    if role is not None:
        user.groups.add(Group.objects.get(name=role))
    user.totpdevice_set.create(name="authenticator app", confirmed=True)
    return user


def verified_client(user) -> Client:
    """A test client signed in as ``user`` whose session passed the two-factor check.

    Logs in the way django_otp.login does (the device's id in the session), so a
    test exercises permissions, not the sign-in form.
    """
    client = Client()
    client.force_login(user)
    device = user.totpdevice_set.filter(confirmed=True).first()
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def current_code(device) -> str:
    """The TOTP code ``device`` accepts right now."""
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{totp.token():0{device.digits}d}"
