"""The feed's status screen in the admin, with moderation installed: a report count
column and filter (apps/moderation/admin/feed.py)."""

import pytest
from django.urls import reverse

from core.roles import sync_roles
from tests.feed.factories import StatusFactory
from tests.moderation.factories import CaseFactory, ReportFactory
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator_client():
    sync_roles()
    return verified_client(staff_member("moderator"))


@pytest.fixture
def statuses(alice):
    """Three statuses: reported three times, once, and never."""
    loud, quiet, clean = (StatusFactory(account=alice.account, text=t) for t in "abc")
    for status, reports in ((loud, 3), (quiet, 1)):
        case = CaseFactory(content_type="status", content_id=status.pk, author_id=alice.account.pk)
        ReportFactory.create_batch(reports, case=case, target_account=alice.account)
    # A report about the account, not a status, counts for no status.
    ReportFactory(target_account=alice.account)
    return loud, quiet, clean


def listed(client, **query) -> dict:
    response = client.get(reverse("admin:feed_status_changelist"), query)
    assert response.status_code == 200
    return {status.pk: status.report_count for status in response.context["cl"].result_list}


def test_each_status_shows_its_report_count(moderator_client, statuses):
    loud, quiet, clean = statuses

    assert listed(moderator_client) == {loud.pk: 3, quiet.pk: 1, clean.pk: 0}


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", ["clean"]), ("1", ["loud", "quiet"]), ("3", ["loud"]), ("10", [])],
)
def test_filter_by_report_count(moderator_client, statuses, value, expected):
    by_name = dict(zip(["loud", "quiet", "clean"], statuses, strict=True))

    shown = listed(moderator_client, reports=value)

    assert sorted(shown) == sorted(by_name[name].pk for name in expected)


def test_an_unknown_filter_value_lists_everything(moderator_client, statuses):
    assert len(listed(moderator_client, reports="many")) == 3


def test_sorting_by_report_count_and_flat_queries(
    moderator_client, statuses, django_assert_max_num_queries
):
    loud, quiet, clean = statuses
    url = reverse("admin:feed_status_changelist")
    columns = moderator_client.get(url).context["cl"].list_display
    column = columns.index("report_count")

    with django_assert_max_num_queries(12):
        response = moderator_client.get(url, {"o": f"-{column}"})

    assert [s.pk for s in response.context["cl"].result_list] == [loud.pk, quiet.pk, clean.pk]
