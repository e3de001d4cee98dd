"""What limits an account's reach, and why: the port behind the account standing page.

Agora has no secret shadow-bans. Whatever keeps an account out of a surface (its
followers' home timelines, the public timelines, search, trends, recommendations,
the live directory) is a decision someone can see: the app that applies the limit
registers a provider here in its ``AppConfig.ready()``, written with the very
predicates its surface applies, and the protection app's standing page
(``GET /api/agora/v1/account/standing``) lists what the providers say.

Four kinds of provider, each optional (an app that is not installed limits nothing):

- explainers (:func:`register_explainer`) say which decision put the account in its
  standing. Accounts, which owns the standing, registers the first (from the row
  itself); a higher app that took the decision (moderation) refines it, adding its
  id, its case and whether a person or automation took it. They run in the order
  they were registered, which is ``INSTALLED_APPS`` order, lowest layer first;
- surface providers (:func:`register_provider`) say which surfaces limit or hide the
  account, given the standing's decision (so the decision is read once);
- warning providers (:func:`register_warnings`) list the account's strikes;
- content providers (:func:`register_content`) list the account's content moderation hid
  or removed, and content explainers (:func:`register_content_explainer`) say who did;
- one appeal provider (:func:`set_appeal_provider`) says whether and where a
  decision can be appealed; without one, nothing can be and the page says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HOME = "home"  # followers' home timelines (and the ranked home feed)
PUBLIC = "public"  # the public, hashtag and link timelines
SEARCH = "search"
TRENDS = "trends"
RECOMMENDATIONS = "recommendations"  # follow suggestions and the ranked feed's candidates
LIVE_DIRECTORY = "live_directory"

SURFACES = (HOME, PUBLIC, SEARCH, TRENDS, RECOMMENDATIONS, LIVE_DIRECTORY)


class State:
    """How far a surface shows the account, mildest first."""

    VISIBLE = "visible"
    LIMITED = "limited"
    HIDDEN = "hidden"

    ORDER = (VISIBLE, LIMITED, HIDDEN)

    @classmethod
    def strictest(cls, states: list[str]) -> str:
        return max(states, key=cls.ORDER.index, default=cls.VISIBLE)


class Source:
    """Who took a decision: automation, a person (moderator, staff, operator), or the account."""

    AUTOMATED = "automated"
    HUMAN = "human"
    ACCOUNT = "account"  # the account's own setting (not discoverable, ...)

    ALL = (AUTOMATED, HUMAN, ACCOUNT)


@dataclass(frozen=True)
class Decision:
    """Why something limits the account: the rule, in words, who decided, when, till when.

    ``rule`` is a stable name (``account_standing``, ``moderator_decision``,
    ``strike_policy``, ``live_restriction``, ``not_discoverable``, ``reputation``);
    ``kind`` and ``id`` name the record of the decision (``strike`` 123), ``case_id``
    the moderation case it settled, when there is one.
    """

    rule: str
    reason: str
    source: str
    kind: str = ""
    id: str | None = None
    case_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class Limitation:
    """``surface`` shows the account only ``state`` (limited or hidden) because of ``decision``."""

    surface: str
    state: str
    decision: Decision


@dataclass(frozen=True)
class AccountWarning:
    """One strike (Mastodon's account warning) with the decision that gave it."""

    id: str
    action: str
    text: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    is_active: bool
    decision: Decision
    status_ids: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class ContentLimitation:
    """One piece of the account's content that moderation hid or removed, and why.

    Not an account's reach, but its content's: hidden content reaches only its author,
    removed content no one, on every surface.
    """

    content_type: str
    content_id: str
    state: str  # "hidden" or "removed"
    decision: Decision


@dataclass(frozen=True)
class Appeal:
    """Whether a decision can be appealed, and where (``url``), or why not (``reason``)."""

    available: bool
    reason: str = ""
    url: str | None = None


NO_APPEALS = Appeal(
    available=False,
    reason="Appeals are not open on this server yet: write to its moderators to contest a decision.",
)

# (account, decision so far or None) -> the decision, refined, or None for "no standing".
Explainer = Callable[[Any, Decision | None], Decision | None]
# (account, the standing's decision or None) -> the surfaces that limit or hide it.
Provider = Callable[[Any, Decision | None], list[Limitation]]
WarningsProvider = Callable[[Any], list[AccountWarning]]
ContentProvider = Callable[[Any], list[ContentLimitation]]
# (account, the content limitations so far) -> the same, refined (who decided, the case).
ContentExplainer = Callable[[Any, list[ContentLimitation]], list[ContentLimitation]]
AppealProvider = Callable[[Decision], Appeal]

_explainers: list[Explainer] = []
_providers: list[Provider] = []
_warnings: list[WarningsProvider] = []
_content: list[ContentProvider] = []
_content_explainers: list[ContentExplainer] = []
_appeals: AppealProvider | None = None


def register_explainer(explainer: Explainer) -> None:
    if explainer not in _explainers:
        _explainers.append(explainer)


def unregister_explainer(explainer: Explainer) -> None:
    if explainer in _explainers:
        _explainers.remove(explainer)


def register_provider(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def unregister_provider(provider: Provider) -> None:
    if provider in _providers:
        _providers.remove(provider)


def register_warnings(provider: WarningsProvider) -> None:
    if provider not in _warnings:
        _warnings.append(provider)


def unregister_warnings(provider: WarningsProvider) -> None:
    if provider in _warnings:
        _warnings.remove(provider)


def register_content(provider: ContentProvider) -> None:
    if provider not in _content:
        _content.append(provider)


def unregister_content(provider: ContentProvider) -> None:
    if provider in _content:
        _content.remove(provider)


def register_content_explainer(explainer: ContentExplainer) -> None:
    if explainer not in _content_explainers:
        _content_explainers.append(explainer)


def unregister_content_explainer(explainer: ContentExplainer) -> None:
    if explainer in _content_explainers:
        _content_explainers.remove(explainer)


def set_appeal_provider(provider: AppealProvider | None) -> None:
    """Install (or with ``None`` remove) the function that says how a decision is appealed."""
    global _appeals
    _appeals = provider


def standing_decision(account: Any) -> Decision | None:
    """The decision behind the account's standing in force; None in good standing."""
    decision: Decision | None = None
    for explainer in _explainers:
        decision = explainer(account, decision)
    return decision


def limitations(account: Any, decision: Decision | None) -> list[Limitation]:
    """Every limitation the installed apps apply to ``account`` (``decision``: its standing's)."""
    found: list[Limitation] = []
    for provider in _providers:
        found.extend(provider(account, decision))
    return found


def warnings(account: Any) -> list[AccountWarning]:
    """The account's strikes, newest first."""
    found: list[AccountWarning] = []
    for provider in _warnings:
        found.extend(provider(account))
    return sorted(found, key=lambda warning: warning.created_at, reverse=True)


def content_limitations(account: Any) -> list[ContentLimitation]:
    """The account's content that moderation hid or removed, explained, newest first."""
    found: list[ContentLimitation] = []
    for provider in _content:
        found.extend(provider(account))
    for explainer in _content_explainers:
        found = explainer(account, found)
    return found


def appeal_for(decision: Decision) -> Appeal:
    """How ``decision`` can be appealed. The account's own settings are its to change."""
    if decision.source == Source.ACCOUNT:
        return Appeal(
            available=False, reason="This is your own setting: change it in your profile."
        )
    if _appeals is None:
        return NO_APPEALS
    return _appeals(decision)
