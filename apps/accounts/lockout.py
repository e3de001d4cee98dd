"""What a client locked out by django-axes is told."""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _


def lockout_response(request, credentials, *args, **kwargs):
    return JsonResponse(
        {"error": _("Too many failed login attempts. Try again later.")}, status=429
    )
