"""The back office's admin site: staff sign in with a password and a one-time code.

:class:`AgoraAdminSite` is django-otp's ``OTPAdminSite`` (every admin page needs a
session verified by a confirmed device) with a friendlier sign-in form: a code
typed without choosing a device goes to the account's authenticator app when it
looks like a TOTP code and to its backup codes otherwise, an unconfirmed device is
never accepted, and a staff account without any device is told how to get one.
TOTP codes work once (django-otp remembers the last time step) and failed codes
slow further tries; wrong passwords are counted by django-axes as at every login.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class StaffLoginForm(OTPAdminAuthenticationForm):
    """The admin sign-in form: username, password and a two-factor code."""

    otp_token = forms.CharField(
        required=False,
        label=_("Two-factor code"),
        help_text=_("From your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": _("Enter the code from your authenticator app, or a backup code."),
        "invalid_token": _("That code is not valid. Codes work once; wait for the next one."),
    }
    no_device_message = _(
        "This account has no two-factor device, so it cannot sign in to the back office. "
        "An administrator can enrol one with: manage.py otp_enroll %(username)s"
    )

    def clean_otp(self, user) -> None:
        if user is not None and not any(devices_for_user(user, confirmed=True)):
            raise forms.ValidationError(
                self.no_device_message, code="no_device", params={"username": user.get_username()}
            )
        super().clean_otp(user)

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is not None and not device.confirmed:
            return None
        if device is None and not self.cleaned_data.get("otp_device"):
            device = self._default_device(user, (self.cleaned_data.get("otp_token") or "").strip())
        return device

    @staticmethod
    def _default_device(user, token: str):
        """The confirmed device a code typed without a device choice is meant for."""
        if token.isdigit() and len(token) <= 8:
            model = TOTPDevice
        else:
            model = StaticDevice
        return (
            model.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )


class AgoraAdminSite(OTPAdminSite):
    """The admin site, gated by two-factor authentication (see the module docstring)."""

    login_form = StaffLoginForm
    login_template = "admin/otp_login.html"
