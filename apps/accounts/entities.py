"""Rendered Account entities, cached by content, as Status entities are (``apps.feed.entities``).

An Account entity is the same for every viewer: it is rendered from the account's row
alone (its counters live on the row), the instance's base URL (``core.base_url``), the
default avatar and header's static URLs (they change with a deploy), whether the
account is suspended or limited right now (a standing ends with the clock alone) and,
for an account whose texts could use one, the custom emoji table's digest. The cache key
is the account's id and a digest of all of these, so any change (a profile edit, a new
follower, a suspension or its end, a renamed emoji) makes a new key: a stale entity is
never read and needs no invalidation, it simply expires.

A page of accounts costs one cache read; only the accounts missing from the cache are
rendered.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from hashlib import blake2b
from typing import Any

from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.templatetags.static import static

from apps.accounts.models import User
from apps.accounts.selectors import LazyEmojiTable, has_shortcodes
from core.base_url import base_url

# How long a rendered entity (an Account here, a Status in apps.feed.entities) is kept.
ENTITY_SECONDS = 3600

# The images an account without its own shows (static files: their URLs carry the hash a
# deploy's collectstatic gives them).
DEFAULT_AVATAR = "accounts/avatar.png"
DEFAULT_HEADER = "accounts/header.png"


@functools.cache
def static_url(path: str) -> str:
    """``static(path)``, looked up once per process.

    The lookup in the static files' manifest costs about 12 µs, and an account's entity
    made four (its avatar and header, each twice): a millisecond on a page of statuses
    rendered afresh. Its answer changes only with a deploy, which starts new processes,
    or with the static settings (in tests: :func:`_static_settings_changed`).
    """
    return static(path)


@receiver(setting_changed)
def _static_settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in {"STATIC_URL", "STATIC_ROOT", "STORAGES", "STATICFILES_DIRS"}:
        static_url.cache_clear()


def deployed() -> str:
    """What a deploy changes in every rendering of an account: the default images' URLs."""
    return f"{static_url(DEFAULT_AVATAR)} {static_url(DEFAULT_HEADER)}"


@functools.cache
def _columns(model: type[models.Model]) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def model_row(obj: models.Model) -> bytes:
    """Every column of a model row as loaded (deferred columns are not fetched)."""
    # map() over the column names, cached per model: a third less CPU than a generator
    # over the fields, for the two to four rows of every status on a page.
    return repr(tuple(map(obj.__dict__.get, _columns(type(obj))))).encode()


def may_use_emojis(account: User) -> bool:
    """Whether ``account``'s rendering could show a custom emoji (its name, note or fields)."""
    texts: list[str | None] = [account.display_name, account.note]
    for item in account.fields or []:
        texts += [item.get("name"), item.get("value")]
    return has_shortcodes(*texts)


def account_key(account: User, *, deployed: str, emojis: str = "") -> str:
    """The cache key of ``account``'s rendering.

    ``deployed`` is what a deploy changes in every rendering (the default images' static
    URLs); ``emojis`` the custom emoji table's digest, for an account that could use one.
    """
    digest = blake2b(base_url().encode(), digest_size=16)
    digest.update(deployed.encode())
    digest.update(emojis.encode())
    digest_account(digest, account)
    return f"entity:account:{account.pk}:{digest.hexdigest()}"


def digest_account(digest, account: User) -> None:
    """Add to ``digest`` what an account's rendering reads of it: its row, and its standing
    in force now (a limit or suspension ends with the clock, writing nothing to the row)."""
    digest.update(model_row(account))
    digest.update(
        b"suspended" if account.is_suspended else b"limited" if account.is_limited else b""
    )


def render_accounts(
    accounts: Sequence[User],
    render: Callable[[User], dict[str, Any]],
    *,
    emojis: LazyEmojiTable,
) -> list[dict[str, Any]]:
    """``accounts`` rendered by ``render``, through the cache (one read for the page).

    ``emojis`` is the table the rendering reads, so a page reads it at most once.
    """
    now_deployed = deployed()
    keys = [
        account_key(
            account, deployed=now_deployed, emojis=emojis.digest if may_use_emojis(account) else ""
        )
        for account in accounts
    ]
    found = cache.get_many(set(keys))
    missing = {
        key: account for key, account in zip(keys, accounts, strict=True) if key not in found
    }
    if missing:
        rendered = {key: render(account) for key, account in missing.items()}
        cache.set_many(rendered, ENTITY_SECONDS)
        found.update(rendered)
    return [dict(found[key]) for key in keys]
