"""Account services: password change, disabling, enabling and token revocation."""

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from apps.accounts import services
from apps.accounts.models import User
from core import events
from tests.accounts.factories import (
    DEFAULT_PASSWORD,
    AccessTokenFactory,
    ApplicationFactory,
    UserFactory,
)

NEW_PASSWORD = "amber-kettle-lantern-42"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs what a commit would run at the end of the block: the
    outbox relays events after commit, and the test's transaction never commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def heard():
    """The domain events published (and relayed after commit) while the test runs."""
    received = []
    for event_type in (events.CredentialsChanged, events.AccountUpdated, events.AccountCreated):
        events.subscribe(event_type, received.append)
    yield received
    for event_type in (events.CredentialsChanged, events.AccountUpdated, events.AccountCreated):
        events.unsubscribe(event_type, received.append)


def signed_in_browser(account):
    browser = Client()
    browser.force_login(account)
    return browser


def tokens_of(account):
    return (
        get_access_token_model().objects.filter(user=account).count(),
        get_refresh_token_model().objects.filter(user=account).count(),
    )


@pytest.fixture
def account_with_credentials(db):
    account = UserFactory()
    application = ApplicationFactory()
    for _ in range(2):
        token = AccessTokenFactory(user=account, application=application)
        get_refresh_token_model().objects.create(
            user=account, application=application, token=f"refresh-{token.pk}", access_token=token
        )
    signed_in_browser(account)
    signed_in_browser(account)
    return account


def sessions_of(account):
    return [
        session
        for session in Session.objects.all()
        if session.get_decoded().get("_auth_user_id") == str(account.pk)
    ]


@pytest.mark.django_db
def test_password_change_ends_tokens_and_sessions(account_with_credentials, heard, committed):
    # Given
    account = account_with_credentials
    bystander = UserFactory()
    bystander_token = AccessTokenFactory(user=bystander)
    signed_in_browser(bystander)
    assert tokens_of(account) == (2, 2)
    assert len(sessions_of(account)) == 2

    # When
    with committed():
        services.account_change_password(
            account=account, current_password=DEFAULT_PASSWORD, new_password=NEW_PASSWORD
        )

    # Then
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    assert tokens_of(account) == (0, 0)
    assert sessions_of(account) == []
    assert get_access_token_model().objects.filter(pk=bystander_token.pk).exists()
    assert len(sessions_of(bystander)) == 1
    assert heard == [events.CredentialsChanged(account_id=account.pk, reason="password_changed")]


@pytest.mark.parametrize(
    ("current", "new", "field"),
    [
        pytest.param("wrong password", NEW_PASSWORD, "current_password", id="wrong-current"),
        pytest.param(DEFAULT_PASSWORD, "password", "new_password", id="common-new"),
        pytest.param(DEFAULT_PASSWORD, "123", "new_password", id="short-new"),
    ],
)
@pytest.mark.django_db
def test_refused_password_change_changes_nothing(account_with_credentials, current, new, field):
    # Given
    account = account_with_credentials
    old_hash = account.password

    # When
    with pytest.raises(ValidationError) as refused:
        services.account_change_password(
            account=account, current_password=current, new_password=new
        )

    # Then
    assert list(refused.value.error_dict) == [field]
    account.refresh_from_db()
    assert account.password == old_hash
    assert tokens_of(account) == (2, 2)
    assert len(sessions_of(account)) == 2


@pytest.mark.django_db
def test_disable_ends_everything_and_enable_brings_nothing_back(
    account_with_credentials, heard, committed
):
    # Given
    account = account_with_credentials
    admin = UserFactory(is_staff=True)

    # When
    with committed():
        services.account_disable(account=account, actor=admin, reason="spam")

    # Then
    account.refresh_from_db()
    assert account.is_active is False
    assert tokens_of(account) == (0, 0)
    assert sessions_of(account) == []
    assert heard == [events.CredentialsChanged(account_id=account.pk, reason="disabled")]

    # When enabled again
    with committed():
        services.account_enable(account=account, actor=admin)

    # Then
    account.refresh_from_db()
    assert account.is_active is True
    assert tokens_of(account) == (0, 0)
    assert heard[-1] == events.CredentialsChanged(account_id=account.pk, reason="enabled")


@pytest.mark.django_db
def test_disabling_a_disabled_account_changes_nothing(heard, committed):
    # Given
    account = UserFactory(is_active=False)

    # When
    with committed():
        services.account_disable(account=account, actor=None)

    # Then
    assert User.objects.get(pk=account.pk).is_active is False
    assert heard == []


@pytest.mark.django_db
def test_revoke_tokens_keeps_the_password_and_other_accounts(account_with_credentials):
    # Given
    account = account_with_credentials
    other_token = AccessTokenFactory()

    # When
    ended = services.account_revoke_tokens(account=account)

    # Then
    assert ended == 2
    assert tokens_of(account) == (0, 0)
    assert User.objects.get(pk=account.pk).check_password(DEFAULT_PASSWORD)
    assert get_access_token_model().objects.filter(pk=other_token.pk).exists()


@pytest.mark.django_db
def test_register_publishes_account_created(heard, committed):
    # When
    with committed():
        account = services.account_register(
            username="eventful", email="eventful@example.org", password=NEW_PASSWORD, agreement=True
        )

    # Then
    assert heard == [events.AccountCreated(account_id=account.pk)]


@pytest.mark.django_db
def test_profile_update_publishes_the_changed_fields(heard, committed):
    # Given
    account = UserFactory()

    # When
    with committed():
        services.account_update_profile(account=account, display_name="New", bot=True)

    # Then
    assert heard == [events.AccountUpdated(account_id=account.pk, fields=("bot", "display_name"))]
