"""Mastodon's hashtag endpoints: a tag, following one, the followed tags, featured tags.
Thin: parse, call one service or selector, shape output."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.feed import selectors
from apps.feed.api.discovery import TagEntitySerializer
from apps.feed.api.serializers import EmptySerializer, StatusTagSerializer
from apps.feed.api.views import UserView
from apps.feed.models import Tag
from apps.feed.selectors import tags as tag_selectors
from apps.feed.selectors import trends
from apps.feed.services import tags as services
from core.api.pagination import paged_response
from core.base_url import base_url
from core.pagination import page_params
from core.permissions import HasScope

# Mastodon's limits for followed tags: 100 a page, at most 200.
FOLLOWED_TAGS_LIMIT, FOLLOWED_TAGS_MAX = 100, 200


class TagWithRelationSerializer(TagEntitySerializer):
    """Mastodon's Tag with the viewer's relation to it (present when signed in)."""

    id = serializers.CharField()
    following = serializers.BooleanField(required=False)
    featuring = serializers.BooleanField(required=False)


def tag_entities(request, tags: list[Tag]) -> list[dict]:
    """Tag entities for ``tags`` (saved or not yet), with history and, for a signed-in
    viewer, ``following`` and ``featuring``: three queries whatever the count."""
    histories = trends.tag_histories(tags=[tag for tag in tags if tag.pk is not None])
    relations = tag_selectors.tag_relations(viewer=request.user, tags=tags)
    signed_in = request.user is not None and request.user.is_authenticated
    entities = []
    for tag in tags:
        entity = {
            "id": str(tag.pk) if tag.pk is not None else "",
            **StatusTagSerializer(tag).data,
            "history": [day.as_entity() for day in histories.get(tag.pk, [])],
        }
        if signed_in:
            entity["following"] = tag.pk in relations.following
            entity["featuring"] = tag.pk in relations.featuring
        entities.append(entity)
    return entities


class TagDetailView(APIView):
    """``GET /api/v1/tags/:name``: the hashtag, even one nobody used yet; 404 for no hashtag."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="tag_get", responses=TagWithRelationSerializer)
    def get(self, request, name: str):
        tag = tag_selectors.tag_get_by_name(name=name)
        return Response(tag_entities(request, [tag])[0])


class TagActionView(UserView):
    """``POST /api/v1/tags/:name/follow``, ``/unfollow``, and (Mastodon 4.4) ``/feature``,
    ``/unfeature``: the Tag with the viewer's relations after the change."""

    action = "follow"
    SCOPES = {
        "follow": "write:follows",
        "unfollow": "write:follows",
        "feature": "write:accounts",
        "unfeature": "write:accounts",
    }

    def initial(self, request, *args, **kwargs):
        self.required_scopes = {"POST": self.SCOPES[self.action]}
        super().initial(request, *args, **kwargs)

    @extend_schema(request=None, responses=TagWithRelationSerializer)
    def post(self, request, name: str):
        tag = tag_selectors.tag_get_by_name(name=name)  # no hashtag: 404, as Mastodon
        if self.action == "follow":
            tag = services.tag_follow(account=request.user, name=tag.name)
        elif self.action == "feature":
            tag = services.featured_tag_create(account=request.user, name=tag.name).tag
        elif tag.pk is not None and self.action == "unfollow":
            services.tag_unfollow(account=request.user, tag=tag)
        elif tag.pk is not None and self.action == "unfeature":
            services.tag_unfeature(account=request.user, tag=tag)
        return Response(tag_entities(request, [tag])[0])


class FollowedTagsView(UserView):
    """``GET /api/v1/followed_tags``: the hashtags the viewer follows, paged by the follow."""

    required_scopes = {"GET": "read:follows"}

    @extend_schema(responses=TagWithRelationSerializer(many=True))
    def get(self, request):
        params = page_params(
            request, default_limit=FOLLOWED_TAGS_LIMIT, max_limit=FOLLOWED_TAGS_MAX
        )
        rows, tags = tag_selectors.followed_tags_page(viewer=request.user, params=params)
        return paged_response(request, tag_entities(request, tags), rows=rows, params=params)


class FeaturedTagSerializer(serializers.Serializer):
    """Mastodon's FeaturedTag: a hashtag on a profile, with the account's use of it."""

    id = serializers.CharField()
    name = serializers.CharField(source="tag.name")
    url = serializers.SerializerMethodField()
    statuses_count = serializers.IntegerField()
    last_status_at = serializers.SerializerMethodField()

    def get_url(self, featured) -> str:
        return f"{base_url()}/@{featured.account.username}/tagged/{featured.tag.name.lower()}"

    def get_last_status_at(self, featured) -> str | None:
        # Mastodon sends the day only.
        moment = featured.last_status_at
        return moment.date().isoformat() if moment else None


class FeaturedTagCreateSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)


def _featured_response(request, account) -> list[dict]:
    featured = tag_selectors.featured_tags_for(account=account)
    for item in featured:
        item.account = account  # the url names it; no query per row
    return FeaturedTagSerializer(featured, many=True).data  # type: ignore[return-value]


class FeaturedTagsView(UserView):
    """``GET /api/v1/featured_tags`` (the viewer's) and ``POST`` (feature one, ``name``)."""

    required_scopes = {"GET": "read:accounts", "POST": "write:accounts"}

    @extend_schema(responses=FeaturedTagSerializer(many=True))
    def get(self, request):
        return Response(_featured_response(request, request.user))

    @extend_schema(request=FeaturedTagCreateSerializer, responses=FeaturedTagSerializer)
    def post(self, request):
        body = FeaturedTagCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.featured_tag_create(
            account=request.user, name=body.validated_data["name"]
        )
        featured = next(
            item
            for item in _featured_response(request, request.user)
            if item["id"] == str(created.pk)
        )
        return Response(featured)


class FeaturedTagDetailView(UserView):
    """``DELETE /api/v1/featured_tags/:id``."""

    required_scopes = {"DELETE": "write:accounts"}

    @extend_schema(responses={200: EmptySerializer})
    def delete(self, request, featured_tag_id: int):
        services.featured_tag_delete(account=request.user, featured_tag_id=featured_tag_id)
        return Response({})


class FeaturedTagSuggestionsView(UserView):
    """``GET /api/v1/featured_tags/suggestions``: tags the viewer used lately, not featured."""

    required_scopes = {"GET": "read:accounts"}

    @extend_schema(responses=TagWithRelationSerializer(many=True))
    def get(self, request):
        tags = tag_selectors.featured_tag_suggestions(account=request.user)
        return Response(tag_entities(request, tags))


class AccountFeaturedTagsView(APIView):
    """``GET /api/v1/accounts/:id/featured_tags``: the hashtags an account features."""

    permission_classes = [HasScope]
    required_scopes = {"GET": "read:accounts"}

    @extend_schema(responses=FeaturedTagSerializer(many=True))
    def get(self, request, account_id: int):
        account = selectors.account_get_for_viewer(viewer=request.user, account_id=account_id)
        return Response(_featured_response(request, account))
