"""The back-office screens for background jobs: read-only, searchable, revocable."""

import pytest
from django.contrib.auth.models import Permission

from core.jobs import job_create, job_failed, job_progress, job_succeeded
from core.models import BackgroundJob
from tests.accounts.factories import UserFactory
from tests.core.conftest import verified_client

CHANGELIST = "/admin/core/backgroundjob/"


@pytest.fixture
def jobs(db):
    """Three jobs: alice's pending export, bob's transcode half way, a failed system job."""
    alice = UserFactory(username="alice")
    bob = UserFactory(username="bob")
    pending = job_create(owner=alice, kind="export")
    halfway = job_create(owner=bob, kind="media.transcode")
    job_progress(job_id=halfway.pk, progress=50, message="Encoding")
    failed = job_create(owner=None, kind="maintenance")
    job_failed(job_id=failed.pk, error="Disk full.")
    return {"pending": pending, "halfway": halfway, "failed": failed}


def listed_ids(response) -> set[int]:
    return {job.pk for job in response.context["cl"].result_list}


def test_changelist_lists_every_job(admin_client, jobs, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert listed_ids(response) == {job.pk for job in jobs.values()}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=FAILURE", {"failed"}),
        ("status__exact=PROGRESS", {"halfway"}),
        ("progress=none", {"pending", "failed"}),
        ("progress=partial", {"halfway"}),
        ("progress=complete", set()),
        ("q=transcode", {"halfway"}),
        ("q=alice", {"pending"}),
        ("q=bob%40example.com", {"halfway"}),
    ],
    ids=lambda value: str(value),
)
def test_changelist_filters_and_searches(admin_client, jobs, query, expected):
    response = admin_client.get(f"{CHANGELIST}?{query}")

    assert response.status_code == 200
    assert listed_ids(response) == {jobs[name].pk for name in expected}


def test_job_page_is_read_only(admin_client, jobs):
    # given a job
    job = jobs["halfway"]
    url = f"{CHANGELIST}{job.pk}/change/"

    # when an operator opens it and tries to post a change
    page = admin_client.get(url)
    attempt = admin_client.post(url, {"status": "SUCCESS", "progress": 100})

    # then the page shows it without a save button and the post is refused
    job.refresh_from_db()
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert b"Encoding" in page.content
    assert attempt.status_code == 403
    assert (job.status, job.progress) == ("PROGRESS", 50)


def test_jobs_cannot_be_added_or_deleted_in_the_admin(admin_client, jobs):
    job = jobs["pending"]

    add = admin_client.get(f"{CHANGELIST}add/")
    delete = admin_client.post(f"{CHANGELIST}{job.pk}/delete/", {"post": "yes"})

    assert add.status_code == 403
    assert delete.status_code == 403
    assert BackgroundJob.objects.filter(pk=job.pk).exists()


def test_revoke_action_revokes_running_jobs_and_leaves_finished_ones(admin_client, jobs):
    # given a pending, a running and a failed job
    selected = [jobs["pending"].pk, jobs["halfway"].pk, jobs["failed"].pk]

    # when the operator revokes all three
    response = admin_client.post(
        CHANGELIST,
        {"action": "revoke_jobs", "_selected_action": selected},
        follow=True,
    )

    # then the unfinished ones are revoked and the finished one is left as it was
    statuses = dict(BackgroundJob.objects.values_list("pk", "status"))
    messages = [str(message) for message in response.context["messages"]]
    assert statuses == {
        jobs["pending"].pk: "REVOKED",
        jobs["halfway"].pk: "REVOKED",
        jobs["failed"].pk: "FAILURE",
    }
    assert messages == [
        "Revoked 2 jobs.",
        "1 job had already finished and was left as it was.",
    ]


def test_staff_who_may_only_view_jobs_cannot_revoke(jobs):
    # given staff with the view permission only
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_backgroundjob"))
    client = verified_client(viewer)

    # when they open the list and try the revoke action anyway
    page = client.get(CHANGELIST)
    client.post(CHANGELIST, {"action": "revoke_jobs", "_selected_action": [jobs["pending"].pk]})

    # then the action is not offered and nothing changed
    jobs["pending"].refresh_from_db()
    assert page.status_code == 200
    assert b"revoke_jobs" not in page.content
    assert jobs["pending"].status == "PENDING"


def test_staff_with_change_permission_can_revoke(jobs):
    operator = UserFactory(username="operator", is_staff=True)
    operator.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_backgroundjob", "change_backgroundjob"])
    )
    client = verified_client(operator)

    client.post(CHANGELIST, {"action": "revoke_jobs", "_selected_action": [jobs["pending"].pk]})

    jobs["pending"].refresh_from_db()
    assert jobs["pending"].status == "REVOKED"


def test_succeeded_job_cannot_be_revoked_from_the_admin(admin_client, user):
    job = job_create(owner=user, kind="export")
    job_succeeded(job_id=job.pk, result={"ok": True})

    admin_client.post(CHANGELIST, {"action": "revoke_jobs", "_selected_action": [job.pk]})

    job.refresh_from_db()
    assert job.status == "SUCCESS"
