"""Each role's complete permission set, pinned.

Apps contribute their own grants (``apps/<app>/grants.py``, registered in their
``AppConfig.ready()``) and core keeps only its own; this pins the union, so moving a
grant from one place to another can never widen or narrow what a back-office group
may do without this file changing in the same commit.
"""

import pytest
from django.contrib.auth.models import Group

from core.roles import ROLES, sync_roles

ROLE_PERMISSIONS = {
    "finance": {
        "djstripe.view_applicationfee",
        "djstripe.view_balancetransaction",
        "djstripe.view_charge",
        "djstripe.view_coupon",
        "djstripe.view_customer",
        "djstripe.view_discount",
        "djstripe.view_dispute",
        "djstripe.view_event",
        "djstripe.view_invoice",
        "djstripe.view_invoiceitem",
        "djstripe.view_lineitem",
        "djstripe.view_paymentintent",
        "djstripe.view_paymentmethod",
        "djstripe.view_payout",
        "djstripe.view_price",
        "djstripe.view_product",
        "djstripe.view_promotioncode",
        "djstripe.view_refund",
        "djstripe.view_setupintent",
        "djstripe.view_subscription",
        "djstripe.view_subscriptionitem",
        "djstripe.view_subscriptionschedule",
        "djstripe.view_taxrate",
        "djstripe.view_transfer",
        "billing.view_plan",
        "billing.add_plan",
        "billing.change_plan",
        "billing.view_customer",
        "billing.view_subscription",
        "billing.view_webhookevent",
        "billing.replay_webhookevent",
        "billing.view_ledgerentry",
        "billing.export_ledgerentry",
        "billing.view_payoutbatch",
        "billing.view_payout",
        "billing.view_payouthold",
        "billing.add_payouthold",
        "billing.release_payouthold",
    },
    "moderator": {
        "accounts.view_user",
        "core.view_auditentry",
        "feed.view_mention",
        "feed.view_notification",
        "feed.view_previewcard",
        "feed.delete_previewcard",
        "feed.view_status",
        "feed.view_statusedit",
        "feed.view_tag",
        "live.add_channelban",
        "live.add_channelmoderator",
        "live.add_chattimeout",
        "live.add_liverestriction",
        "live.change_liverestriction",
        "live.delete_channelban",
        "live.delete_channelmoderator",
        "live.delete_chattimeout",
        "live.kill_stream",
        "live.moderate_chatmessage",
        "live.view_channelban",
        "live.view_channelmoderator",
        "live.view_chatmessage",
        "live.view_chattimeout",
        "live.view_liverestriction",
        "live.view_stream",
        "media.view_mediaattachment",
        "media.view_upload",
        "moderation.act_on_case",
        "moderation.add_knownmediahash",
        "moderation.change_case",
        "moderation.change_knownmediahash",
        "moderation.change_policy",
        "moderation.delete_knownmediahash",
        "moderation.view_assessment",
        "moderation.view_case",
        "moderation.view_knownmediahash",
        "moderation.view_policy",
        "moderation.view_report",
        "moderation.view_rule",
        "moderation.view_strike",
        "protection.lower_shield",
        "protection.recompute_reputation",
        "protection.view_reputation",
        "protection.view_reputationhistory",
        "protection.view_reputationsignal",
        "protection.view_shield",
        "protection.view_shieldsender",
        "protection.add_blockeddomain",
        "protection.change_blockeddomain",
        "protection.change_lookalikeflag",
        "protection.delete_blockeddomain",
        "protection.view_blockeddomain",
        "protection.view_lookalikeflag",
    },
    "operator": {
        "accounts.add_announcement",
        "accounts.add_customemoji",
        "accounts.change_announcement",
        "accounts.change_customemoji",
        "accounts.delete_announcement",
        "accounts.delete_customemoji",
        "accounts.view_announcement",
        "accounts.view_customemoji",
        "axes.delete_accessattempt",
        "axes.view_accessattempt",
        "axes.view_accessfailurelog",
        "axes.view_accesslog",
        "core.change_backgroundjob",
        "core.change_outboxevent",
        "core.view_backgroundjob",
        "core.view_outboxevent",
        "django_celery_beat.add_clockedschedule",
        "django_celery_beat.add_crontabschedule",
        "django_celery_beat.add_intervalschedule",
        "django_celery_beat.add_periodictask",
        "django_celery_beat.add_solarschedule",
        "django_celery_beat.change_clockedschedule",
        "django_celery_beat.change_crontabschedule",
        "django_celery_beat.change_intervalschedule",
        "django_celery_beat.change_periodictask",
        "django_celery_beat.change_solarschedule",
        "django_celery_beat.delete_clockedschedule",
        "django_celery_beat.delete_crontabschedule",
        "django_celery_beat.delete_intervalschedule",
        "django_celery_beat.delete_periodictask",
        "django_celery_beat.delete_solarschedule",
        "django_celery_beat.view_clockedschedule",
        "django_celery_beat.view_crontabschedule",
        "django_celery_beat.view_intervalschedule",
        "django_celery_beat.view_periodictask",
        "django_celery_beat.view_solarschedule",
        "live.add_liveallowance",
        "live.delete_liveallowance",
        "live.view_liveallowance",
        "live.view_stream",
        "media.retry_mediaattachment",
        "media.view_mediaattachment",
        "media.view_upload",
        "protection.view_shield",
        "protection.view_blockeddomain",
        "waffle.add_flag",
        "waffle.add_sample",
        "waffle.add_switch",
        "waffle.change_flag",
        "waffle.change_sample",
        "waffle.change_switch",
        "waffle.delete_flag",
        "waffle.delete_sample",
        "waffle.delete_switch",
        "waffle.view_flag",
        "waffle.view_sample",
        "waffle.view_switch",
    },
    "reviewer": {
        "accounts.view_user",
    },
}


def test_each_role_is_composed_of_exactly_its_pinned_permissions():
    assert {role: set(wanted) for role, wanted in ROLES.items()} == ROLE_PERMISSIONS


@pytest.mark.django_db
def test_each_group_holds_exactly_its_pinned_permissions_after_a_sync():
    # when
    unresolved = sync_roles()

    # then
    assert unresolved == {}
    for role, wanted in ROLE_PERMISSIONS.items():
        held = Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
        assert {f"{app_label}.{codename}" for app_label, codename in held} == wanted, role


def test_each_app_grants_only_permissions_on_its_own_models():
    from apps.accounts import grants as accounts_grants
    from apps.feed import grants as feed_grants
    from apps.live import grants as live_grants
    from apps.media import grants as media_grants
    from apps.moderation import grants as moderation_grants
    from apps.protection import grants as protection_grants

    for label, module in [
        ("accounts", accounts_grants),
        ("feed", feed_grants),
        ("live", live_grants),
        ("media", media_grants),
        ("moderation", moderation_grants),
        ("protection", protection_grants),
    ]:
        names = {name for names in module.ROLE_GRANTS.values() for name in names}
        assert names, label
        assert {name.split(".")[0] for name in names} == {label}


def test_core_grants_name_no_agora_app():
    from core.roles import CORE_GRANTS

    labels = {name.split(".")[0] for names in CORE_GRANTS.values() for name in names}
    assert not labels & {"accounts", "feed", "live", "media", "moderation", "protection"}


def test_registering_grants_again_replaces_them_and_an_unknown_role_is_refused(monkeypatch):
    from core import roles

    monkeypatch.setattr(roles, "_grants", dict(roles._grants))
    before = {role: set(wanted) for role, wanted in roles.ROLES.items()}
    try:
        # when an app registers, then registers again with less
        roles.register_grants("notlanded", {roles.REVIEWER: {"notlanded.view_appeal"}})
        roles.register_grants("notlanded", {roles.REVIEWER: set()})

        # then only the second registration counts
        assert roles.ROLES[roles.REVIEWER] == before[roles.REVIEWER]
        with pytest.raises(roles.UnknownRole):
            roles.register_grants("notlanded", {"janitor": {"notlanded.view_appeal"}})
    finally:
        roles._grants.pop("notlanded", None)
        roles._compose()
    assert {role: set(wanted) for role, wanted in roles.ROLES.items()} == before
