"""OAuth 2 the way Mastodon clients expect it (django-oauth-toolkit's validator)."""

from __future__ import annotations

from oauth2_provider.oauth2_validators import OAuth2Validator


class MastodonOAuth2Validator(OAuth2Validator):
    """Limits tokens to the scopes the app registered with."""

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        allowed = set(getattr(client, "scope_set", set()) or {"read"})
        return set(scopes) <= allowed and super().validate_scopes(
            client_id, scopes, client, request, *args, **kwargs
        )
