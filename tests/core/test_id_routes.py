"""Mastodon ids in paths: one converter, a JSON 404 for anything else, literal routes never captured.

Every id in a path of the feed, media, accounts and jobs routes goes through the
``<id:...>`` converter (core.converters): a non-numeric, negative or out-of-range
id does not match, and the answer is Mastodon's ``{"error": "Record not found"}``
before any view or service runs.
"""

import pytest
from django.urls import Resolver404, URLPattern, URLResolver, resolve
from django.urls.resolvers import RegexPattern

from apps.accounts import urls as accounts_urls
from apps.feed.api import urls as feed_urls
from apps.media.api import urls as media_urls
from core.ids import MAX_ID

NOT_FOUND = {"error": "Record not found"}

# (method, path with {id}): one route per id-taking view of the slice.
ID_ROUTES = [
    ("get", "/api/v1/statuses/{id}"),
    ("get", "/api/v1/statuses/{id}/context"),
    ("get", "/api/v1/statuses/{id}/history"),
    ("get", "/api/v1/statuses/{id}/source"),
    ("get", "/api/v1/statuses/{id}/favourited_by"),
    ("get", "/api/v1/statuses/{id}/reblogged_by"),
    ("post", "/api/v1/statuses/{id}/favourite"),
    ("get", "/api/v1/scheduled_statuses/{id}"),
    ("get", "/api/v1/accounts/{id}"),
    ("get", "/api/v1/accounts/{id}/statuses"),
    ("get", "/api/v1/accounts/{id}/followers"),
    ("get", "/api/v1/accounts/{id}/following"),
    ("post", "/api/v1/accounts/{id}/follow"),
    ("post", "/api/v1/accounts/{id}/unblock"),
    ("post", "/api/v1/follow_requests/{id}/authorize"),
    ("post", "/api/v1/follow_requests/{id}/reject"),
    ("get", "/api/v1/notifications/{id}"),
    ("post", "/api/v1/notifications/{id}/dismiss"),
    ("get", "/api/v1/polls/{id}"),
    ("post", "/api/v1/polls/{id}/votes"),
    ("get", "/api/v1/statuses/{id}/quotes"),
    ("post", "/api/v1/statuses/{id}/quotes/{id}/revoke"),
    ("put", "/api/v1/statuses/{id}/interaction_policy"),
    ("get", "/api/v1/media/{id}"),
    ("get", "/api/agora/v1/uploads/{id}"),
    ("post", "/api/agora/v1/uploads/{id}/finish"),
    ("get", "/api/agora/v1/jobs/{id}"),
    ("post", "/api/v1/announcements/{id}/dismiss"),
    ("put", "/api/v1/announcements/{id}/reactions/%F0%9F%91%8D"),
    ("post", "/api/v1/conversations/{id}/read"),
    ("delete", "/api/v1/conversations/{id}"),
    ("post", "/api/v1/statuses/{id}/mute"),
    ("post", "/api/v1/statuses/{id}/unmute"),
    ("get", "/api/v2/filters/{id}"),
    ("get", "/api/v2/filters/{id}/keywords"),
    ("get", "/api/v2/filters/{id}/statuses"),
    ("get", "/api/v2/filters/keywords/{id}"),
    ("get", "/api/v2/filters/statuses/{id}"),
    ("get", "/api/v1/filters/{id}"),
    ("post", "/api/v1/accounts/{id}/note"),
    ("post", "/api/v1/accounts/{id}/remove_from_followers"),
    ("post", "/api/v1/accounts/{id}/pin"),
    ("post", "/api/v1/accounts/{id}/unendorse"),
    ("get", "/api/v1/accounts/{id}/endorsements"),
    ("get", "/api/v1/accounts/{id}/featured_tags"),
    ("delete", "/api/v1/suggestions/{id}"),
    ("delete", "/api/v1/featured_tags/{id}"),
    ("get", "/api/v1/lists/{id}"),
    ("put", "/api/v1/lists/{id}"),
    ("delete", "/api/v1/lists/{id}"),
    ("get", "/api/v1/lists/{id}/accounts"),
    ("post", "/api/v1/lists/{id}/accounts"),
    ("get", "/api/v1/accounts/{id}/lists"),
    ("get", "/api/v1/timelines/list/{id}"),
]
BAD_IDS = ["abc", "12a", "-1", "1.5", str(MAX_ID + 1), "9" * 20, "%C2%B2"]


@pytest.mark.django_db
@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize(("method", "route"), ID_ROUTES, ids=[r for _m, r in ID_ROUTES])
def test_a_malformed_path_id_is_a_json_404(auth_client, method, route, bad_id):
    response = getattr(auth_client, method)(route.format(id=bad_id))

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "route"), ID_ROUTES, ids=[r for _m, r in ID_ROUTES])
def test_an_unknown_id_is_the_same_json_404(auth_client, method, route):
    response = getattr(auth_client, method)(route.format(id=MAX_ID))

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(("method", "route"), ID_ROUTES, ids=[r for _m, r in ID_ROUTES])
def test_the_view_receives_the_id_as_an_int(method, route):
    match = resolve(route.format(id=MAX_ID))

    ids = [value for name, value in match.kwargs.items() if name.endswith("_id")]
    assert ids == [MAX_ID] * route.count("{id}")


def _id_routes_first(patterns) -> list[URLPattern]:
    """``patterns`` with every route that captures a path segment moved before the literal ones."""
    flat = [entry for entry in patterns if isinstance(entry, URLPattern)]
    capturing = [entry for entry in flat if "<" in str(entry.pattern)]
    return capturing + [entry for entry in flat if "<" not in str(entry.pattern)]


@pytest.mark.parametrize(
    ("path", "is_routed"),
    [
        ("/api/v1/accounts/lookup", True),
        ("/api/v1/accounts/relationships", True),
        ("/api/v1/accounts/verify_credentials", True),
        ("/api/v1/accounts/update_credentials", True),
        ("/api/v1/accounts/search", True),
        ("/api/v1/accounts/familiar_followers", True),
        ("/api/v1/accounts/identity_proofs", False),
    ],
)
def test_literal_account_paths_are_never_captured_by_an_id_route(path, is_routed):
    # Given the slice's routes with every id route first, the worst order for a literal path
    resolver = URLResolver(
        RegexPattern(r"^/"),
        _id_routes_first(
            [*accounts_urls.urlpatterns, *feed_urls.urlpatterns, *media_urls.urlpatterns]
        ),
    )

    # When the literal path is resolved
    try:
        match = resolver.resolve(path)
    except Resolver404:
        match = None

    # Then it reaches its own view, or no view at all: never an id route
    assert (match is not None) is is_routed
    if match is not None:
        assert match.kwargs == {}


@pytest.mark.django_db
def test_an_unrouted_literal_account_path_is_a_json_404(auth_client):
    # (Mastodon removed identity proofs; Agora never had them.)
    response = auth_client.get("/api/v1/accounts/identity_proofs")

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
