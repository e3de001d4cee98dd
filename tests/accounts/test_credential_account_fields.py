"""verify_credentials carries Mastodon 4.5's role, roles, indexable, hide_collections, noindex."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from apps.accounts.models import User
from core import roles
from tests.accounts.test_accounts_api import assert_matches_schema, openapi_components  # noqa: F401

VERIFY = "/api/v1/accounts/verify_credentials"
UPDATE = "/api/v1/accounts/update_credentials"
EVERYONE = {"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": False}


def test_a_regular_user_has_mastodons_everyone_role(auth_client, openapi_components):  # noqa: F811
    body = auth_client.get(VERIFY).json()
    assert_matches_schema(openapi_components, "CredentialAccount", body)
    assert body["role"] == EVERYONE
    assert body["roles"] == []
    assert body["indexable"] is False
    assert body["hide_collections"] is False
    assert body["noindex"] is True
    assert body["source"]["indexable"] is False
    assert body["source"]["hide_collections"] is False


@pytest.mark.parametrize(
    ("role", "name", "permissions"),
    [
        pytest.param(roles.MODERATOR, "Moderator", str(4 | 8 | 16 | 1024), id="moderator"),
        pytest.param(roles.OPERATOR, "Operator", str(2 | 8 | 64), id="operator"),
    ],
)
def test_a_staff_member_has_their_role(auth_client, db, role, name, permissions):
    auth_client.user.groups.add(Group.objects.get(name=role))
    body = auth_client.get(VERIFY).json()
    assert body["role"]["name"] == name
    assert body["role"]["permissions"] == permissions
    assert body["role"]["highlighted"] is False
    # a back-office role is no public badge
    assert body["roles"] == []


def test_a_superuser_is_an_administrator(auth_client):
    User.objects.filter(pk=auth_client.user.pk).update(is_superuser=True, is_staff=True)
    body = auth_client.get(VERIFY).json()
    assert body["role"]["name"] == "Owner"
    assert body["role"]["permissions"] == "1"


def test_indexable_and_hide_collections_are_updated_as_mastodon_takes_them(auth_client):
    response = auth_client.patch(
        UPDATE, {"indexable": "true", "hide_collections": "1"}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["indexable"], body["hide_collections"], body["noindex"]) == (True, True, False)
    assert body["source"]["indexable"] is True
    account = User.objects.get(pk=auth_client.user.pk)
    assert (account.indexable, account.hide_collections) == (True, True)
    # and the public Account shows them too
    public = auth_client.get(f"/api/v1/accounts/{account.pk}").json()
    assert (public["indexable"], public["hide_collections"], public["noindex"]) == (
        True,
        True,
        False,
    )
    assert public["roles"] == []
