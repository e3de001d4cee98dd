"""The OpenAPI schema documents the error answers the platform gives on every operation."""

import pytest

from tests.api_client import APIClient

pytestmark = pytest.mark.django_db

ERROR = {"$ref": "#/components/schemas/Error"}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def documented(schema, path, method) -> dict:
    return schema["paths"][path][method]["responses"]


def error_codes(responses) -> set[str]:
    return {
        code
        for code, response in responses.items()
        if response.get("content", {}).get("application/json", {}).get("schema") == ERROR
    }


def test_every_api_operation_documents_the_platforms_errors(schema):
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method in operations.keys() & {"get", "post", "put", "patch", "delete"}:
            responses = documented(schema, path, method)
            for code in ("400", "401", "403", "429", "503"):
                assert code in responses, f"{method.upper()} {path} does not document {code}"


def test_path_ids_document_404_and_bodies_document_422_and_413(schema):
    status = documented(schema, "/api/v1/statuses/{status_id}", "get")
    create = documented(schema, "/api/v1/statuses", "post")
    timeline = documented(schema, "/api/v1/timelines/home", "get")

    assert {"404", "503"} <= error_codes(status)
    assert {"413", "422", "429"} <= error_codes(create)
    assert "404" not in timeline
    assert "422" in timeline  # a bad max_id or limit


def test_the_error_entity_is_mastodons(schema):
    error = schema["components"]["schemas"]["Error"]

    assert error["required"] == ["error"]
    assert error["properties"]["error"]["type"] == "string"
