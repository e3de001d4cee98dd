"""config.wiring: each installed app's URLs and WebSocket routes, found, never listed."""

from django.apps import apps
from django.urls import URLResolver, get_resolver

from config import wiring


def included_app_urlconfs() -> list[str]:
    return [
        pattern.urlconf_module.__name__
        for pattern in get_resolver().url_patterns
        if isinstance(pattern, URLResolver)
        and getattr(pattern.urlconf_module, "__name__", "").startswith("apps.")
    ]


def test_every_installed_apps_urlconf_is_included_from_the_highest_layer_down():
    # accounts' api/v1/accounts/<str:...> must come after the feed's literal account paths
    assert included_app_urlconfs() == [
        "apps.moderation.api.urls",
        "apps.live.api.urls",
        "apps.protection.api.urls",
        "apps.billing.api.urls",
        "apps.feed.api.urls",
        "apps.media.api.urls",
        "apps.accounts.urls",
    ]


def test_the_websocket_routes_come_from_the_apps_routing_modules():
    from apps.feed import routing as feed_routing
    from apps.live import routing as live_routing
    from config.routing import websocket_urlpatterns

    assert websocket_urlpatterns == [
        *live_routing.websocket_urlpatterns,
        *feed_routing.websocket_urlpatterns,
    ]
    assert [str(route.pattern) for route in websocket_urlpatterns] == [
        "ws/live/<id:stream_id>/chat/",
        r"^api/v1/streaming/?$",
    ]


def test_an_app_that_is_not_installed_is_not_wired(monkeypatch):
    # given the registry without moderation
    configs = [config for config in apps.get_app_configs() if config.label != "moderation"]
    monkeypatch.setattr(wiring.apps, "get_app_configs", lambda: configs)

    # then
    assert wiring.agora_apps() == [
        "apps.live",
        "apps.protection",
        "apps.billing",
        "apps.feed",
        "apps.media",
        "apps.accounts",
    ]
    assert [module.__name__ for module in wiring.app_modules("urls", "api.urls")] == [
        "apps.live.api.urls",
        "apps.protection.api.urls",
        "apps.billing.api.urls",
        "apps.feed.api.urls",
        "apps.media.api.urls",
        "apps.accounts.urls",
    ]
    assert [module.__name__ for module in wiring.app_modules("routing")] == [
        "apps.live.routing",
        "apps.feed.routing",
    ]
