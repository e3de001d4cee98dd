"""The accounts admin shows an account's standing read-only: moderation changes it."""

import pytest
from django.urls import reverse

from apps.accounts import services
from apps.accounts.models import Standing, User
from tests.accounts.factories import UserFactory
from tests.accounts.test_accounts_admin import profile_form, superuser  # noqa: F401
from tests.security.staff import verified_client

pytestmark = pytest.mark.django_db


def test_the_standing_shows_in_the_admin_and_a_change_form_cannot_alter_it(superuser):  # noqa: F811
    # given a suspended account
    target = UserFactory(username="target")
    services.account_standing_set(account_id=target.pk, standing="suspended", reason="Spam.")
    client = verified_client(superuser)
    url = reverse("admin:accounts_user_change", args=[target.pk])

    # when an admin reads it, filters by it and posts the form with a standing in it
    page = client.get(url)
    listed = client.get(reverse("admin:accounts_user_changelist"), {"standing": "suspended"})
    posted = client.post(url, profile_form(target, standing="none", standing_reason="x"))

    # then the standing is shown, the filter finds it, and the form changed it not
    assert page.status_code == 200
    assert "Spam." in page.content.decode()
    assert [account.pk for account in listed.context["cl"].result_list] == [target.pk]
    assert posted.status_code == 302, posted.context["adminform"].form.errors
    target = User.objects.get(pk=target.pk)
    assert (target.standing, target.standing_reason) == (Standing.SUSPENDED, "Spam.")
