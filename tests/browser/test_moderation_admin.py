"""A moderator signs in with a password and a TOTP code in a real headless Chromium, opens
the review queue, claims a reported case and removes the status; then the API shows the
status gone from every timeline and the author with the strike and its notification."""

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait
from waffle.models import Flag

from apps.moderation.models import Case, Strike
from core import flags
from core.models import AuditEntry
from tests.accounts.factories import DEFAULT_PASSWORD
from tests.feed.conftest import Member
from tests.security.staff import current_code, staff_member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


PAGE_SECONDS = 15


def click_to_load(browser, element) -> None:
    """Click ``element`` and wait until the page it leaves is gone, so that what the test
    reads next comes from the new page, never from the old one (a stale element)."""
    element.click()
    WebDriverWait(browser, PAGE_SECONDS).until(expected_conditions.staleness_of(element))


def timeline_ids(member, path, **params) -> list[str]:
    response = member.client.get(path, params)
    assert response.status_code == 200, response.json()
    return [status["id"] for status in response.json()]


def test_a_moderator_removes_a_reported_status_from_the_admin(live_server, browser, eager_celery):
    # given: automated moderation is off (it would hide this spam before anyone reports it;
    # this test is the human path), alice posts publicly, bob follows her and reports the post
    Flag.objects.update_or_create(name=flags.AI_MODERATION, defaults={"everyone": False})
    alice, bob, carol = Member("alice"), Member("bob"), Member("carol")
    bob.follow(alice)
    carol.follow(alice)
    post = alice.post("#deals buy followers now at scam.example, limited offer")
    report = bob.client.post(
        "/api/v1/reports",
        {"account_id": alice.id, "status_ids": [post["id"]], "category": "spam", "comment": "spam"},
        format="json",
    )
    assert report.status_code == 200, report.json()
    case = Case.objects.get(content_type="status", content_id=int(post["id"]))
    for path in (
        "/api/v1/timelines/home",
        "/api/v1/timelines/public",
        "/api/v1/timelines/tag/deals",
    ):
        assert post["id"] in timeline_ids(bob, path)
    moderator = staff_member("moderator", username="mod")
    device = moderator.totpdevice_set.get()

    # when: the moderator signs in with password and TOTP code
    browser.get(f"{live_server.url}{reverse('admin:login')}")
    browser.find_element(By.ID, "id_username").send_keys("mod")
    browser.find_element(By.ID, "id_password").send_keys(DEFAULT_PASSWORD)
    browser.find_element(By.ID, "id_otp_token").send_keys(current_code(device))
    click_to_load(browser, browser.find_element(By.CSS_SELECTOR, "#login-form input[type=submit]"))
    assert browser.find_element(By.ID, "user-tools")

    # ... opens the queue and the case
    browser.get(f"{live_server.url}{reverse('admin:moderation_case_changelist')}")
    rows = browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")
    assert len(rows) == 1
    click_to_load(browser, browser.find_element(By.LINK_TEXT, f"status {post['id']}"))
    assert "buy followers now" in browser.find_element(By.ID, "case-content").text
    assert "@bob" in browser.find_element(By.ID, "case-reports").text

    # ... claims it
    click_to_load(browser, browser.find_element(By.ID, "claim-case"))
    assert "mod" in browser.find_element(By.ID, "case-assignee").text

    # ... and removes the status with a note and a reason for alice
    Select(browser.find_element(By.ID, "id_action")).select_by_value("remove")
    browser.find_element(By.ID, "id_note").send_keys("Link farm, reported by a follower.")
    browser.find_element(By.ID, "id_reason").send_keys("Spam is not allowed here.")
    click_to_load(browser, browser.find_element(By.ID, "act-submit"))
    assert "Remove" in browser.find_element(By.CSS_SELECTOR, "ul.messagelist").text

    # then: the case is resolved, audited, and the status is gone from every timeline
    case.refresh_from_db()
    assert (case.state, case.resolution, case.resolved_by_id) == (
        "resolved",
        "remove",
        moderator.pk,
    )
    assert AuditEntry.objects.filter(action="case_remove", actor_id=moderator.pk).count() == 1
    assert AuditEntry.objects.filter(action="case_claimed", actor_id=moderator.pk).count() == 1
    anonymous = Member.__new__(Member)
    from tests.api_client import APIClient

    anonymous.client = APIClient()
    for viewer in (bob, carol, anonymous):
        for path in ("/api/v1/timelines/public", "/api/v1/timelines/tag/deals"):
            assert post["id"] not in timeline_ids(viewer, path)
        assert post["id"] not in timeline_ids(viewer, f"/api/v1/accounts/{alice.id}/statuses")
        assert viewer.client.get(f"/api/v1/statuses/{post['id']}").status_code == 404
    for viewer in (bob, carol):
        assert post["id"] not in timeline_ids(viewer, "/api/v1/timelines/home")

    # ... and alice has the strike and Mastodon's moderation_warning notification
    strike = Strike.objects.get(account=alice.account)
    assert strike.action == "delete_statuses"
    assert strike.text == "Spam is not allowed here."
    assert strike.status_ids == [int(post["id"])]
    notifications = alice.client.get("/api/v1/notifications").json()
    warnings = [n for n in notifications if n["type"] == "moderation_warning"]
    assert len(warnings) == 1, notifications
    warning = warnings[0]["moderation_warning"]
    assert warning["id"] == str(strike.pk)
    assert warning["action"] == "delete_statuses"
    assert warning["text"] == "Spam is not allowed here."
    assert warning["status_ids"] == [post["id"]]
