"""GET /api/agora/v1/jobs/<id>: a background job, for its owner only."""

import pytest

from core.jobs import job_create, job_progress, job_started, job_succeeded
from tests.accounts.factories import UserFactory
from tests.api_client import APIClient

NOT_FOUND = {"error": "Record not found"}


def job_url(job_id) -> str:
    return f"/api/agora/v1/jobs/{job_id}"


def test_owner_reads_their_job(auth_client, user, django_assert_max_num_queries):
    # given a job part way through
    job = job_create(owner=user, kind="media.transcode")
    job_started(job_id=job.pk, task_id="task-1")
    job = job_progress(job_id=job.pk, progress=40, message="Encoding")

    # when its owner asks
    with django_assert_max_num_queries(3):
        response = auth_client.get(job_url(job.pk))

    # then they see its state, the id as a string
    job.refresh_from_db()
    assert response.status_code == 200
    assert response.json() == {
        "id": str(job.pk),
        "kind": "media.transcode",
        "status": "progress",
        "progress": 40,
        "message": "Encoding",
        "result": None,
        "error": "",
        "attempts": 1,
        "created_at": job.created_at.isoformat().replace("+00:00", "Z"),
        "updated_at": job.updated_at.isoformat().replace("+00:00", "Z"),
        "started_at": job.started_at.isoformat().replace("+00:00", "Z"),
        "finished_at": None,
    }


def test_owner_reads_the_result_of_a_finished_job(auth_client, user):
    job = job_create(owner=user, kind="export")
    job_succeeded(job_id=job.pk, result={"url": "/media/export.zip"})

    response = auth_client.get(job_url(job.pk))

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["progress"]) == ("success", 100)
    assert body["result"] == {"url": "/media/export.zip"}
    assert body["finished_at"] is not None


def test_someone_elses_job_is_not_found(auth_client):
    # given a job of another account
    job = job_create(owner=UserFactory(), kind="export")

    # when the signed-in user asks for it
    response = auth_client.get(job_url(job.pk))

    # then it does not exist for them
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_system_job_is_not_found(auth_client):
    job = job_create(owner=None, kind="maintenance")

    response = auth_client.get(job_url(job.pk))

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize(
    "job_id",
    ["1", "abc", "12a", "-5", "0", str(2**63), "9" * 40, "%C2%B2"],
    ids=["unknown", "letters", "mixed", "negative", "zero", "overflow", "huge", "superscript"],
)
def test_malformed_or_unknown_ids_are_not_found(auth_client, job_id):
    response = auth_client.get(job_url(job_id))

    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.django_db
def test_anonymous_is_refused(user):
    job = job_create(owner=user, kind="export")

    response = APIClient().get(job_url(job.pk))

    assert response.status_code == 401
    assert response.json() == {"error": "The access token is invalid"}


def test_a_token_without_read_scope_is_refused(user, token_for):
    # given a token that may only write
    job = job_create(owner=user, kind="export")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, scope='write')}")

    # when it asks for the owner's job
    response = client.get(job_url(job.pk))

    # then the scope is refused
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_jobs_cannot_be_changed_through_the_api(auth_client, user, method):
    job = job_create(owner=user, kind="export")

    response = getattr(auth_client, method)(job_url(job.pk), {"status": "SUCCESS"}, format="json")

    job.refresh_from_db()
    assert response.status_code == 405
    assert set(response.json()) == {"error"}
    assert job.status == "PENDING"
