"""Helpers the account management commands share."""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def user_by_username_or_email(identifier: str):
    """The account whose username or e-mail address is ``identifier`` (any case).

    Raises :class:`CommandError` when there is none.
    """
    model = get_user_model()
    lookup = (
        {"email__iexact": identifier} if "@" in identifier else {"username__iexact": identifier}
    )
    user = model._default_manager.filter(**lookup).first()
    if user is None:
        raise CommandError(f"No account with the username or e-mail address {identifier!r}.")
    return user


def command_actor() -> str:
    """Who ran the command, for audit lines: ``manage.py (<os user>)``."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = os.environ.get("USER", "unknown")
    return f"manage.py ({name})"
