"""Writes of filters (Mastodon's CustomFilter, its keywords and statuses), v2 and v1.

Every write runs in a transaction and validates everything before it saves, so a
refused request (``core.errors.Invalid``, 422 with Mastodon's ``details``) writes
nothing. The v1 API sees each keyword as a filter of its own: :func:`filter_v1_create`
makes a filter of one keyword, :func:`filter_v1_update` edits both, and refuses to
change a filter several keywords share, as Mastodon does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.feed.models import Filter, FilterKeyword, FilterStatus, Status
from core import errors
from core.ids import parse_id
from core.params import truthy


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset()
"""An argument left out: the field keeps its value (``None`` is a value: no expiry)."""

TITLE_MAX = Filter._meta.get_field("title").max_length or 256
KEYWORD_MAX = FilterKeyword._meta.get_field("keyword").max_length or 512
CONTEXTS = frozenset(Filter.Context.values)
ACTIONS = frozenset(Filter.Action.values)
MAX_EXPIRES_IN = 10 * 365 * 24 * 3600


def _blank() -> str:
    return _("can't be blank")


def _clean_title(title: Any, *, field: str = "title") -> str:
    text = title.strip() if isinstance(title, str) else ""
    if not text:
        raise errors.Invalid({field: [_blank()]})
    if len(text) > TITLE_MAX:
        raise errors.Invalid(
            {field: [_("is too long (maximum is %(n)d characters)") % {"n": TITLE_MAX}]}
        )
    return text


def _clean_context(context: Any) -> list[str]:
    """The contexts, stripped, blanks dropped, each once; refused when none or unknown."""
    values = [context] if isinstance(context, str) else context
    if not isinstance(values, Iterable):
        raise errors.Invalid({"context": [_("None or invalid context supplied")]})
    cleaned: list[str] = []
    for value in values:
        if not isinstance(value, str):
            raise errors.Invalid({"context": [_("None or invalid context supplied")]})
        value = value.strip()
        if value and value not in cleaned:
            cleaned.append(value)
    if not cleaned or not CONTEXTS.issuperset(cleaned):
        raise errors.Invalid({"context": [_("None or invalid context supplied")]})
    return cleaned


def _clean_action(action: Any) -> str:
    if action not in ACTIONS:
        raise errors.Invalid(
            {"filter_action": [_("'%(value)s' is not a valid filter_action") % {"value": action}]}
        )
    return str(action)


def _expires_at(expires_in: Any) -> dt.datetime | None:
    """``expires_in`` seconds from now; None (no expiry) for a blank, null or 0 value.

    Raises Invalid for anything but a whole number of seconds (at most ten years).
    """
    if expires_in is None or (isinstance(expires_in, str) and not expires_in.strip()):
        return None
    if isinstance(expires_in, bool | float | list | dict):
        raise errors.Invalid({"expires_in": [_("must be a whole number of seconds")]})
    try:
        seconds = int(str(expires_in).strip())
    except ValueError:
        raise errors.Invalid({"expires_in": [_("must be a whole number of seconds")]}) from None
    if not 0 <= seconds <= MAX_EXPIRES_IN:
        raise errors.Invalid({"expires_in": [_("must be a whole number of seconds")]})
    return timezone.now() + dt.timedelta(seconds=seconds) if seconds else None


def _clean_keyword(keyword: Any, *, field: str = "keyword") -> str:
    """The keyword as given (spaces around it count in matching, as Mastodon's); refused
    when blank or too long."""
    text = keyword if isinstance(keyword, str) else ""
    if not text.strip():
        raise errors.Invalid({field: [_blank()]})
    if len(text) > KEYWORD_MAX:
        raise errors.Invalid(
            {field: [_("is too long (maximum is %(n)d characters)") % {"n": KEYWORD_MAX}]}
        )
    return text


def _clean_whole_word(value: Any) -> bool:
    return True if value is None or value == "" else truthy(value)


def _is_all_blank(attributes: Mapping[str, Any]) -> bool:
    """Rails' ``reject_if: :all_blank``: every attribute but ``_destroy`` is blank (as Ruby's
    ``blank?``: None, False, or blank text)."""
    return all(
        value is None or value is False or (isinstance(value, str) and not value.strip())
        for name, value in attributes.items()
        if name != "_destroy"
    )


# Filters (v2) ------------------------------------------------------------------


def filter_create(
    *,
    account,
    title: Any,
    context: Any,
    action: Any = Filter.Action.WARN,
    expires_in: Any = None,
    keywords: Sequence[Mapping[str, Any]] = (),
) -> Filter:
    """A new filter of ``account`` with ``keywords`` (``{"keyword", "whole_word"}`` each).

    A filter may have no keywords (it may name statuses later), as Mastodon allows.
    Raises Invalid: a blank or too long title, no or an unknown context, an unknown
    action, a bad ``expires_in``, a blank keyword. Nothing is written then.
    """
    new = Filter(
        account=account,
        title=_clean_title(title),
        context=_clean_context(context),
        action=_clean_action(action),
        expires_at=_expires_at(expires_in),
    )
    rows = [
        FilterKeyword(
            keyword=_clean_keyword(item.get("keyword"), field="keywords.keyword"),
            whole_word=_clean_whole_word(item.get("whole_word")),
        )
        for item in keywords
        if not _is_all_blank(item) and not truthy(item.get("_destroy", False))
    ]
    with transaction.atomic():
        new.save()
        for row in rows:
            row.filter = new
        FilterKeyword.objects.bulk_create(rows)
    return new


def filter_update(
    *,
    filter: Filter,
    title: Any = UNSET,
    context: Any = UNSET,
    action: Any = UNSET,
    expires_in: Any = UNSET,
    keywords_attributes: Sequence[Mapping[str, Any]] = (),
) -> Filter:
    """Change the fields given; add, change or remove keywords as Rails' nested attributes.

    Each of ``keywords_attributes`` with an ``id`` changes that keyword of the filter
    (removes it with a true ``_destroy``); one without adds a keyword (all blank: skipped).
    Raises NotFound for a keyword id of another filter, Invalid as :func:`filter_create`.
    """
    if title is not UNSET:
        filter.title = _clean_title(title)
    if context is not UNSET:
        filter.context = _clean_context(context)
    if action is not UNSET:
        filter.action = _clean_action(action)
    if expires_in is not UNSET:
        filter.expires_at = _expires_at(expires_in)
    existing = {keyword.pk: keyword for keyword in FilterKeyword.objects.filter(filter=filter)}
    changed: list[FilterKeyword] = []
    added: list[FilterKeyword] = []
    removed: list[int] = []
    for item in keywords_attributes:
        keyword_id = item.get("id")
        if keyword_id not in (None, ""):
            row = existing.get(parse_id(keyword_id) or 0)
            if row is None:
                raise errors.NotFound(_("Record not found"))
            if truthy(item.get("_destroy", False)):
                removed.append(row.pk)
                continue
            if "keyword" in item:
                row.keyword = _clean_keyword(item["keyword"], field="keywords.keyword")
            if "whole_word" in item:
                row.whole_word = _clean_whole_word(item["whole_word"])
            changed.append(row)
        elif not _is_all_blank(item) and not truthy(item.get("_destroy", False)):
            added.append(
                FilterKeyword(
                    filter=filter,
                    keyword=_clean_keyword(item.get("keyword"), field="keywords.keyword"),
                    whole_word=_clean_whole_word(item.get("whole_word")),
                )
            )
    with transaction.atomic():
        filter.save()
        if removed:
            FilterKeyword.objects.filter(filter=filter, pk__in=removed).delete()
        for row in changed:
            row.save(update_fields=["keyword", "whole_word", "updated_at"])
        FilterKeyword.objects.bulk_create(added)
    return filter


def filter_delete(*, filter: Filter) -> None:
    """Delete the filter with its keywords and statuses."""
    with transaction.atomic():
        filter.delete()


# Keywords (v2) -----------------------------------------------------------------


def filter_keyword_add(*, filter: Filter, keyword: Any, whole_word: Any = None) -> FilterKeyword:
    """A new keyword of ``filter``. Raises Invalid for a blank or too long keyword."""
    row = FilterKeyword(
        filter=filter, keyword=_clean_keyword(keyword), whole_word=_clean_whole_word(whole_word)
    )
    with transaction.atomic():
        row.save()
    return row


def filter_keyword_update(
    *, keyword: FilterKeyword, text: Any = UNSET, whole_word: Any = UNSET
) -> FilterKeyword:
    """Change a keyword's text or ``whole_word``. Raises Invalid for a blank keyword."""
    if text is not UNSET:
        keyword.keyword = _clean_keyword(text)
    if whole_word is not UNSET:
        keyword.whole_word = _clean_whole_word(whole_word)
    with transaction.atomic():
        keyword.save()
    return keyword


def filter_keyword_delete(*, keyword: FilterKeyword) -> None:
    """Remove a keyword (its filter stays, as Mastodon's, even with no keyword left)."""
    with transaction.atomic():
        keyword.delete()


# Statuses (v2) -----------------------------------------------------------------


def filter_status_add(*, filter: Filter, status_id: Any) -> FilterStatus:
    """``filter`` matches status ``status_id`` (and its reblogs).

    Raises Invalid when the status does not exist or its owner may not see it, or when
    the filter already names it.
    """
    found_id = parse_id(status_id)
    visible = Status.objects.visible_to(filter.account).filter(pk=found_id or 0)
    if found_id is None or not visible.exists():
        raise errors.Invalid({"status_id": [_("is invalid")]})
    if FilterStatus.objects.filter(filter=filter, status_id=found_id).exists():
        raise errors.Invalid({"status_id": [_("has already been taken")]})
    row = FilterStatus(filter=filter, status_id=found_id)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # the same status added by a concurrent request
        raise errors.Invalid({"status_id": [_("has already been taken")]}) from None
    return row


def filter_status_delete(*, filter_status: FilterStatus) -> None:
    with transaction.atomic():
        filter_status.delete()


# The v1 API: one keyword is one filter ------------------------------------------


def _v1_action(irreversible: Any) -> str:
    return Filter.Action.HIDE if truthy(irreversible) else Filter.Action.WARN


def filter_v1_create(
    *,
    account,
    phrase: Any,
    context: Any,
    irreversible: Any = False,
    whole_word: Any = None,
    expires_in: Any = None,
) -> FilterKeyword:
    """A filter titled ``phrase`` with ``phrase`` as its one keyword; the keyword is the
    v1 filter. ``irreversible`` makes it ``hide``, otherwise ``warn``.

    Raises Invalid: a blank phrase, no or an unknown context, a bad ``expires_in``.
    """
    text = _clean_keyword(phrase, field="phrase")
    new = Filter(
        account=account,
        title=_clean_title(text, field="phrase"),
        context=_clean_context(context),
        action=_v1_action(irreversible),
        expires_at=_expires_at(expires_in),
    )
    with transaction.atomic():
        new.save()
        keyword = FilterKeyword.objects.create(
            filter=new, keyword=text, whole_word=_clean_whole_word(whole_word)
        )
    return keyword


def filter_v1_update(
    *,
    keyword: FilterKeyword,
    phrase: Any = UNSET,
    context: Any = UNSET,
    irreversible: Any = UNSET,
    whole_word: Any = UNSET,
    expires_in: Any = UNSET,
) -> FilterKeyword:
    """Change a v1 filter: the keyword, and the filter it belongs to.

    Raises Invalid as :func:`filter_v1_create`, and when the filter's own fields would
    change while other keywords share it (Mastodon refuses that through the v1 API).
    """
    parent = keyword.filter
    if phrase is not UNSET:
        keyword.keyword = _clean_keyword(phrase, field="phrase")
        parent.title = _clean_title(keyword.keyword, field="phrase")
    if whole_word is not UNSET:
        keyword.whole_word = _clean_whole_word(whole_word)
    if context is not UNSET:
        parent.context = _clean_context(context)
    if irreversible is not UNSET:
        parent.action = _v1_action(irreversible)
    if expires_in is not UNSET:
        parent.expires_at = _expires_at(expires_in)
    stored = Filter.objects.get(pk=parent.pk)
    parent_changed = (stored.title, stored.context, stored.action, stored.expires_at) != (
        parent.title,
        parent.context,
        parent.action,
        parent.expires_at,
    )
    if parent_changed and FilterKeyword.objects.filter(filter=parent).count() > 1:
        raise errors.Invalid(
            _(
                "These parameters cannot be changed from this application because they apply "
                "to more than one filter keyword. Use a more recent application."
            )
        )
    with transaction.atomic():
        keyword.save()
        if parent_changed:
            parent.save()
    return keyword
