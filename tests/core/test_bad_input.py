"""Bad input at the platform level is a clear 4xx in Mastodon's error shape, never a 500
or Django's HTML page, and writes nothing.

Covers issue 10's item 6 (deep JSON, NUL bytes, oversized bodies, too many fields or
files) and item 13's JSON errors on API paths whatever ``DEBUG`` says.
"""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.accounts.models import Application
from apps.feed.models import Status
from apps.media.models import MediaAttachment
from tests.api_client import APIClient


def nested_json(depth: int) -> str:
    """A status body whose ``status`` is a list nested ``depth`` deep (the body itself adds one)."""
    return '{"status": ' + "[" * depth + "]" * depth + "}"


def assert_error_shape(response, status_code: int) -> str:
    """The response is ``status_code`` with exactly Mastodon's ``{"error": "..."}``."""
    assert response.status_code == status_code, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]
    assert "Traceback" not in body["error"]
    assert "/work/" not in body["error"]
    return body["error"]


# Deep JSON


@pytest.mark.django_db
def test_json_nested_a_thousand_deep_is_400_and_posts_nothing(auth_client):
    response = auth_client.post(
        "/api/v1/statuses", data=nested_json(1000), content_type="application/json"
    )

    error = assert_error_shape(response, 400)
    assert error.startswith("JSON parse error")
    assert "too deep" in error
    assert Status.objects.count() == 0


@pytest.mark.django_db
def test_json_just_past_the_nesting_limit_is_400(auth_client):
    response = auth_client.post(
        "/api/v1/statuses", data=nested_json(100), content_type="application/json"
    )

    assert_error_shape(response, 400)
    assert Status.objects.count() == 0


@pytest.mark.django_db
def test_json_within_the_nesting_limit_reaches_validation(auth_client):
    response = auth_client.post(
        "/api/v1/statuses", data=nested_json(20), content_type="application/json"
    )

    assert response.status_code == 422
    assert Status.objects.count() == 0


# NUL bytes


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/api/v2/search?q=abc%00def", id="search-q"),
        pytest.param("/api/v1/accounts/lookup?acct=alice%00", id="lookup-acct"),
        pytest.param("/api/v1/timelines/tag/cats%00dogs", id="tag-path"),
        pytest.param("/api/v1/timelines/public?max_id=%00", id="any-query-parameter"),
    ],
)
@pytest.mark.django_db
def test_a_nul_byte_in_the_path_or_query_is_400(auth_client, path):
    response = auth_client.get(path)

    error = assert_error_shape(response, 400)
    assert "NUL" in error


@pytest.mark.parametrize(
    "format_",
    [
        pytest.param("multipart", id="multipart"),
        pytest.param("json", id="json"),
    ],
)
@pytest.mark.django_db
def test_a_nul_byte_in_redirect_uris_is_400_and_registers_no_app(format_):
    apps_before = Application.objects.count()

    response = APIClient().post(
        "/api/v1/apps",
        {"client_name": "nul", "redirect_uris": "https://example.com/\x00cb", "scopes": "read"},
        format=format_,
    )

    error = assert_error_shape(response, 400)
    assert "redirect_uris" in error
    assert Application.objects.count() == apps_before


@pytest.mark.django_db
def test_a_nul_byte_in_a_urlencoded_form_field_is_400(auth_client):
    response = auth_client.post(
        "/api/v1/statuses",
        data="status=hello%00world&visibility=public",
        content_type="application/x-www-form-urlencoded",
    )

    error = assert_error_shape(response, 400)
    assert "status" in error
    assert Status.objects.count() == 0


@pytest.mark.django_db
def test_a_nul_byte_in_a_patch_form_field_is_400(auth_client):
    response = auth_client.patch(
        "/api/v1/accounts/update_credentials",
        data="note=hi%00there",
        content_type="application/x-www-form-urlencoded",
    )

    error = assert_error_shape(response, 400)
    assert "note" in error
    auth_client.user.refresh_from_db()
    assert "\x00" not in json.dumps(
        {
            field.name: str(getattr(auth_client.user, field.attname, ""))
            for field in auth_client.user._meta.concrete_fields
        }
    )


@pytest.mark.django_db
def test_a_nul_byte_in_the_oauth_token_form_is_400():
    response = APIClient().post(
        "/oauth/token",
        data="grant_type=client_credentials&client_id=abc%00&client_secret=x",
        content_type="application/x-www-form-urlencoded",
    )

    assert_error_shape(response, 400)


# Oversized bodies, too many fields or files


@pytest.fixture
def small_uploads(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/json", json.dumps({"status": "x" * 2_000}), id="json"),
        pytest.param("application/x-www-form-urlencoded", "status=" + "x" * 2_000, id="form"),
    ],
)
@pytest.mark.django_db
def test_an_oversized_body_is_413_and_posts_nothing(auth_client, small_uploads, content_type, body):
    response = auth_client.post("/api/v1/statuses", data=body, content_type=content_type)

    assert_error_shape(response, 413)
    assert Status.objects.count() == 0


@pytest.mark.django_db
def test_an_oversized_multipart_field_is_413_and_posts_nothing(auth_client, small_uploads):
    response = auth_client.post("/api/v1/statuses", {"status": "x" * 2_000}, format="multipart")

    assert_error_shape(response, 413)
    assert Status.objects.count() == 0


@pytest.mark.parametrize(
    "format_",
    [pytest.param("multipart", id="multipart"), pytest.param("urlencoded", id="urlencoded")],
)
@pytest.mark.django_db
def test_too_many_fields_is_400_and_posts_nothing(auth_client, small_uploads, format_):
    fields = {"status": "hello", **{f"extra{number}": "x" for number in range(20)}}
    if format_ == "multipart":
        response = auth_client.post("/api/v1/statuses", fields, format="multipart")
    else:
        response = auth_client.post(
            "/api/v1/statuses",
            data="&".join(f"{key}={value}" for key, value in fields.items()),
            content_type="application/x-www-form-urlencoded",
        )

    error = assert_error_shape(response, 400)
    assert "fields" in error
    assert Status.objects.count() == 0


@pytest.mark.django_db
def test_too_many_files_is_400_and_stores_nothing(auth_client, small_uploads):
    files = {
        f"file{number}": SimpleUploadedFile(f"f{number}.png", b"\x89PNG", content_type="image/png")
        for number in range(3)
    }

    response = auth_client.post("/api/v2/media", files, format="multipart")

    error = assert_error_shape(response, 400)
    assert "files" in error
    assert MediaAttachment.objects.count() == 0


# JSON errors on API paths, with DEBUG on or off


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def either_mode(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/no-such-endpoint",
        "/api/agora/v1/no-such-endpoint",
        "/oauth/no-such-endpoint",
        "/.well-known/no-such-document",
    ],
)
@pytest.mark.django_db
def test_an_unknown_api_path_is_json_404_in_either_mode(client, either_mode, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "Record not found"}


@pytest.mark.django_db
def test_an_unknown_page_outside_the_api_stays_html_in_debug(client, settings):
    settings.DEBUG = True

    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_a_crash_in_an_api_view_is_json_without_traceback_in_either_mode(settings, either_mode):
    settings.ROOT_URLCONF = "tests.core.urls_for_tests"
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/test/broken")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "We're sorry, but something went wrong on our end."}
    assert b"secret internal detail" not in response.content
    assert b"Traceback" not in response.content
