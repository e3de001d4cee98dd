"""Path converters: Mastodon ids reach views as ints, through one converter.

``<id:status_id>`` matches a decimal id of 1 to 19 digits within a signed 64-bit
column, and hands the view an ``int``. Anything else does not match, so Django
answers 404 (in Mastodon's shape under the API prefixes) and a literal path such
as ``/api/v1/accounts/search`` can never be captured by an id route, whatever the
order of the URL patterns. Registered once, by :class:`core.apps.CoreConfig`.
"""

from __future__ import annotations

from django.urls import register_converter

from core.ids import MAX_ID


class MastodonIdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            # A ValueError means "no match" to Django's resolver: a 404, not a 500.
            raise ValueError("id out of range")
        return number

    def to_url(self, value: int | str) -> str:
        return str(int(value))


def register() -> None:
    register_converter(MastodonIdConverter, "id")
