"""Direct messages reach moderators only through a moderation case, and each view is audited.

The status admin (``/admin/feed/status/``) never lists a direct message nor finds one
by search; a moderator opens one only when a case or a report concerns it, and every
opening leaves an audit row (``personal_data_viewed``) naming who, which status and
which cases.
"""

import pytest

from apps.accounts.models import Visibility
from apps.moderation.models import Case
from core.models import AuditEntry
from tests.feed.factories import StatusFactory
from tests.moderation.factories import CaseFactory, ReportFactory
from tests.security.staff import staff_member, verified_client

LIST = "/admin/feed/status/"


def change_url(status) -> str:
    return f"/admin/feed/status/{status.pk}/change/"


@pytest.fixture
def moderator(db):
    return staff_member("moderator")


@pytest.fixture
def browser(moderator):
    return verified_client(moderator)


@pytest.fixture
def statuses(db):
    return {
        "public": StatusFactory(text="meet at the harbour", visibility=Visibility.PUBLIC),
        "direct": StatusFactory(text="the harbour door code is 4711", visibility=Visibility.DIRECT),
    }


def listed_ids(response) -> set[int]:
    return {status.pk for status in response.context["cl"].result_list}


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("", id="list"),
        pytest.param("?q=harbour", id="search"),
        pytest.param("?q=4711", id="search-dm-only-word"),
        pytest.param("?visibility__exact=direct", id="filter-direct"),
    ],
)
def test_the_status_list_never_shows_a_direct_message(browser, statuses, query):
    response = browser.get(f"{LIST}{query}")

    assert response.status_code == 200
    assert statuses["direct"].pk not in listed_ids(response)
    assert "door code" not in response.content.decode()


def test_searching_still_finds_other_statuses(browser, statuses):
    response = browser.get(f"{LIST}?q=harbour")

    assert listed_ids(response) == {statuses["public"].pk}


def test_a_direct_message_no_case_concerns_cannot_be_opened(browser, statuses):
    response = browser.get(change_url(statuses["direct"]), follow=True)

    assert "4711" not in response.content.decode()
    assert response.redirect_chain[0][0] == "/admin/"
    assert not AuditEntry.objects.exists()


def test_a_direct_message_a_case_is_about_opens_and_each_view_is_audited(
    browser, moderator, statuses
):
    dm = statuses["direct"]
    case = CaseFactory(content_type="status", content_id=dm.pk, author_id=dm.account_id)

    first = browser.get(change_url(dm))
    second = browser.get(change_url(dm))

    assert first.status_code == second.status_code == 200
    assert "4711" in first.content.decode()
    rows = list(
        AuditEntry.objects.order_by("pk").values_list(
            "actor_id", "action", "target_type", "target_id", "note"
        )
    )
    note = f"direct message, through case {case.pk}"
    assert rows == [(moderator.pk, "personal_data_viewed", "status", dm.pk, note)] * 2


def test_a_direct_message_named_in_a_report_opens_through_the_reports_case(
    browser, moderator, statuses
):
    dm = statuses["direct"]
    report = ReportFactory(
        target_account=dm.account,
        status_ids=[statuses["public"].pk, dm.pk],
        case__content_type="status",
        case__content_id=statuses["public"].pk,
        case__source=Case.Source.REPORT,
    )

    response = browser.get(change_url(dm))

    assert response.status_code == 200
    assert "4711" in response.content.decode()
    assert list(AuditEntry.objects.values_list("target_id", "note")) == [
        (dm.pk, f"direct message, through case {report.case_id}")
    ]


def test_opening_a_public_status_is_not_audited(browser, statuses):
    response = browser.get(change_url(statuses["public"]))

    assert response.status_code == 200
    assert not AuditEntry.objects.exists()
