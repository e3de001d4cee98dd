"""The back office for link and lookalike safety: each change audited, each role its share."""

import pytest

from apps.protection.models import BlockedDomain, LookalikeFlag
from core.models import AuditAction, AuditEntry
from tests.accounts.factories import UserFactory
from tests.security.staff import staff_member, verified_client

DOMAINS = "/admin/protection/blockeddomain/"
FLAGS = "/admin/protection/lookalikeflag/"


@pytest.fixture
def moderator(db):
    return staff_member("moderator", username="mod")


@pytest.fixture
def moderator_admin(moderator):
    return verified_client(moderator)


def audit_rows(target_type):
    return list(
        AuditEntry.objects.filter(target_type=target_type)
        .order_by("pk")
        .values_list("action", "actor_name", "before", "after")
    )


@pytest.mark.django_db
def test_a_moderator_adds_a_domain_normalised_and_audited(moderator_admin):
    # when
    response = moderator_admin.post(
        f"{DOMAINS}add/",
        {"domain": "https://Login.XN--PPLE-43D.com/", "severity": "refuse", "reason": "phishing"},
    )

    # then
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = BlockedDomain.objects.get()
    assert entry.domain == "login.\u0430pple.com"
    assert audit_rows("blocked_domain") == [
        (
            AuditAction.BLOCKED_DOMAIN_ADDED,
            "mod",
            {},
            {
                "domain": "login.\u0430pple.com",
                "severity": "refuse",
                "reason": "phishing",
                "source": "",
            },
        )
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("not a domain", "is not a domain name"),
        ("localhost", "is not a domain name"),
        ("10.0.0.1", "is an IP address, not a domain name"),
    ],
)
def test_a_malformed_domain_is_refused_with_a_message_and_nothing_written(
    moderator_admin, domain, message
):
    response = moderator_admin.post(f"{DOMAINS}add/", {"domain": domain, "severity": "refuse"})

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BlockedDomain.objects.exists()
    assert audit_rows("blocked_domain") == []


@pytest.mark.django_db
def test_a_domain_listed_twice_is_refused(moderator_admin):
    BlockedDomain.objects.create(domain="evil-phish.com")

    response = moderator_admin.post(
        f"{DOMAINS}add/", {"domain": "EVIL-PHISH.com", "severity": "warn"}
    )

    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert BlockedDomain.objects.get().severity == "refuse"


@pytest.mark.django_db
def test_a_moderator_changes_and_deletes_a_domain_each_audited(moderator_admin):
    # given
    entry = BlockedDomain.objects.create(domain="evil-phish.com", severity="refuse")
    before = {"domain": "evil-phish.com", "severity": "refuse", "reason": "", "source": ""}

    # when: changed, saved again unchanged, then deleted
    changed = moderator_admin.post(
        f"{DOMAINS}{entry.pk}/change/",
        {"domain": "evil-phish.com", "severity": "warn", "reason": "maybe fixed"},
    )
    unchanged = moderator_admin.post(
        f"{DOMAINS}{entry.pk}/change/",
        {"domain": "evil-phish.com", "severity": "warn", "reason": "maybe fixed"},
    )
    deleted = moderator_admin.post(f"{DOMAINS}{entry.pk}/delete/", {"post": "yes"})

    # then
    assert (changed.status_code, unchanged.status_code, deleted.status_code) == (302, 302, 302)
    after = {**before, "severity": "warn", "reason": "maybe fixed"}
    assert audit_rows("blocked_domain") == [
        (AuditAction.BLOCKED_DOMAIN_CHANGED, "mod", before, after),
        (AuditAction.BLOCKED_DOMAIN_DELETED, "mod", after, {}),
    ]
    assert not BlockedDomain.objects.exists()


@pytest.mark.django_db
def test_delete_selected_audits_each_domain(moderator_admin):
    entries = [BlockedDomain.objects.create(domain=f"bad{i}.example.com") for i in range(3)]

    response = moderator_admin.post(
        DOMAINS,
        {"action": "delete_selected", "_selected_action": [e.pk for e in entries], "post": "yes"},
    )

    assert response.status_code == 302
    assert not BlockedDomain.objects.exists()
    assert sorted(
        AuditEntry.objects.filter(action=AuditAction.BLOCKED_DOMAIN_DELETED).values_list(
            "target_id", flat=True
        )
    ) == sorted(e.pk for e in entries)


@pytest.mark.django_db
def test_an_operator_sees_the_blocklist_but_changes_nothing_and_sees_no_flags(db):
    operator = verified_client(staff_member("operator"))
    entry = BlockedDomain.objects.create(domain="evil-phish.com")

    assert operator.get(DOMAINS).status_code == 200
    assert operator.get(f"{DOMAINS}add/").status_code == 403
    assert (
        operator.post(f"{DOMAINS}{entry.pk}/change/", {"domain": "x.com", "severity": "warn"})
    ).status_code == 403
    assert operator.post(f"{DOMAINS}{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert operator.get(FLAGS).status_code == 403
    assert BlockedDomain.objects.get().domain == "evil-phish.com"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["reviewer", "finance"])
def test_other_roles_see_neither(role):
    client = verified_client(staff_member(role))

    assert client.get(DOMAINS).status_code == 403
    assert client.get(FLAGS).status_code == 403


@pytest.fixture
def flags(db):
    protected = UserFactory(username="moderation_team", is_staff=True)
    return [
        LookalikeFlag.objects.create(
            account=UserFactory(),
            field="display_name",
            value=f"Moderation Tea{i}",
            protected_account=protected,
            protected_value="moderation_team",
        )
        for i in range(3)
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "state", "audited"),
    [
        ("resolve", "resolved", AuditAction.LOOKALIKE_FLAG_RESOLVED),
        ("dismiss", "dismissed", AuditAction.LOOKALIKE_FLAG_DISMISSED),
    ],
)
def test_a_moderator_decides_open_flags_each_audited(
    moderator, moderator_admin, flags, action, state, audited
):
    # given: one of them already dismissed
    flags[2].state = "dismissed"
    flags[2].save()

    # when
    response = moderator_admin.post(
        FLAGS, {"action": action, "_selected_action": [f.pk for f in flags]}
    )

    # then: the open ones are decided, the decided one stays as it was
    assert response.status_code == 302
    assert [LookalikeFlag.objects.get(pk=f.pk).state for f in flags] == [state, state, "dismissed"]
    assert LookalikeFlag.objects.get(pk=flags[0].pk).decided_by == moderator
    rows = AuditEntry.objects.filter(target_type="lookalike_flag").order_by("target_id")
    assert [(row.action, row.target_id, row.actor_name, row.after) for row in rows] == [
        (audited, flags[0].pk, "mod", {"state": state}),
        (audited, flags[1].pk, "mod", {"state": state}),
    ]


@pytest.mark.django_db
def test_flags_are_listed_and_never_added_changed_or_deleted_by_hand(moderator_admin, flags):
    listing = moderator_admin.get(FLAGS)

    assert listing.status_code == 200
    assert "Moderation Tea0" in listing.content.decode()
    assert moderator_admin.get(f"{FLAGS}add/").status_code == 403
    assert moderator_admin.post(f"{FLAGS}{flags[0].pk}/delete/", {"post": "yes"}).status_code == 403
    assert LookalikeFlag.objects.count() == 3


@pytest.mark.django_db
def test_an_operator_cannot_decide_flags(flags):
    operator = verified_client(staff_member("operator"))

    response = operator.post(FLAGS, {"action": "resolve", "_selected_action": [flags[0].pk]})

    assert response.status_code == 403
    assert LookalikeFlag.objects.get(pk=flags[0].pk).state == "open"
    assert not AuditEntry.objects.filter(target_type="lookalike_flag").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [DOMAINS, FLAGS])
def test_the_lists_cost_the_same_queries_however_many_rows(moderator_admin, flags, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert moderator_admin.get(url).status_code == 200
        return len(captured)

    for i in range(3):
        BlockedDomain.objects.create(domain=f"bad{i}.example.com")
    few = queries()
    protected = flags[0].protected_account
    for i in range(10):
        BlockedDomain.objects.create(domain=f"worse{i}.example.com")
        LookalikeFlag.objects.create(
            account=UserFactory(),
            field="username",
            value=f"m0deration_team{i}",
            protected_account=protected,
            protected_value="moderation_team",
        )

    assert queries() == few
