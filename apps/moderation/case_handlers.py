"""Event subscriptions (filled in by its owner)."""


def connect() -> None:
    pass
