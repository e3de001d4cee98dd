"""Two-factor enrolment for the commands that set staff up (otp_enroll, seed_demo)."""

from __future__ import annotations

import io
import logging
from base64 import b32encode
from dataclasses import dataclass

import qrcode
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

audit_logger = logging.getLogger("agora.audit")

TOTP_DEVICE_NAME = "authenticator app"
BACKUP_DEVICE_NAME = "backup codes"


@dataclass(frozen=True)
class Enrolment:
    """A new TOTP device's secret, as the authenticator app needs it, and backup codes."""

    device: TOTPDevice
    config_url: str
    secret: str
    backup_codes: tuple[str, ...]


def has_totp_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def totp_enrol(*, user, backup_codes: int, replace: bool, actor: str) -> Enrolment:
    """Give ``user`` a confirmed TOTP device and, if asked, ``backup_codes`` static codes.

    With ``replace`` the user's existing TOTP and backup-code devices are deleted
    first (a lost phone); otherwise they are kept and a further device is added.
    Runs in a transaction and writes an audit log line (never the secret).
    """
    with transaction.atomic():
        if replace:
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=True)
        codes: list[str] = []
        if backup_codes:
            static = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
            codes = [StaticToken.random_token() for _ in range(backup_codes)]
            StaticToken.objects.bulk_create(
                StaticToken(device=static, token=code) for code in codes
            )
        audit_logger.info(
            "two-factor device enrolled for %s by %s",
            user.username,
            actor,
            extra={
                "audit": "otp.enrolled",
                "account_id": str(user.pk),
                "account": user.username,
                "backup_codes": len(codes),
                "replaced": replace,
                "actor": actor,
            },
        )
    return Enrolment(
        device=device,
        config_url=device.config_url,
        secret=b32encode(device.bin_key).decode("ascii"),
        backup_codes=tuple(codes),
    )


def qr_code_text(data: str) -> str:
    """``data`` as a QR code drawn with block characters, for a terminal."""
    code = qrcode.QRCode(border=2)
    code.add_data(data)
    buffer = io.StringIO()
    code.print_ascii(out=buffer, invert=True)
    return buffer.getvalue()
