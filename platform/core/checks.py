"""Synchronous text checks (link safety, scam phrasing). Protection fills this in.

Lower layers call :func:`check_text` before accepting text; the protection app
registers checkers in its ``AppConfig.ready()``. Without one, every text passes.
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


def register(checker: Checker) -> None:
    if checker not in _checkers:
        _checkers.append(checker)


def unregister(checker: Checker) -> None:
    if checker in _checkers:
        _checkers.remove(checker)


def check_text(text: str) -> list[CheckResult]:
    """Run every registered checker on ``text``; an empty list when none is installed."""
    return [checker(text) for checker in _checkers]
