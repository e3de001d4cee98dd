"""django-axes hooks: what a locked-out client is told.

The client address axes counts comes from ``core.addresses.client_address``.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.utils.translation import gettext as _


def lockout_response(request, credentials, *args, **kwargs):
    """429 in Mastodon's error shape, for the API, the token endpoint and the login page."""
    return JsonResponse(
        {"error": _("Too many failed login attempts. Try again later.")}, status=429
    )
