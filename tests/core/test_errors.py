"""The platform's own errors reach clients in Mastodon's shape, and ids reach views as ints."""

import pytest

from core import errors


@pytest.fixture
def client_for_tests(api_client, settings):
    settings.ROOT_URLCONF = "tests.core.urls_for_tests"
    return api_client


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("NotFound", 404),
        ("Forbidden", 403),
        ("Unprocessable", 422),
        ("Conflict", 409),
        ("Gone", 410),
        ("RangeNotSatisfiable", 416),
        ("TooLarge", 413),
        ("Unavailable", 503),
    ],
)
def test_each_platform_error_answers_its_status_with_the_message(client_for_tests, name, status):
    response = client_for_tests.get(f"/api/test/raise/{name}")

    assert response.status_code == status
    assert response.json() == {"error": "what went wrong"}


def test_unavailable_asks_the_client_to_retry(client_for_tests):
    response = client_for_tests.get("/api/test/raise/Unavailable")

    assert response["Retry-After"] == "5"


def test_invalid_answers_422_with_mastodon_details(client_for_tests):
    response = client_for_tests.get("/api/test/raise/Invalid")

    assert response.status_code == 422
    assert response.json() == {
        "error": "Validation failed: visibility Validation failed",
        "details": {"visibility": [{"error": "ERR_BLANK", "description": "Validation failed"}]},
    }


def test_message_is_one_line_for_the_admin_and_commands():
    error = errors.Invalid({"text": ["can't be blank"], "language": ["is not a code"]})

    assert error.message == "text can't be blank; language is not a code"
    assert errors.NotFound().message == "Record not found"


def test_an_id_in_the_path_reaches_the_view_as_an_int(client_for_tests):
    response = client_for_tests.get("/api/test/things/109876543210")

    assert response.json() == {"id": 109876543210, "type": "int"}


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", str(2**63), "1" * 20, "١٢"])
def test_anything_but_a_64_bit_id_is_not_found(client_for_tests, value):
    response = client_for_tests.get(f"/api/test/things/{value}")

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def test_a_literal_path_is_never_captured_by_an_id_route(client_for_tests):
    assert client_for_tests.get("/api/test/things/search").json() == {"literal": True}
