"""Lookalike names: usernames refused at sign-up, display names warned about and flagged."""

import pytest

from apps.accounts.models import User
from apps.protection.models import LookalikeFlag
from apps.protection.services.lookalikes import lookalike_matches, lookalike_scan, name_key
from tests.accounts.factories import AccessTokenFactory, ApplicationFactory, UserFactory
from tests.api_client import APIClient

REGISTER = "/api/v1/accounts"
UPDATE = "/api/v1/accounts/update_credentials"
PASSWORD = "violet-otter-harbour-91"


@pytest.fixture
def staff(db):
    return UserFactory(username="moderation_team", display_name="Agora Support", is_staff=True)


@pytest.fixture
def app_client(db):
    token = AccessTokenFactory(
        user=None, application=ApplicationFactory(scopes="read write"), scope="read write"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.token}")
    return client


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessTokenFactory(user=user).token}")
    return client


def sign_up(client, username):
    return client.post(
        REGISTER,
        {
            "username": username,
            "email": f"{username}@example.org",
            "password": PASSWORD,
            "agreement": True,
        },
        format="json",
    )


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("moderation_team", "Moderation Team"),
        ("moderation_team", "m0derati0n_team"),
        ("moderation_team", "rnoderation_tearn"),
        ("Agora Support", "agora_suppOrt"),
        ("Agora Support", "\u0410g\u043era \u0405u\u0440\u0440\u043ert"),
        ("Agora Support", "Ágora Suppórt"),
    ],
)
def test_names_that_look_alike_share_a_key(left, right):
    assert name_key(left) == name_key(right)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username", ["m0deration_team", "rnoderation_team", "Moderation_Tearn", "agora_support"]
)
def test_a_username_passing_for_staff_is_refused_at_sign_up(staff, app_client, username):
    # when
    response = sign_up(app_client, username)

    # then
    assert response.status_code == 422, response.json()
    body = response.json()
    assert body["details"]["username"] == [
        {
            "error": "ERR_RESERVED",
            "description": "looks too much like @moderation_team; choose another username",
        }
    ]
    assert not User.objects.filter(username=username).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["moderation_fan", "team_moderation", "agora_supporter"])
def test_a_username_that_only_resembles_is_accepted(staff, app_client, username):
    response = sign_up(app_client, username)

    assert response.status_code == 200, response.json()


@pytest.mark.django_db
def test_the_most_followed_are_protected_and_the_little_followed_are_not(app_client, settings):
    settings.PROTECTION_LOOKALIKE_TOP_FOLLOWED = 1
    settings.PROTECTION_LOOKALIKE_MIN_FOLLOWERS = 10
    UserFactory(username="famous_chef", followers_count=5000)
    UserFactory(username="second_chef", followers_count=4000)
    UserFactory(username="small_chef", followers_count=9)

    assert sign_up(app_client, "famous_chef_").status_code == 422
    assert sign_up(app_client, "sec0nd_chef").status_code == 200
    assert sign_up(app_client, "sma11_chef").status_code == 200


@pytest.mark.django_db
def test_a_display_name_passing_for_staff_is_saved_with_a_warning_and_flagged(
    staff, django_capture_on_commit_callbacks
):
    # given
    user = UserFactory(username="someone")
    client = client_for(user)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(UPDATE, {"display_name": "Agora Supp0rt"}, format="json")

    # then: the change is made, and the answer says why it may mislead
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["display_name"] == "Agora Supp0rt"
    assert body["agora_warnings"] == [
        "Your display name looks like @moderation_team's name, so people may take you for "
        "them. Moderators have been asked to have a look."
    ]
    flag = LookalikeFlag.objects.get()
    assert (flag.account, flag.field, flag.value, flag.protected_account, flag.state) == (
        user,
        "display_name",
        "Agora Supp0rt",
        staff,
        "open",
    )


@pytest.mark.django_db
def test_an_ordinary_display_name_has_no_warning_and_no_flag(
    staff, django_capture_on_commit_callbacks
):
    user = UserFactory(username="someone")
    client = client_for(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(UPDATE, {"display_name": "Someone Nice"}, format="json")

    assert response.status_code == 200
    assert response.json()["agora_warnings"] == []
    assert not LookalikeFlag.objects.exists()


@pytest.mark.django_db
def test_staff_never_look_like_themselves(staff, django_capture_on_commit_callbacks):
    client = client_for(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.patch(UPDATE, {"display_name": "Moderation Team"}, format="json")

    assert response.json()["agora_warnings"] == []
    assert not LookalikeFlag.objects.exists()


@pytest.mark.django_db
def test_an_account_created_around_the_sign_up_check_is_flagged_once(
    staff, django_capture_on_commit_callbacks
):
    # given: an account made without the API's check (a command, or before the staff
    # member took the name), announced as every new account is
    from core import events

    user = UserFactory(username="agorasupport", display_name="Agora Support")

    # when: the event is delivered twice (at least once delivery)
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(events.AccountCreated(account_id=user.pk))
    with django_capture_on_commit_callbacks(execute=True):
        events.publish(events.AccountCreated(account_id=user.pk))

    # then: one flag per field, opened once
    assert sorted(LookalikeFlag.objects.values_list("field", "protected_account")) == [
        ("display_name", staff.pk),
        ("username", staff.pk),
    ]
    assert lookalike_scan(account_id=user.pk) == []


@pytest.mark.django_db
def test_a_short_name_is_not_compared(settings, django_assert_num_queries):
    UserFactory(username="bob", is_staff=True)

    with django_assert_num_queries(0):
        assert lookalike_matches("b0b") == []


@pytest.mark.django_db
def test_a_display_name_a_checker_blocks_is_refused_and_unchanged():
    # given: a stricter name checker than protection's (which only warns on display names)
    from core import checks

    def no_officials(name, *, kind, account_id=None):
        return checks.CheckResult(
            checker="test", is_blocking="official" in name.lower(), reason="is not allowed here"
        )

    user = UserFactory(username="someone", display_name="Someone")
    checks.register_name_checker(no_officials)
    try:
        # when
        response = client_for(user).patch(
            UPDATE, {"display_name": "The Official One"}, format="json"
        )
    finally:
        checks.unregister_name_checker(no_officials)

    # then
    assert response.status_code == 422
    assert response.json()["details"]["display_name"][0]["description"] == "is not allowed here"
    user.refresh_from_db()
    assert user.display_name == "Someone"
