"""Mastodon's pagination: max_id, since_id, min_id, limit and the Link header."""

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.errors import Invalid
from core.models import BackgroundJob
from core.pagination import link_header, page_params, paginate_queryset

factory = APIRequestFactory()


def request_for(**query) -> Request:
    return Request(factory.get("/api/v1/things", query))


@pytest.fixture
def jobs(db):
    """45 jobs with ids 1..45 (newest = highest)."""
    BackgroundJob.objects.bulk_create(BackgroundJob(id=n, kind="page") for n in range(1, 46))
    return BackgroundJob.objects.all()


def ids_of(page) -> list[int]:
    return [job.pk for job in page]


def page_for(jobs, **query) -> list[int]:
    return ids_of(paginate_queryset(jobs, page_params(request_for(**query))))


def test_default_page_is_the_newest_20(jobs):
    assert page_for(jobs) == list(range(45, 25, -1))


def test_limit_is_honoured_and_capped_at_40(jobs):
    assert page_for(jobs, limit=3) == [45, 44, 43]
    assert len(page_for(jobs, limit=100)) == 40


def test_max_id_pages_to_older_items(jobs):
    assert page_for(jobs, max_id=10, limit=3) == [9, 8, 7]


def test_since_id_returns_the_newest_items_above_it(jobs):
    assert page_for(jobs, since_id=40, limit=3) == [45, 44, 43]


def test_min_id_returns_the_items_just_above_it_newest_first(jobs):
    assert page_for(jobs, min_id=40, limit=3) == [43, 42, 41]


def test_max_id_and_since_id_together_bound_the_page(jobs):
    assert page_for(jobs, max_id=10, since_id=5) == [9, 8, 7, 6]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "abc"),
        ("limit", "-1"),
        ("limit", "0"),
        ("max_id", "1.5"),
        ("since_id", "-3"),
        ("min_id", str(2**63)),
    ],
)
def test_bad_values_are_refused(name, value):
    with pytest.raises(Invalid) as raised:
        page_params(request_for(**{name: value}))

    assert list(raised.value.detail) == [name]


def test_bad_value_answers_422_through_the_api(auth_client, settings):
    settings.ROOT_URLCONF = "tests.core.urls_for_tests"
    response = auth_client.get("/api/test/paged", {"limit": "many"})

    assert response.status_code == 422
    assert response.json() == {
        "error": "Validation failed: limit must be an integer id",
        "details": {"limit": [{"error": "ERR_INVALID", "description": "must be an integer id"}]},
    }


def test_link_header_points_to_older_and_newer_pages(jobs):
    request = request_for(limit=3, max_id=10, only_media="true")
    params = page_params(request)
    page = paginate_queryset(jobs, params)

    header = link_header(request, page, params)

    assert header == (
        "<http://testserver/api/v1/things?limit=3&only_media=true&max_id=7>; "
        'rel="next", '
        "<http://testserver/api/v1/things?limit=3&only_media=true&min_id=9>; "
        'rel="prev"'
    )


def test_empty_page_has_no_link_header(jobs):
    request = request_for(max_id=1)
    params = page_params(request)

    assert link_header(request, paginate_queryset(jobs, params), params) is None


def test_paged_api_view_sends_ids_as_strings_and_a_link_header(jobs, client, settings):
    settings.ROOT_URLCONF = "tests.core.urls_for_tests"

    response = client.get("/api/test/paged", {"limit": 2, "max_id": 5})

    assert response.status_code == 200
    assert response.json() == ["4", "3"]
    assert response["Link"] == (
        '<http://testserver/api/test/paged?limit=2&max_id=3>; rel="next", '
        '<http://testserver/api/test/paged?limit=2&min_id=4>; rel="prev"'
    )
