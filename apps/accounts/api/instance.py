"""Mastodon's ``/api/v1/instance`` and ``/api/v2/instance``: who this server is and its limits."""

from __future__ import annotations

import functools
import warnings
from typing import Any

import blurhash
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from PIL import Image
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import selectors
from apps.accounts.entities import DEFAULT_HEADER, static_url
from core import media_types, push, rules
from core.base_url import absolute_url, streaming_url
from core.entitlements import FREE

# The Mastodon release whose client API Agora serves, and Agora's own release
# (pyproject.toml's), as semver build metadata: "4.5.0+agora.0.1.0", as Mastodon forks
# write theirs. Clients switch features on both numbers:
# - Ice Cubes reads the first three characters as a number: >= 4.3 turns on grouped
#   notifications (/api/v2/notifications) and the link timeline, both served, and
#   notification policies (/api/v2/notifications/policy, not yet: Ice Cubes reads it
#   with try? and shows no summary); >= 4.0 server-side filters (/api/v2/filters).
# - Phanpy gates "@mastodon/..." features on this version only when NodeInfo names
#   the software "mastodon" (or Hometown); Agora's NodeInfo says "agora", so Phanpy
#   switches on MASTODON_API_VERSION (below) instead.
# - Mastodon.py refuses to call a method newer than this version (its default
#   version_check_mode), so quotes (4.5) need 4.5.
# What 4.3 to 4.5 added that Agora does not serve yet: notification policies and
# requests (the protection app's), translation (configuration.translation.enabled is
# false, so clients do not offer it) and the annual report.
MASTODON_COMPATIBLE_VERSION = "4.5.0"
AGORA_VERSION = "0.1.0"
VERSION = f"{MASTODON_COMPATIBLE_VERSION}+agora.{AGORA_VERSION}"
# Mastodon's ``api_versions.mastodon`` (4.3+): 2 is grouped notifications (Phanpy
# >= 2 calls /api/v2/notifications), 5 filter "blur" actions, 7 quotes (Phanpy, Ice
# Cubes), 9 the profile API, 10 collections. Agora serves grouped notifications, the
# blur action and quotes (quoted_status_id, the Quote entity, quote_approval, a status's
# quotes, revoke, interaction_policy): 7.
MASTODON_API_VERSION = 7

SUPPORTED_MIME_TYPES = list(media_types.SUPPORTED_MIME_TYPES)
# Mastodon's defaults for what media limits Agora does not set itself.
IMAGE_MATRIX_LIMIT = 33_177_600
VIDEO_MATRIX_LIMIT = 8_294_400
VIDEO_FRAME_RATE_LIMIT = 120
CHARACTERS_RESERVED_PER_URL = 23
POLLS = {
    "max_options": 4,
    "max_characters_per_option": 50,
    "min_expiration": 300,
    "max_expiration": 2_629_746,
}


def _languages() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _statuses() -> dict[str, int]:
    return {
        "max_characters": FREE.max_status_characters,
        "max_media_attachments": FREE.max_media_attachments,
        "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
    }


def _media_attachments() -> dict[str, Any]:
    return {
        "supported_mime_types": SUPPORTED_MIME_TYPES,
        "image_size_limit": FREE.max_image_bytes,
        "image_matrix_limit": IMAGE_MATRIX_LIMIT,
        "video_size_limit": FREE.max_video_bytes,
        "video_frame_rate_limit": VIDEO_FRAME_RATE_LIMIT,
        "video_matrix_limit": VIDEO_MATRIX_LIMIT,
    }


@functools.cache
def _thumbnail_blurhash() -> str | None:
    """The blurhash of the default thumbnail (the default header), computed once a process."""
    path = finders.find(DEFAULT_HEADER)
    if not path:
        return None
    with Image.open(path) as image:
        small = image.convert("RGB")
    small.thumbnail((64, 64))
    with warnings.catch_warnings():
        # blurhash-python reads pixels with Image.getdata, deprecated since Pillow 12.
        warnings.filterwarnings(
            "ignore", message=r".*getdata is deprecated", category=DeprecationWarning
        )
        return blurhash.encode(small, x_components=4, y_components=3)


def _thumbnail() -> dict[str, Any]:
    """Mastodon's Instance thumbnail: the URL, its blurhash and its 1x and 2x versions.

    Agora's thumbnail is the default header, one image for both densities.
    """
    url = absolute_url(static_url(DEFAULT_HEADER))
    return {"url": url, "blurhash": _thumbnail_blurhash(), "versions": {"@1x": url, "@2x": url}}


def _urls() -> dict[str, str | None]:
    """Mastodon 4.5's ``configuration.urls``: streaming, the public pages, no status page."""
    return {
        "streaming": streaming_url(),
        "status": None,
        "about": absolute_url(reverse("about")),
        "privacy_policy": absolute_url(reverse("privacy-policy")),
        "terms_of_service": None,
    }


def _description() -> str:
    return f"{settings.AGORA_TITLE}: a social platform."


class InstanceV1View(APIView):
    """``GET /api/v1/instance``: Mastodon's V1::Instance entity."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="instance_v1")
    def get(self, request: Request) -> Response:
        stats = selectors.instance_stats()
        return Response(
            {
                "uri": settings.AGORA_DOMAIN,
                "title": settings.AGORA_TITLE,
                "short_description": _description(),
                "description": _description(),
                "email": settings.AGORA_CONTACT_EMAIL,
                "version": VERSION,
                "urls": {"streaming_api": streaming_url()},
                "stats": {
                    "user_count": stats.user_count,
                    "status_count": stats.status_count,
                    "domain_count": 0,
                },
                "thumbnail": absolute_url(static_url(DEFAULT_HEADER)),
                "languages": _languages(),
                "registrations": settings.AGORA_REGISTRATIONS_OPEN,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": {
                    "accounts": {"max_featured_tags": 10},
                    "statuses": _statuses(),
                    "media_attachments": _media_attachments(),
                    "polls": POLLS,
                },
                "contact_account": None,
                "rules": rules.server_rules(),
            }
        )


class InstanceV2View(APIView):
    """``GET /api/v2/instance``: Mastodon's Instance entity."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="instance_v2")
    def get(self, request: Request) -> Response:
        stats = selectors.instance_stats()
        return Response(
            {
                "domain": settings.AGORA_DOMAIN,
                "title": settings.AGORA_TITLE,
                "version": VERSION,
                "source_url": settings.AGORA_SOURCE_URL,
                "description": _description(),
                "usage": {"users": {"active_month": stats.active_month}},
                "thumbnail": _thumbnail(),
                "icon": [],
                "languages": _languages(),
                "configuration": {
                    "urls": _urls(),
                    "vapid": {"public_key": push.vapid_public_key()},
                    "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                    "statuses": _statuses(),
                    "media_attachments": _media_attachments(),
                    "polls": POLLS,
                    "translation": {"enabled": False},
                },
                "registrations": {
                    "enabled": settings.AGORA_REGISTRATIONS_OPEN,
                    "approval_required": False,
                    "message": None,
                    "url": None,
                },
                "api_versions": {"mastodon": MASTODON_API_VERSION},
                "contact": {"email": settings.AGORA_CONTACT_EMAIL, "account": None},
                "rules": rules.server_rules(),
            }
        )


# --- discovery: OAuth server metadata and NodeInfo ------------------------------------

NODEINFO_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.0"


def oauth_server_metadata() -> dict[str, Any]:
    """RFC 8414 authorization server metadata, the fields Mastodon 4.3+ publishes."""
    return {
        "issuer": settings.OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"],
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": absolute_url(reverse("oauth-authorize")),
        "token_endpoint": absolute_url(reverse("oauth-token")),
        "revocation_endpoint": absolute_url(reverse("oauth-revoke")),
        "app_registration_endpoint": absolute_url(reverse("app-create")),
        "scopes_supported": list(settings.OAUTH2_PROVIDER["SCOPES"]),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": [
            "authorization_code",
            "password",
            "client_credentials",
            "refresh_token",
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }


class OAuthServerMetadataView(APIView):
    """``GET /.well-known/oauth-authorization-server``: where and how apps sign in."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="oauth_server_metadata")
    def get(self, request: Request) -> Response:
        return Response(oauth_server_metadata())


class NodeInfoDiscoveryView(APIView):
    """``GET /.well-known/nodeinfo``: the link to the NodeInfo 2.0 document."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="nodeinfo_discovery")
    def get(self, request: Request) -> Response:
        href = absolute_url(reverse("nodeinfo-2.0"))
        return Response({"links": [{"rel": NODEINFO_SCHEMA, "href": href}]})


class NodeInfoView(APIView):
    """``GET /nodeinfo/2.0``: NodeInfo 2.0, what software this is and how used.

    No federation protocol is spoken, so ``protocols`` is empty.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=OpenApiTypes.OBJECT, operation_id="nodeinfo")
    def get(self, request: Request) -> Response:
        stats = selectors.instance_stats()
        return Response(
            {
                "version": "2.0",
                "software": {"name": "agora", "version": AGORA_VERSION},
                "protocols": [],
                "services": {"outbound": [], "inbound": []},
                "usage": {
                    "users": {
                        "total": stats.user_count,
                        "activeMonth": stats.active_month,
                        "activeHalfyear": stats.active_halfyear,
                    },
                    "localPosts": stats.status_count,
                },
                "openRegistrations": settings.AGORA_REGISTRATIONS_OPEN,
                "metadata": {"nodeName": settings.AGORA_TITLE, "nodeDescription": _description()},
            }
        )
