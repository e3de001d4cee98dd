"""The role matrix: which admin pages each back-office role can open, and which it cannot.

Staff are signed in with two-factor already verified, so these tests exercise the
permissions of each role (core.roles), not the sign-in gate (test_admin_2fa.py).
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core.roles import ROLES, sync_roles
from tests.accounts.factories import UserFactory
from tests.security.staff import staff_member, verified_client

pytestmark = pytest.mark.django_db

PAGES = {
    "index": "admin:index",
    "users": "admin:accounts_user_changelist",
    "statuses": "admin:feed_status_changelist",
    "jobs": "admin:core_backgroundjob_changelist",
    "outbox": "admin:core_outboxevent_changelist",
    "flags": "admin:waffle_flag_changelist",
    "switches": "admin:waffle_switch_changelist",
    "periodic_tasks": "admin:django_celery_beat_periodictask_changelist",
    "stripe_customers": "admin:djstripe_customer_changelist",
    "stripe_invoices": "admin:djstripe_invoice_changelist",
    "stripe_api_keys": "admin:djstripe_apikey_changelist",
    "billing_plans": "admin:billing_plan_changelist",
    "billing_subscriptions": "admin:billing_subscription_changelist",
    "billing_customers": "admin:billing_customer_changelist",
    "billing_webhook_events": "admin:billing_webhookevent_changelist",
    "billing_ledger": "admin:billing_ledgerentry_changelist",
    "billing_ledger_export": "admin:billing_ledgerentry_export",
    "billing_payout_batches": "admin:billing_payoutbatch_changelist",
    "billing_payouts": "admin:billing_payout_changelist",
    "billing_holds": "admin:billing_payouthold_changelist",
    "live_streams": "admin:live_stream_changelist",
    "live_allowances": "admin:live_liveallowance_changelist",
    "lockouts": "admin:axes_accessattempt_changelist",
    "groups": "admin:auth_group_changelist",
    "oauth_applications": "admin:accounts_application_changelist",
    "otp_devices": "admin:otp_totp_totpdevice_changelist",
    "review_queue": "admin:moderation_case_changelist",
    "reports": "admin:moderation_report_changelist",
    "strikes": "admin:moderation_strike_changelist",
    "server_rules": "admin:moderation_rule_changelist",
    "audit_records": "admin:core_auditentry_changelist",
    "policies": "admin:moderation_policy_changelist",
    "known_media": "admin:moderation_knownmediahash_changelist",
    "assessments": "admin:moderation_assessment_changelist",
    "media_library": "admin:media_mediaattachment_changelist",
    "uploads": "admin:media_upload_changelist",
    "preview_cards": "admin:feed_previewcard_changelist",
    "custom_emojis": "admin:accounts_customemoji_changelist",
    "announcements": "admin:accounts_announcement_changelist",
}

OK, DENIED, LOGIN = 200, 403, "login"

# Who sees what: a role opens exactly the pages listed for it, and gets 403 on the
# rest; a signed-in account that is not staff is sent to the login page.
ALLOWED = {
    "moderator": {
        "index",
        "users",
        "statuses",
        "review_queue",
        "reports",
        "strikes",
        "server_rules",
        "audit_records",
        "policies",
        "known_media",
        "assessments",
        "media_library",
        "uploads",
        "preview_cards",
        "live_streams",
    },  # fmt: skip
    "reviewer": {"index", "users"},
    "finance": {
        "index",
        "stripe_customers",
        "stripe_invoices",
        "billing_plans",
        "billing_subscriptions",
        "billing_customers",
        "billing_webhook_events",
        "billing_ledger",
        "billing_ledger_export",
        "billing_payout_batches",
        "billing_payouts",
        "billing_holds",
    },
    "operator": {
        "index",
        "jobs",
        "outbox",
        "flags",
        "switches",
        "periodic_tasks",
        "lockouts",
        "media_library",
        "uploads",
        "custom_emojis",
        "announcements",
        "live_streams",
        "live_allowances",
    },
    "superuser": set(PAGES),
}

MATRIX = [
    pytest.param(who, page, OK if page in allowed else DENIED, id=f"{who}-{page}")
    for who, allowed in ALLOWED.items()
    for page in PAGES
] + [pytest.param("plain_user", page, LOGIN, id=f"plain_user-{page}") for page in PAGES]


def account_for(who: str):
    if who == "superuser":
        return staff_member(is_superuser=True)
    if who == "plain_user":
        return UserFactory()
    return staff_member(who)


@pytest.mark.parametrize(("who", "page", "expected"), MATRIX)
def test_admin_page_access_by_role(who, page, expected):
    # given
    client = verified_client(account_for(who))
    url = reverse(PAGES[page])

    # when
    response = client.get(url)

    # then
    if expected == LOGIN:
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('admin:login')}?next={url}"
    else:
        assert response.status_code == expected


def test_the_groups_hold_exactly_the_permissions_of_core_roles():
    # given
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLES)}

    # then
    assert sorted(groups) == ["finance", "moderator", "operator", "reviewer"]
    for role, wanted in ROLES.items():
        held = {
            f"{app_label}.{codename}"
            for app_label, codename in groups[role].permissions.values_list(
                "content_type__app_label", "codename"
            )
        }
        assert held == set(wanted), role


def test_no_role_may_touch_groups_permissions_oauth_applications_or_otp_devices():
    # given
    forbidden_apps = {"auth", "otp_totp", "otp_static", "oauth2_provider"}

    # then
    for role, wanted in ROLES.items():
        assert {name for name in wanted if name.split(".")[0] in forbidden_apps} == set(), role
        assert not {name for name in wanted if name.endswith("_application")}, role


def test_sync_roles_restores_a_group_edited_by_hand():
    # given: someone gave moderators more than their role and removed the rest
    moderators = Group.objects.get(name="moderator")
    moderators.permissions.set(
        Group.objects.get(name="operator").permissions.filter(codename="change_flag")
    )

    # when
    unresolved = sync_roles()

    # then
    assert unresolved == {}
    held = moderators.permissions.values_list("content_type__app_label", "codename")
    assert {f"{app_label}.{codename}" for app_label, codename in held} == ROLES["moderator"]


def test_sync_roles_recreates_a_deleted_group_and_missing_permission_rows():
    # given
    from django.contrib.auth.models import Permission

    Group.objects.filter(name="finance").delete()
    Permission.objects.filter(codename="view_customer", content_type__app_label="djstripe").delete()

    # when
    sync_roles()

    # then
    finance = Group.objects.get(name="finance")
    assert (
        finance.permissions.filter(
            codename="view_customer", content_type__app_label="djstripe"
        ).count()
        == 1
    )
    assert finance.permissions.count() == len(ROLES["finance"])


@pytest.mark.parametrize("role", ["moderator", "reviewer"])
def test_a_role_that_can_view_accounts_cannot_change_them(role):
    # given
    target = UserFactory(username="target", display_name="Target")
    client = verified_client(staff_member(role))
    url = reverse("admin:accounts_user_change", args=[target.pk])
    assert client.get(url).status_code == 200

    # when
    response = client.post(
        url, {"username": "renamed", "display_name": "Hacked", "email": target.email}
    )

    # then
    assert response.status_code == 403
    target.refresh_from_db()
    assert (target.username, target.display_name) == ("target", "Target")


def test_the_operator_cannot_create_groups():
    # given
    client = verified_client(staff_member("operator"))

    # when
    response = client.post(reverse("admin:auth_group_add"), {"name": "admins"})

    # then
    assert response.status_code == 403
    assert not Group.objects.filter(name="admins").exists()


def test_finance_cannot_open_the_add_page_of_invoices_it_may_view():
    # given
    client = verified_client(staff_member("finance"))

    # when
    response = client.get(reverse("admin:djstripe_invoice_add"))

    # then
    assert response.status_code == 403


def test_a_permission_of_an_app_not_installed_yet_is_skipped_and_reported(monkeypatch):
    # given: moderators are promised the queue of an app that has not landed
    from core import roles

    monkeypatch.setitem(
        roles.ROLES, "moderator", frozenset({"accounts.view_user", "notlanded.view_appeal"})
    )

    # when
    unresolved = sync_roles()

    # then
    assert unresolved == {"moderator": ["notlanded.view_appeal"]}
    moderators = Group.objects.get(name="moderator")
    assert list(moderators.permissions.values_list("codename", flat=True)) == ["view_user"]
