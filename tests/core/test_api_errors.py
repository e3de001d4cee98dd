"""Every API error answers in Mastodon's shape, {"error": ...}, in the caller's language."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

from tests.api_client import APIClient


@pytest.fixture(scope="session")
def compiled_translations():
    """The .mo catalogues exist (``make messages`` does this for the whole suite)."""
    call_command("compile_translations", verbosity=0)
    # Forget catalogues loaded before they were compiled.
    with override_settings(LOCALE_PATHS=list(settings.LOCALE_PATHS)):
        pass


@pytest.fixture
def test_urls(settings):
    settings.ROOT_URLCONF = "tests.core.urls_for_tests"


@pytest.fixture
def production_errors(settings):
    """DEBUG off, as in production, so Django's own error pages are not used."""
    settings.DEBUG = False


def test_unknown_api_path_is_json_404(client, production_errors):
    response = client.get("/api/v1/no-such-endpoint")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"error": "Record not found"}


def test_unknown_page_outside_the_api_stays_html(client, production_errors):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_server_error_in_an_api_view_is_json_without_traceback(test_urls, production_errors):
    # given an API view that crashes
    client = APIClient(raise_request_exception=False)

    # when it is called
    response = client.get("/api/test/broken")

    # then the caller gets the error shape and nothing of the internals
    assert response.status_code == 500
    assert response.json() == {"error": "We're sorry, but something went wrong on our end."}
    assert b"secret internal detail" not in response.content
    assert b"Traceback" not in response.content


@pytest.mark.django_db
def test_malformed_json_is_400(test_urls):
    response = APIClient().post(
        "/api/test/echo", data='{"name": "ab",', content_type="application/json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert response.json()["error"].startswith("JSON parse error")


@pytest.mark.django_db
def test_validation_failure_is_422_with_details(test_urls):
    response = APIClient().post("/api/test/echo", {"name": "toolong", "age": -1}, format="json")

    assert response.status_code == 422
    assert response.json() == {
        "error": "Validation failed: name Ensure this field has no more than 5 characters., "
        "age Ensure this value is greater than or equal to 0.",
        "details": {
            "name": [
                {
                    "error": "ERR_MAX_LENGTH",
                    "description": "Ensure this field has no more than 5 characters.",
                }
            ],
            "age": [
                {
                    "error": "ERR_MIN_VALUE",
                    "description": "Ensure this value is greater than or equal to 0.",
                }
            ],
        },
    }


@pytest.mark.django_db
def test_drf_method_not_allowed_is_in_the_error_shape(test_urls):
    response = APIClient().delete("/api/test/echo")

    assert response.status_code == 405
    assert response.json() == {"error": 'Method "DELETE" not allowed.'}


@pytest.mark.django_db
def test_unsupported_media_type_is_in_the_error_shape(test_urls):
    response = APIClient().post("/api/test/echo", data="<x/>", content_type="application/xml")

    assert response.status_code == 415
    assert response.json() == {"error": 'Unsupported media type "application/xml" in request.'}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "Record not found"),
        ("es", "Registro no encontrado"),
        ("de", "Eintrag nicht gefunden"),
        ("de-DE,de;q=0.9,en;q=0.5", "Eintrag nicht gefunden"),
        ("fr", "Record not found"),
    ],
)
def test_not_found_is_in_the_callers_language(
    client, production_errors, compiled_translations, language, expected
):
    response = client.get("/api/v1/no-such-endpoint", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 404
    assert response.json() == {"error": expected}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "El token de acceso no es válido"),
        ("de", "Das Zugriffstoken ist ungültig"),
    ],
)
@pytest.mark.django_db
def test_authentication_errors_are_in_the_callers_language(
    compiled_translations, language, expected
):
    response = APIClient().get("/api/agora/v1/jobs/1", HTTP_ACCEPT_LANGUAGE=language)

    assert response.status_code == 401
    assert response.json() == {"error": expected}


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", "La validación falló: name Este campo es obligatorio."),
        ("de", "Validierung fehlgeschlagen: name Dieses Feld ist erforderlich."),
    ],
)
@pytest.mark.django_db
def test_validation_errors_are_in_the_callers_language(
    test_urls, compiled_translations, language, expected
):
    response = APIClient().post(
        "/api/test/echo", {"age": 3}, format="json", HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 422
    assert response.json()["error"] == expected
