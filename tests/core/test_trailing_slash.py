"""Mastodon clients ask for API paths with and without a trailing slash."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/instance", "/api/v1/instance/", "/api/v2/instance/"])
def test_api_paths_answer_with_or_without_a_trailing_slash(client, path):
    response = client.get(path)

    assert response.status_code == 200
    assert "version" in response.json()


def test_routes_that_end_in_a_slash_are_left_alone(client):
    assert client.get("/api/schema/").status_code == 200


def test_unknown_api_paths_are_still_404_in_mastodon_shape(client):
    response = client.get("/api/v1/nothing-here/")

    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}
