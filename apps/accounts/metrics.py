"""Accounts' Prometheus metrics, served at /metrics by django-prometheus.

Failed sign-ins are counted by core (``agora_authentication_failures_total``); the
lockouts they lead to (django-axes) are counted here.
"""

from typing import Any

from prometheus_client import Counter

lockouts_total = Counter(
    "accounts_lockouts",
    "Sign-ins refused because too many failed (django-axes lockouts), after the failure "
    "that locked the account or address out.",
)


def _locked_out(sender: Any, **kwargs: Any) -> None:
    lockouts_total.inc()


def connect() -> None:
    """Count django-axes' lockouts (its ``user_locked_out`` signal)."""
    from axes.signals import user_locked_out

    user_locked_out.connect(_locked_out, dispatch_uid="accounts.metrics.locked_out")
