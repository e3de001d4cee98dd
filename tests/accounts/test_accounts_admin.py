"""The accounts admin: the account list, who may change what, disabling and enabling."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from oauth2_provider.models import get_access_token_model

from apps.accounts.models import User
from tests.accounts.factories import AccessTokenFactory, ApplicationFactory, UserFactory
from tests.security.staff import staff_member, verified_client

CHANGELIST = reverse("admin:accounts_user_changelist")


def change_url(account):
    return reverse("admin:accounts_user_change", args=[account.pk])


@pytest.fixture
def superuser(db):
    return staff_member(None, is_superuser=True)


@pytest.fixture
def account_editor(db):
    """Staff who may view and change accounts, but is no superuser."""
    editor = staff_member(None)
    editor.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts", codename__in=["view_user", "change_user"]
        )
    )
    return editor


def profile_form(account, **overrides):
    data = {
        "username": account.username,
        "email": account.email,
        "locale": "",
        "display_name": account.display_name,
        "note": account.note,
        "fields": "[]",
        "discoverable": "on",
        "default_privacy": "public",
        "default_language": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_account_list_shows_the_columns_and_searches(superuser):
    # Given
    UserFactory(username="findme", email="findme@example.org", display_name="Find Me")
    UserFactory(username="other")
    client = verified_client(superuser)

    # When
    response = client.get(CHANGELIST, {"q": "findme"})

    # Then
    assert response.status_code == 200
    assert [account.username for account in response.context["cl"].result_list] == ["findme"]
    assert list(response.context["cl"].list_display) == [
        "action_checkbox",
        "username",
        "email",
        "display_name",
        "is_active",
        "standing",
        "is_staff",
        "date_joined",
    ]


@pytest.mark.django_db
def test_account_list_filters_by_activity(superuser):
    # Given
    UserFactory(username="gone", is_active=False)
    client = verified_client(superuser)

    # When
    response = client.get(CHANGELIST, {"is_active__exact": "0"})

    # Then
    assert [account.username for account in response.context["cl"].result_list] == ["gone"]


@pytest.mark.django_db
def test_disable_action_ends_logins_and_enable_lets_the_account_back(superuser):
    # Given
    target = UserFactory()
    AccessTokenFactory(user=target)
    client = verified_client(superuser)

    # When
    response = client.post(
        CHANGELIST, {"action": "disable_accounts", "_selected_action": [target.pk]}, follow=True
    )

    # Then
    assert response.status_code == 200
    target.refresh_from_db()
    assert target.is_active is False
    assert not get_access_token_model().objects.filter(user=target).exists()
    assert "Disabled 1 account." in response.content.decode()

    # When enabled again
    client.post(CHANGELIST, {"action": "enable_accounts", "_selected_action": [target.pk]})

    # Then
    target.refresh_from_db()
    assert target.is_active is True


@pytest.mark.django_db
def test_disable_action_spares_the_acting_account(superuser):
    # Given
    client = verified_client(superuser)

    # When
    client.post(CHANGELIST, {"action": "disable_accounts", "_selected_action": [superuser.pk]})

    # Then
    assert User.objects.get(pk=superuser.pk).is_active is True


@pytest.mark.django_db
def test_an_editor_cannot_disable_a_superuser(account_editor, superuser):
    # Given
    client = verified_client(account_editor)

    # When
    client.post(CHANGELIST, {"action": "disable_accounts", "_selected_action": [superuser.pk]})

    # Then
    assert User.objects.get(pk=superuser.pk).is_active is True


@pytest.mark.django_db
def test_an_editor_changes_the_profile_but_not_permissions_or_password(account_editor):
    # Given
    target = UserFactory()
    old_hash = target.password
    client = verified_client(account_editor)

    # When
    response = client.post(
        change_url(target),
        profile_form(
            target,
            display_name="Renamed",
            is_staff="on",
            is_superuser="on",
            password="plaintext-attempt",
        ),
    )

    # Then
    assert response.status_code == 302, response.context["adminform"].form.errors
    target.refresh_from_db()
    assert target.display_name == "Renamed"
    assert (target.is_staff, target.is_superuser) == (False, False)
    assert target.password == old_hash


@pytest.mark.django_db
def test_an_editor_cannot_change_a_superuser_or_set_passwords(account_editor, superuser):
    # Given
    target = UserFactory()
    client = verified_client(account_editor)

    # When
    change_superuser = client.post(change_url(superuser), profile_form(superuser, display_name="x"))
    set_password = client.get(reverse("admin:auth_user_password_change", args=[target.pk]))

    # Then
    assert change_superuser.status_code == 403
    assert User.objects.get(pk=superuser.pk).display_name != "x"
    assert set_password.status_code == 403


@pytest.mark.django_db
def test_a_superuser_edits_permissions(superuser):
    # Given
    target = UserFactory()
    client = verified_client(superuser)

    # When
    response = client.post(change_url(target), profile_form(target, is_staff="on"))

    # Then
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert User.objects.get(pk=target.pk).is_staff is True


@pytest.mark.django_db
def test_a_moderator_sees_accounts_but_no_disable_action(db):
    # Given
    moderator = staff_member("moderator")
    target = UserFactory()
    client = verified_client(moderator)

    # When
    listing = client.get(CHANGELIST)
    action = client.post(
        CHANGELIST, {"action": "disable_accounts", "_selected_action": [target.pk]}
    )

    # Then
    assert listing.status_code == 200
    assert "disable_accounts" not in listing.content.decode()
    assert action.status_code == 200
    assert User.objects.get(pk=target.pk).is_active is True


@pytest.mark.django_db
def test_application_list_never_shows_the_client_secret(superuser):
    # Given
    ApplicationFactory(name="Secretive", client_secret="plain-client-secret-value")
    client = verified_client(superuser)

    # When
    response = client.get(reverse("admin:accounts_application_changelist"))

    # Then
    assert response.status_code == 200
    content = response.content.decode()
    assert "Secretive" in content
    assert "plain-client-secret-value" not in content
    assert "client_secret" not in response.context["cl"].list_display
