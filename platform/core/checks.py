"""Synchronous text checks (link safety, scam phrasing). Protection fills this in.

Lower layers call :func:`check_text` before accepting text, and :func:`check_name`
before accepting a username or a display name (lookalikes of protected accounts);
the protection app registers checkers in its ``AppConfig.ready()``. Without one,
every text and every name passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CheckResult:
    """One checker's verdict: ``score`` 0..1 per category, and whether to refuse the text."""

    checker: str
    scores: dict[str, float] = field(default_factory=dict)
    is_blocking: bool = False
    reason: str = ""


Checker = Callable[[str], CheckResult]
_checkers: list[Checker] = []

NameChecker = Callable[..., CheckResult]
"""Called as ``checker(name, kind=..., account_id=...)``; see :func:`check_name`."""
_name_checkers: list[NameChecker] = []

USERNAME = "username"
DISPLAY_NAME = "display_name"


def register(checker: Checker) -> None:
    if checker not in _checkers:
        _checkers.append(checker)


def unregister(checker: Checker) -> None:
    if checker in _checkers:
        _checkers.remove(checker)


def check_text(text: str) -> list[CheckResult]:
    """Run every registered checker on ``text``; an empty list when none is installed."""
    return [checker(text) for checker in _checkers]


def register_name_checker(checker: NameChecker) -> None:
    if checker not in _name_checkers:
        _name_checkers.append(checker)


def unregister_name_checker(checker: NameChecker) -> None:
    if checker in _name_checkers:
        _name_checkers.remove(checker)


def check_name(name: str, *, kind: str, account_id: int | None = None) -> list[CheckResult]:
    """Run every registered name checker on ``name``, a :data:`USERNAME` or a
    :data:`DISPLAY_NAME` (``account_id``: whose, None at sign-up, so an account never
    looks like itself). A blocking result refuses the name; another is a warning the
    API passes on. An empty list when none is installed."""
    return [checker(name, kind=kind, account_id=account_id) for checker in _name_checkers]
