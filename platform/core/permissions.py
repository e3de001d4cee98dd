"""Mastodon OAuth scopes as DRF permissions.

A view names the scopes it needs per method, e.g.::

    permission_classes = [HasScope]
    required_scopes = {"GET": "read:accounts", "PATCH": "write:accounts"}

A token's top-level scope covers its sub-scopes (``read`` covers ``read:accounts``)
and the legacy ``follow`` scope covers the follow, block and mute sub-scopes, as
Mastodon has it. Session-authenticated requests (the browsable admin tools) carry
no token and pass the scope check.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import APIException
from rest_framework.permissions import SAFE_METHODS, BasePermission

_FOLLOW_COVERS = {
    "read:follows", "write:follows", "read:blocks", "write:blocks",
    "read:mutes", "write:mutes",
}  # fmt: skip


def scope_is_granted(granted: set[str], required: str) -> bool:
    """Whether a token holding ``granted`` may act with ``required``."""
    if required in granted:
        return True
    parent = required.rsplit(":", 1)[0] if required.count(":") >= 1 else None
    if parent and parent != required and parent in granted:
        return True
    return required in _FOLLOW_COVERS and "follow" in granted


def token_scopes(token) -> set[str]:
    return set((getattr(token, "scope", "") or "").split())


class HasScope(BasePermission):
    """Refuses a token that lacks the view's ``required_scopes`` for this method."""

    message = _("This action is outside the authorized scopes")

    def has_permission(self, request, view) -> bool:
        required = getattr(view, "required_scopes", {})
        needed = required.get(request.method) if isinstance(required, dict) else required
        if not needed:
            return True
        token = request.auth
        if token is None or not hasattr(token, "scope"):
            return True
        granted = token_scopes(token)
        needed_list = [needed] if isinstance(needed, str) else list(needed)
        return all(scope_is_granted(granted, scope) for scope in needed_list)


class UserRequired(APIException):
    status_code = 422
    default_detail = _("This method requires an authenticated user")
    default_code = "user_required"


class HasUser(BasePermission):
    """The request acts for a signed-in account (not a client-credentials app token).

    Without any credentials the answer is 401; with an app's own token it is 422,
    as Mastodon answers (``require_user!``).
    """

    message = UserRequired.default_detail

    def has_permission(self, request, view) -> bool:
        if request.user and request.user.is_authenticated:
            return True
        if request.auth is not None:
            raise UserRequired()
        return False


class HasUserToWrite(HasUser):
    """Reads (``GET``, ``HEAD``, ``OPTIONS``) are open to anybody the scopes let in; every
    other method acts for a signed-in account, as :class:`HasUser`."""

    def has_permission(self, request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().has_permission(request, view)
