"""The review side on PostgreSQL: the audit trail's trigger, concurrent reports joining one
case, and strike expiry on a real Celery worker."""

import datetime as dt
import threading
import time

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from apps.moderation import services
from apps.moderation.models import Case, Report, Strike
from core import audit
from core.models import AuditEntry
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.integration


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sql",
    [
        pytest.param("UPDATE core_auditentry SET note = 'rewritten' WHERE id = %s", id="update"),
        pytest.param("DELETE FROM core_auditentry WHERE id = %s", id="delete"),
    ],
)
def test_postgresql_refuses_to_change_or_delete_an_audit_row_even_for_its_superuser(sql):
    record = audit.case_reopened(actor=None, case_id=1, before={}, after={})
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone()[0] is True  # the test connects as a database superuser

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql, [record.pk])

    assert AuditEntry.objects.get(pk=record.pk).note == ""


@pytest.mark.django_db(transaction=True)
def test_concurrent_reports_about_one_status_join_one_case():
    from apps.feed.services import status_create

    author = UserFactory(username="author")
    status = status_create(author=author, text="spam", visibility="public")
    reporters = [UserFactory(username=f"reporter{n}") for n in range(6)]
    barrier = threading.Barrier(len(reporters))
    errors = []

    def file(reporter):
        try:
            barrier.wait()
            services.report_create(
                reporter=reporter, account_id=author.pk, status_ids=[status.pk], category="spam"
            )
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=file, args=(r,)) for r in reporters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    case = Case.objects.get(content_type="status", content_id=status.pk)
    assert case.report_count == len(reporters)
    assert Report.objects.filter(case=case).count() == len(reporters)
    # each new reporter weighs its record (0.5) times its trust (a new account's 0.3 / 0.5)
    assert case.reporter_weight == pytest.approx(0.3 * len(reporters))


@pytest.mark.django_db(transaction=True)
def test_the_worker_expires_strikes_and_lifts_the_policy_limit(celery_worker_process):
    from apps.moderation import strikes
    from apps.moderation.case_tasks import strikes_expire_task

    account = UserFactory(username="struck")
    for _ in range(3):
        strikes.strike_create(account=account, action="none", text="warning")
    assert strikes.current_restriction(account.pk) == "limited"
    Strike.objects.filter(account=account).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    strikes_expire_task.delay()

    deadline = time.monotonic() + 30
    while Strike.objects.filter(account=account, expired_handled=False).exists():
        assert time.monotonic() < deadline, "the worker did not expire the strikes"
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while strikes.current_restriction(account.pk) != "none":
        assert time.monotonic() < deadline, "the policy limit was not lifted"
        time.sleep(0.2)
