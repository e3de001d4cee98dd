"""The REST API (DRF), its schema (drf-spectacular) and OAuth 2 (django-oauth-toolkit)."""

from .base import AGORA_DISABLED_APPS, AGORA_DOMAIN, AGORA_HTTPS
from .environment import env

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # Every view's chosen parser is wrapped in body checks: size, JSON depth, NUL.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "core.api.parsers.CheckedContentNegotiation",
    # DRF's JSON, encoded by orjson (a fifth of DRF's renderer's CPU a page).
    "DEFAULT_RENDERER_CLASSES": ["core.api.renderers.JSONRenderer"],
    "EXCEPTION_HANDLER": "core.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # The plan's budgets, and the tighter ones of new and low-trust accounts on the
    # views that name a trust_scope (PROTECTION_TRUST_RATES).
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttling.TierRateThrottle",
        "core.throttling.TrustRateThrottle",
    ],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# Requests per window by entitlement tier and throttle scope; "default" applies to
# any scope a tier does not name. Tiers come from core.entitlements.
AGORA_THROTTLE_RATES = {
    "anonymous": {"default": "300/5m", "registration": "5/30m", "oauth_app": "30/5m"},
    "free": {"default": "300/5m", "registration": "5/30m", "oauth_app": "30/5m"},
    "pro": {"default": "1500/5m"},
}
# AGORA_THROTTLE_ENABLED: turn API rate limits off (load tests only).
AGORA_THROTTLE_ENABLED = env.bool("AGORA_THROTTLE_ENABLED", default=True)

# Mastodon's OAuth scopes, top level and granular.
MASTODON_SCOPES = {
    "read": "read all your account's data",
    "write": "modify all your account's data",
    "follow": "modify account relationships",
    "push": "receive your push notifications",
    "profile": "read only your own profile",
    "admin:read": "read all data on the server",
    "admin:write": "modify all data on the server",
}
_granular = {
    "read": [
        "accounts", "blocks", "bookmarks", "favourites", "filters", "follows",
        "lists", "mutes", "notifications", "search", "statuses",
    ],
    "write": [
        "accounts", "blocks", "bookmarks", "conversations", "favourites", "filters",
        "follows", "lists", "media", "mutes", "notifications", "reports", "statuses",
    ],
    "admin:read": [
        "accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks",
        "email_domain_blocks", "canonical_email_blocks",
    ],
    "admin:write": [
        "accounts", "reports", "domain_allows", "domain_blocks", "ip_blocks",
        "email_domain_blocks", "canonical_email_blocks",
    ],
}  # fmt: skip
for _parent, _children in _granular.items():
    for _child in _children:
        MASTODON_SCOPES[f"{_parent}:{_child}"] = f"{_parent} {_child}"

OAUTH2_PROVIDER_APPLICATION_MODEL = "accounts.Application"
# Named so models may point at tokens (feed.PushSubscription): Django resolves the swappable.
OAUTH2_PROVIDER_ACCESS_TOKEN_MODEL = "oauth2_provider.AccessToken"
OAUTH2_PROVIDER = {
    "SCOPES": MASTODON_SCOPES,
    "DEFAULT_SCOPES": ["read"],
    "OAUTH2_VALIDATOR_CLASS": "apps.accounts.oauth.MastodonOAuth2Validator",
    # Hands the Django request to the validator, so django-axes sees password grants.
    "OAUTH2_BACKEND_CLASS": "apps.accounts.oauth.MastodonOAuthLibCore",
    # PKCE is honoured when the client sends it; Mastodon clients that predate it still work.
    "PKCE_REQUIRED": False,
    # RFC 9700: Mastodon offers neither the implicit grant nor "plain" PKCE, so refuse both;
    # a replayed refresh token revokes its whole token family.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ROTATE_REFRESH_TOKEN": True,
    # OAUTH_ACCESS_TOKEN_SECONDS: lifetime of an access token (Mastodon's never expire).
    "ACCESS_TOKEN_EXPIRE_SECONDS": env.int("OAUTH_ACCESS_TOKEN_SECONDS", default=60 * 60 * 24 * 30),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env.int(
        "OAUTH_REFRESH_TOKEN_SECONDS", default=60 * 60 * 24 * 365
    ),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 600,
    # Web redirect URIs. Native apps' private-use schemes (RFC 8252: icecubesapp://,
    # oauth2redirect://...) are allowed per app, for the URIs it registered
    # (apps.accounts.models.Application.get_allowed_schemes).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http", "urn"],
    "ALLOWED_SCHEMES": ["https", "http"],
    # RFC 9700: no access tokens in the query string; the RFC 9207 "iss" in authorization
    # responses. The password grant stays on deliberately (Mastodon clients use it):
    # see MastodonOAuth2Validator.validate_grant_type.
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    # The issuer: the "iss" of authorization responses and of
    # /.well-known/oauth-authorization-server, the root URL as Mastodon's.
    "OIDC_ISS_ENDPOINT": f"{'https' if AGORA_HTTPS else 'http'}://{AGORA_DOMAIN}/",
}

# Redirect URI schemes no app may register, in any case: a redirect there would run
# code in the browser or read local files (Mastodon forbids the same, and file:).
AGORA_OAUTH_FORBIDDEN_REDIRECT_URI_SCHEMES = ["javascript", "data", "vbscript", "file"]

# CORS (django-cors-headers), as Mastodon answers it: browser clients (Phanpy, Elk) call
# the API, the token and revocation endpoints and the discovery documents from any
# origin with bearer tokens, never cookies. The authorization and login pages, the
# admin and everything else get no CORS headers.
CORS_URLS_REGEX = r"^/(api/|oauth/(token|revoke)/?$|\.well-known/|nodeinfo/)"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_CREDENTIALS = False
CORS_ALLOW_METHODS = ["DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT"]
CORS_ALLOW_HEADERS = [
    "accept",
    "accept-language",
    "authorization",
    "content-type",
    "idempotency-key",
    "user-agent",
    "x-requested-with",
]
CORS_EXPOSE_HEADERS = [
    "Link",
    "X-RateLimit-Reset",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-Request-Id",
    "Idempotency-Key",
]
# CORS_PREFLIGHT_MAX_AGE: seconds a browser may cache a preflight answer.
CORS_PREFLIGHT_MAX_AGE = env.int("CORS_PREFLIGHT_MAX_AGE", default=86400)

_ENUM_NAME_OVERRIDES = {
    # Status visibility and the account's default privacy share one set of choices.
    "VisibilityEnum": "apps.accounts.models.Visibility",
    "PreviewCardTypeEnum": "apps.feed.models.PreviewCard.Type",
    "NotificationTypeEnum": "apps.feed.models.Notification.Type",
    "NotificationPolicyActionEnum": "apps.feed.models.NotificationPolicy.Action",
    "QuoteApprovalPolicyEnum": "apps.accounts.models.QuoteApprovalPolicy",
    "StreamVisibilityEnum": "apps.live.models.Stream.Visibility",
    "StreamStateEnum": "apps.live.models.Stream.State",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Agora API",
    "DESCRIPTION": "Mastodon-compatible client API and the Agora platform API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that several fields share, named once (only the installed apps').
    "ENUM_NAME_OVERRIDES": {
        name: choices
        for name, choices in _ENUM_NAME_OVERRIDES.items()
        if not any(choices.startswith(f"{app}.") for app in AGORA_DISABLED_APPS)
    },
    # Every operation lists the error answers the platform gives whatever the view
    # (malformed input, tokens, scopes, rate limits, outages), in Mastodon's error shape.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api.schema.document_platform_errors",
    ],
}

# Discovery and ranking (apps.feed.selectors.search, trends, ranking).
# FEED_TRENDS_WINDOW_HOURS: the sliding window of /api/v1/trends: tags are ranked by the
# distinct accounts using them in it, statuses by their engagement in it.
FEED_TRENDS_WINDOW_HOURS = env.int("FEED_TRENDS_WINDOW_HOURS", default=24)
# FEED_TRENDS_HALF_LIFE_HOURS: a trending status's engagement halves in weight every this many hours.
FEED_TRENDS_HALF_LIFE_HOURS = env.float("FEED_TRENDS_HALF_LIFE_HOURS", default=6.0)
# FEED_TRENDS_MAX_CANDIDATES: the most engaged public statuses of the window that are scored.
FEED_TRENDS_MAX_CANDIDATES = env.int("FEED_TRENDS_MAX_CANDIDATES", default=1000)
# FEED_RANKING_WEIGHTS: how the ranked home timeline (/api/agora/v1/timelines/ranked)
# mixes its four scores, each in [0, 1]: recency, engagement, affinity with the author,
# and the learned model's probability of an interaction.
FEED_RANKING_WEIGHTS = {
    "recency": env.float("FEED_RANKING_WEIGHT_RECENCY", default=0.4),
    "engagement": env.float("FEED_RANKING_WEIGHT_ENGAGEMENT", default=0.3),
    "affinity": env.float("FEED_RANKING_WEIGHT_AFFINITY", default=0.2),
    "learned": env.float("FEED_RANKING_WEIGHT_LEARNED", default=0.1),
}
# FEED_RANKING_HALF_LIFE_HOURS: the recency score halves every this many hours.
FEED_RANKING_HALF_LIFE_HOURS = env.float("FEED_RANKING_HALF_LIFE_HOURS", default=6.0)
# FEED_RANKING_WINDOW_HOURS: how old a status may be and still be ranked.
FEED_RANKING_WINDOW_HOURS = env.int("FEED_RANKING_WINDOW_HOURS", default=72)
# FEED_RANKING_MAX_CANDIDATES: the newest home statuses that are ranked (the rest are not shown).
FEED_RANKING_MAX_CANDIDATES = env.int("FEED_RANKING_MAX_CANDIDATES", default=500)
# FEED_RANKING_AFFINITY_DAYS: how far back the viewer's favourites, reblogs and replies
# count towards their affinity with an author.
FEED_RANKING_AFFINITY_DAYS = env.int("FEED_RANKING_AFFINITY_DAYS", default=30)
# FEED_RANKING_TRAINING_ACCOUNTS: at most this many recently interacting accounts give
# the training examples of each hourly training run.
FEED_RANKING_TRAINING_ACCOUNTS = env.int("FEED_RANKING_TRAINING_ACCOUNTS", default=200)
# FEED_RANKING_TRAINING_MIN_EXAMPLES: a run trains only with at least this many positive
# and this many negative examples; otherwise the previous model stays.
FEED_RANKING_TRAINING_MIN_EXAMPLES = env.int("FEED_RANKING_TRAINING_MIN_EXAMPLES", default=10)

# Watch time (POST /api/agora/v1/statuses/:id/watch, apps.feed.services.watching).
# FEED_WATCH_HEARTBEAT_MAX_SECONDS: the most seconds one player heartbeat may report.
FEED_WATCH_HEARTBEAT_MAX_SECONDS = env.int("FEED_WATCH_HEARTBEAT_MAX_SECONDS", default=60)
# FEED_WATCH_UNKNOWN_DURATION_CAP_SECONDS: the most seconds of one status one viewer is
# counted a day when its media's duration is unknown (otherwise three times the duration).
FEED_WATCH_UNKNOWN_DURATION_CAP_SECONDS = env.int(
    "FEED_WATCH_UNKNOWN_DURATION_CAP_SECONDS", default=1800
)
