"""The migration that moves the audit trail to core keeps strike expiry's decisions."""

import importlib

import pytest

migration = importlib.import_module("apps.moderation.migrations.0004_audit_moved_to_core")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        pytest.param(
            [(1, "strike_policy_restricted", {"restriction": "limited"}, "t1")],
            {1: ("limited", "t1")},
            id="set-by-the-policy",
        ),
        pytest.param(
            [
                (1, "strike_policy_restricted", {"restriction": "limited"}, "t1"),
                (1, "account_suspend", {"restriction": "suspended", "case": 4}, "t2"),
            ],
            {},
            id="a-moderator-decided-after",
        ),
        pytest.param(
            [
                (1, "account_silence", {"restriction": "limited"}, "t1"),
                (1, "strike_created", {"strike": 3, "action": "none"}, "t2"),
                (1, "strike_policy_restricted", {"restriction": "suspended"}, "t3"),
                (1, "strike_created", {"strike": 4, "action": "none"}, "t4"),
            ],
            {1: ("suspended", "t3")},
            id="rows-without-a-restriction-do-not-count",
        ),
        pytest.param(
            [(1, "strike_policy_restricted", {"restriction": "none"}, "t1")],
            {},
            id="lifted-by-expiry",
        ),
    ],
)
def test_the_policys_restrictions_are_read_from_each_accounts_last_decision(rows, expected):
    assert migration.policy_restrictions(rows) == expected
