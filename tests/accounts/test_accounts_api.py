"""Mastodon's accounts endpoints: verify_credentials, update_credentials, :id and lookup."""

import io
from copy import deepcopy

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from PIL import Image

from apps.accounts.models import User
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient

VERIFY = "/api/v1/accounts/verify_credentials"
UPDATE = "/api/v1/accounts/update_credentials"


@pytest.fixture(scope="module")
def openapi_components():
    """The OpenAPI schema's components, with OpenAPI 3.0's ``nullable`` as JSON Schema's null type."""
    schema = SchemaGenerator().get_schema(request=None, public=True)

    def convert(node):
        if isinstance(node, dict):
            node = {key: convert(value) for key, value in node.items()}
            if node.pop("nullable", False) and "type" in node:
                node["type"] = [node["type"], "null"]
            if "$ref" in node:
                node["$ref"] = node["$ref"].replace("#/components/schemas/", "#/$defs/")
            return node
        if isinstance(node, list):
            return [convert(item) for item in node]
        return node

    return convert(deepcopy(schema["components"]["schemas"]))


def assert_matches_schema(components, name, instance):
    schema = {"$ref": f"#/$defs/{name}", "$defs": components}
    jsonschema.validate(instance, schema)
    # Every required property is there, and nothing the schema does not name (the
    # Account's suspended and limited are sent only when true, as Mastodon sends them).
    component = components[name]
    assert set(component.get("required", ())) <= set(instance) <= set(component["properties"])


def png_bytes(size=(64, 64), color=(200, 30, 30), image_format="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=image_format)
    return buffer.getvalue()


def upload(name, content, content_type="image/png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.mark.django_db
def test_verify_credentials_returns_the_credential_account(
    auth_client, openapi_components, django_assert_max_num_queries
):
    # Given
    account = auth_client.user
    account.note = "Hello <b>world</b>\nsecond line\n\nnew paragraph"
    account.fields = [{"name": "Site", "value": "<https://example.org>"}]
    account.save()

    # When: the fourth query counts the pending follow requests (core.relationships)
    with django_assert_max_num_queries(4):
        response = auth_client.get(VERIFY)

    # Then
    assert response.status_code == 200
    body = response.json()
    assert_matches_schema(openapi_components, "CredentialAccount", body)
    assert body["id"] == str(account.pk)
    assert body["username"] == body["acct"] == account.username
    assert body["group"] is False
    assert body["note"] == (
        "<p>Hello &lt;b&gt;world&lt;/b&gt;<br>second line</p>\n\n<p>new paragraph</p>"
    )
    assert body["url"] == f"http://localhost:8000/@{account.username}"
    assert body["uri"] == f"http://localhost:8000/users/{account.username}"
    assert (
        body["avatar"]
        == body["avatar_static"]
        == "http://localhost:8000/static/accounts/avatar.png"
    )
    assert (
        body["header"]
        == body["header_static"]
        == "http://localhost:8000/static/accounts/header.png"
    )
    assert body["followers_count"] == body["following_count"] == body["statuses_count"] == 0
    assert body["last_status_at"] is None
    assert body["emojis"] == []
    assert body["fields"] == [
        {"name": "Site", "value": "&lt;https://example.org&gt;", "verified_at": None}
    ]
    assert body["source"] == {
        "privacy": "public",
        "sensitive": False,
        "language": "",
        "note": "Hello <b>world</b>\nsecond line\n\nnew paragraph",
        "fields": [{"name": "Site", "value": "<https://example.org>", "verified_at": None}],
        "follow_requests_count": 0,
        "indexable": False,
        "hide_collections": False,
        "quote_policy": "public",
    }


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        pytest.param("profile", 200, id="profile"),
        pytest.param("read:accounts", 200, id="read-accounts"),
        pytest.param("read", 200, id="read"),
        pytest.param("write", 403, id="write-only"),
        pytest.param("read:statuses", 403, id="other-read"),
    ],
)
@pytest.mark.django_db
def test_verify_credentials_needs_profile_or_read_accounts(user, token_for, scope, expected):
    # Given
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope=scope)}")

    # When
    response = client.get(VERIFY)

    # Then
    assert response.status_code == expected


@pytest.mark.django_db
def test_verify_credentials_without_a_token_is_401(api_client):
    response = api_client.get(VERIFY)

    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


@pytest.mark.django_db
def test_update_credentials_with_json(auth_client):
    # When
    response = auth_client.patch(
        UPDATE,
        {
            "display_name": "  Ada  ",
            "note": "Counting <engines>",
            "locked": True,
            "bot": True,
            "discoverable": False,
            "fields_attributes": [
                {"name": "Pronouns", "value": "she/her"},
                {"name": "", "value": ""},
            ],
            "source": {"privacy": "unlisted", "sensitive": True, "language": "EN"},
        },
        format="json",
    )

    # Then
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["display_name"] == "Ada"
    assert body["note"] == "<p>Counting &lt;engines&gt;</p>"
    assert (body["locked"], body["bot"], body["discoverable"]) == (True, True, False)
    assert body["fields"] == [{"name": "Pronouns", "value": "she/her", "verified_at": None}]
    assert body["source"]["privacy"] == "unlisted"
    assert body["source"]["sensitive"] is True
    assert body["source"]["language"] == "en"
    account = User.objects.get(pk=auth_client.user.pk)
    assert account.display_name == "Ada"
    assert account.default_privacy == "unlisted"


@pytest.mark.django_db
def test_update_credentials_with_a_json_dict_of_fields(auth_client):
    # When
    response = auth_client.patch(
        UPDATE,
        {"fields_attributes": {"1": {"name": "b", "value": "2"}, "0": {"name": "a", "value": "1"}}},
        format="json",
    )

    # Then
    assert response.status_code == 200
    assert User.objects.get(pk=auth_client.user.pk).fields == [
        {"name": "a", "value": "1"},
        {"name": "b", "value": "2"},
    ]


@pytest.mark.django_db
def test_update_credentials_with_a_multipart_form_and_images(auth_client, settings):
    # Given
    avatar = upload("me.png", png_bytes(size=(800, 600)))
    header = upload("wide.jpg", png_bytes(size=(3000, 1000), image_format="JPEG"), "image/jpeg")

    # When
    response = auth_client.patch(
        UPDATE,
        {
            "display_name": "Form Person",
            "locked": "true",
            "fields_attributes[0][name]": "Web",
            "fields_attributes[0][value]": "example.org",
            "fields_attributes[1][name]": "Lang",
            "fields_attributes[1][value]": "de",
            "source[privacy]": "private",
            "source[sensitive]": "1",
            "avatar": avatar,
            "header": header,
        },
        format="multipart",
    )

    # Then
    assert response.status_code == 200, response.json()
    account = User.objects.get(pk=auth_client.user.pk)
    assert account.display_name == "Form Person"
    assert account.locked is True
    assert account.bot is False
    assert account.fields == [
        {"name": "Web", "value": "example.org"},
        {"name": "Lang", "value": "de"},
    ]
    assert (account.default_privacy, account.default_sensitive) == ("private", True)
    with Image.open(account.avatar.path) as stored:
        assert stored.size == (400, 300)
    with Image.open(account.header.path) as stored:
        assert stored.size == (1500, 500)
    assert response.json()["avatar"] == f"http://localhost:8000{account.avatar.url}"


@pytest.mark.django_db
def test_update_credentials_with_an_urlencoded_form_leaves_unsent_booleans_alone(auth_client):
    # Given
    User.objects.filter(pk=auth_client.user.pk).update(locked=True, discoverable=True)

    # When
    response = auth_client.patch(
        UPDATE, "display_name=Plain&note=hi", content_type="application/x-www-form-urlencoded"
    )

    # Then
    assert response.status_code == 200
    account = User.objects.get(pk=auth_client.user.pk)
    assert (account.display_name, account.note) == ("Plain", "hi")
    assert (account.locked, account.discoverable) == (True, True)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"display_name": "x" * 31}, "display_name", id="long-display-name"),
        pytest.param({"note": "x" * 501}, "note", id="long-note"),
        pytest.param(
            {"fields_attributes": [{"name": str(n), "value": "v"} for n in range(5)]},
            "fields_attributes",
            id="five-fields",
        ),
        pytest.param(
            {"fields_attributes": [{"name": "n", "value": "v" * 256}]},
            "fields_attributes",
            id="long-field-value",
        ),
        pytest.param({"fields_attributes": {"x": {}}}, "fields_attributes", id="bad-field-keys"),
        pytest.param({"source": {"privacy": "everyone"}}, "source", id="bad-privacy"),
        pytest.param({"source": {"language": "english"}}, "source[language]", id="bad-language"),
        pytest.param({"locked": "perhaps"}, "locked", id="bad-boolean"),
    ],
)
@pytest.mark.django_db
def test_refused_profile_update_is_422_and_changes_nothing(auth_client, payload, field):
    # Given
    before = User.objects.values().get(pk=auth_client.user.pk)

    # When
    response = auth_client.patch(UPDATE, payload, format="json")

    # Then
    assert response.status_code == 422
    assert field in response.json()["details"]
    assert User.objects.values().get(pk=auth_client.user.pk) == before


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        pytest.param(b"not an image at all", "avatar.png", "ERR_INVALID_TYPE", id="not-image"),
        pytest.param(png_bytes()[:40], "avatar.png", "ERR_INVALID_TYPE", id="truncated"),
        pytest.param(
            png_bytes(image_format="BMP"), "avatar.bmp", "ERR_INVALID_TYPE", id="bmp-format"
        ),
        pytest.param(
            b"\x89PNG" + b"\0" * (2 * 1024 * 1024 + 1), "big.png", "ERR_TOO_LARGE", id="oversize"
        ),
    ],
)
@pytest.mark.django_db
def test_refused_avatar_is_422_and_changes_nothing(auth_client, settings, content, name, code):
    # Given
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

    # When
    response = auth_client.patch(
        UPDATE,
        {"avatar": upload(name, content), "display_name": "Changed"},
        format="multipart",
    )

    # Then
    assert response.status_code == 422
    assert response.json()["details"]["avatar"][0]["error"] == code
    account = User.objects.get(pk=auth_client.user.pk)
    assert account.avatar.name == ""
    assert account.display_name != "Changed"


@pytest.mark.django_db
def test_update_credentials_needs_write_accounts(user, token_for):
    # Given
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope='read')}")

    # When
    response = client.patch(UPDATE, {"display_name": "Nope"}, format="json")

    # Then
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert User.objects.get(pk=user.pk).display_name == user.display_name


@pytest.mark.django_db
def test_update_credentials_with_malformed_json_is_400(auth_client):
    response = auth_client.patch(UPDATE, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "error" in response.json()


@pytest.mark.django_db
def test_account_by_id_is_public(api_client, openapi_components, django_assert_max_num_queries):
    # Given
    account = UserFactory(display_name="Grace")

    # When
    with django_assert_max_num_queries(1):
        response = api_client.get(f"/api/v1/accounts/{account.pk}")

    # Then
    assert response.status_code == 200
    body = response.json()
    assert_matches_schema(openapi_components, "Account", body)
    assert body["id"] == str(account.pk)
    assert body["display_name"] == "Grace"
    assert "source" not in body


@pytest.mark.parametrize("account_id", ["12345", "not-a-number", "disabled"])
@pytest.mark.django_db
def test_unknown_malformed_or_disabled_account_is_404(api_client, account_id):
    # Given
    disabled = UserFactory(is_active=False)
    if account_id == "disabled":
        account_id = str(disabled.pk)

    # When
    response = api_client.get(f"/api/v1/accounts/{account_id}")

    # Then
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


@pytest.mark.parametrize(
    "acct",
    [
        "Lookup_Me",
        "lookup_me",
        "@lookup_me",
        "lookup_me@localhost:8000",
        "lookup_me@LOCALHOST:8000",
    ],
)
@pytest.mark.django_db
def test_lookup_finds_local_accounts(api_client, acct):
    # Given
    account = UserFactory(username="lookup_me")

    # When
    response = api_client.get("/api/v1/accounts/lookup", {"acct": acct})

    # Then
    assert response.status_code == 200
    assert response.json()["id"] == str(account.pk)


@pytest.mark.parametrize("acct", ["nobody", "lookup_me@elsewhere.example", "@", "hidden"])
@pytest.mark.django_db
def test_lookup_of_unknown_remote_or_disabled_is_404(api_client, acct):
    # Given
    UserFactory(username="lookup_me")
    UserFactory(username="hidden", is_active=False)

    # When
    response = api_client.get("/api/v1/accounts/lookup", {"acct": acct})

    # Then
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


@pytest.mark.django_db
def test_lookup_without_acct_is_422(api_client):
    response = api_client.get("/api/v1/accounts/lookup")

    assert response.status_code == 422
    assert "acct" in response.json()["details"]
