"""The sign-in pages people see in a browser: ``/auth/login/`` (used by ``/oauth/authorize``),
its two-factor step, and ``/auth/logout/``.

Every password check goes through ``authenticate`` with the request, so django-axes
counts failures; a wrong two-factor code is reported to axes as a failed login too.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib.auth import authenticate, get_user_model, login, logout, user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from apps.accounts.otp import totp_is_enabled, totp_verify_login_code

if TYPE_CHECKING:
    from apps.accounts.models import User

PENDING_SESSION_KEY = "agora_login_pending"
#: Seconds a correct password stays good while the two-factor code is awaited.
PENDING_LOGIN_SECONDS = 300


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("E-mail address or username"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        "invalid_login": _("The e-mail address, username or password is incorrect."),
    }

    def __init__(self, request: HttpRequest, *args, **kwargs):
        self.request = request
        self.user: User | None = None
        super().__init__(*args, **kwargs)

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username and password:
            self.user = authenticate(self.request, username=username, password=password)
            if self.user is None:
                raise forms.ValidationError(self.error_messages["invalid_login"], "invalid_login")
        return self.cleaned_data


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code from your authenticator app"),
        regex=r"^\s*\d{6,8}\s*$",
        max_length=16,
        error_messages={"invalid": _("Enter the 6-digit code.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _redirect_after_login(request: HttpRequest) -> HttpResponse:
    return redirect(_next_url(request) or reverse("accounts-login"))


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    """Step one: e-mail address (or username) and password."""
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    # A valid form has authenticated its user.
    if request.method == "POST" and form.is_valid() and form.user is not None:
        user = form.user
        if totp_is_enabled(user=user):
            request.session[PENDING_SESSION_KEY] = {
                "user_id": str(user.pk),
                "backend": user.backend,
                "since": time.time(),
            }
            target = reverse("accounts-login-code")
            next_url = _next_url(request)
            # Encoded: the authorize request's own "&"s must stay inside ``next``.
            return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)
        login(request, user)
        return _redirect_after_login(request)
    status = 400 if form.is_bound else 200
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/login.html", context, status=status)


def _pending_user(request: HttpRequest):
    pending = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(pending, dict):
        return None, None
    if time.time() - float(pending.get("since", 0)) > PENDING_LOGIN_SECONDS:
        request.session.pop(PENDING_SESSION_KEY, None)
        return None, None
    user = get_user_model()._default_manager.filter(pk=pending.get("user_id")).first()
    if user is None or not user.is_active:
        return None, None
    return user, pending.get("backend")


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_code_view(request: HttpRequest) -> HttpResponse:
    """Step two, for accounts with two-factor authentication: the current code."""
    user, backend = _pending_user(request)
    if user is None:
        return redirect(reverse("accounts-login"))
    form = CodeForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        credentials = {"username": user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            # What axes' middleware reads off the request to answer a lockout.
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            return HttpResponse(status=429)
        device = totp_verify_login_code(user=user, code=form.cleaned_data["code"].strip())
        if device is not None:
            request.session.pop(PENDING_SESSION_KEY, None)
            login(request, user, backend=backend)
            otp_login(request, device)
            return _redirect_after_login(request)
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        form.add_error("code", _("The code is invalid or was already used."))
    status = 400 if form.is_bound else 200
    context = {"form": form, "next": _next_url(request)}
    return render(request, "accounts/login_code.html", context, status=status)


@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    """Sign out (POST); GET asks for confirmation, so a link cannot sign anyone out."""
    if request.method == "POST":
        logout(request)
        return redirect(reverse("accounts-login"))
    return render(request, "accounts/logout.html")
