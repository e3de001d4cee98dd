"""The pile-on shield end to end, in process: replies posted through the API, moderation's
pipeline scoring them, protection's detector, the shield and what it does."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.feed.models import Mute, ScheduledStatus, Status
from apps.feed.services.scheduling import scheduled_statuses_publish_due
from apps.moderation.models import Case
from apps.protection.models import Shield, ShieldSender
from apps.protection.services import shields
from tests.feed.conftest import Member

INSULTS = [
    "you are a worthless fucking idiot",
    "shut up you stupid bitch",
    "what a pathetic moron you are, fuck off",
    "nobody cares you dumb piece of shit",
    "go to hell you fucking loser",
    "you are an idiot and a disgrace, asshole",
]
FRIENDLY = [
    "Congratulations, this is wonderful news!",
    "Thank you for sharing, I learned a lot",
    "Beautiful photo, where was it taken?",
    "Love this, made my day",
    "Great thread, bookmarking it",
    "So happy for you and the team",
]


def strangers(count: int, prefix: str, *, days_old: int = 1) -> list[Member]:
    joined = timezone.now() - dt.timedelta(days=days_old)
    return [Member(f"{prefix}{i}", date_joined=joined) for i in range(count)]


def reply_all(members: list[Member], status: dict, texts: list[str], target: Member) -> None:
    for i, member in enumerate(members):
        member.post(
            f"@{target.account.username} {texts[i % len(texts)]} ({i})",
            in_reply_to_id=status["id"],
        )


@pytest.fixture
def victim(db):
    return Member("victim")


def test_thirty_new_accounts_insulting_one_raise_its_shield(victim, bob, pipeline):
    # given an account with a post, a scheduled post, and a friend it follows
    post = victim.post("Here is my opinion on the match")
    scheduled = victim.client.post(
        "/api/v1/statuses",
        {
            "status": "tomorrow's post",
            "scheduled_at": (timezone.now() + dt.timedelta(minutes=10)).isoformat(),
        },
        format="json",
    )
    assert scheduled.status_code == 200, scheduled.json()
    victim.follow(bob)
    mob = strangers(30, "troll")

    # when thirty new accounts reply with insults within two minutes
    with pipeline():
        reply_all(mob, post, INSULTS, victim)
        bob.post(f"@victim {INSULTS[0]} (a friend's joke)", in_reply_to_id=post["id"])

    # then the shield is up, raised by the pile-on
    shield = Shield.objects.get(account=victim.account)
    assert shield.is_active
    assert shield.source == "pile_on"
    assert shield.detection["hostile_senders"] >= 6
    assert shield.until - shield.started_at == dt.timedelta(days=7)
    # the hostile strangers are muted for the account until the shield's end; the friend
    # it follows is spared
    mob_ids = {m.account.pk for m in mob}
    muted = set(Mute.objects.filter(account=victim.account).values_list("target_id", flat=True))
    assert muted == mob_ids
    assert set(Mute.objects.values_list("expires_at", flat=True)) == {shield.until}
    assert bob.account.pk not in set(shield.senders.values_list("sender_id", flat=True))
    # each stranger's insult is kept with it
    sender = ShieldSender.objects.get(shield=shield, sender=mob[0].account)
    assert sender.content_ids == [
        Status.objects.get(account=mob[0].account, in_reply_to_id=int(post["id"])).pk
    ]
    # one case groups the pile-on, and the shield knows it
    [case] = Case.objects.filter(content_type="pile_on")
    assert (case.content_id, case.author_id, case.state) == (shield.pk, victim.account.pk, "open")
    shield.refresh_from_db()
    assert shield.case_id == case.pk
    # the account is told what happened and what the shield does
    told = victim.client.get("/api/v1/notifications", {"types[]": "agora:shield"}).json()
    assert [n["agora"]["shield"]["state"] for n in told] == ["raised"]
    assert "hostile" in told[0]["agora"]["shield"]["explanation"]
    # its scheduled post is held past its time
    ScheduledStatus.objects.update(scheduled_at=timezone.now() - dt.timedelta(seconds=1))
    assert scheduled_statuses_publish_due() == []
    assert ScheduledStatus.objects.get().held
    # while it is up, a stranger's mention waits in the notification requests; a friend's
    # reaches the list
    stranger = Member("stranger", date_joined=timezone.now() - dt.timedelta(days=400))
    with pipeline():
        stranger.post("@victim lovely to see you on here")
        bob.post("@victim dinner tonight?")
    listed = victim.client.get("/api/v1/notifications", {"types[]": "mention"}).json()
    assert {n["account"]["username"] for n in listed} >= {"bob"}
    assert "stranger" not in {n["account"]["username"] for n in listed}
    requests = victim.client.get("/api/v1/notifications/requests").json()
    assert [r["account"]["username"] for r in requests] == ["stranger"]
    # and the shield API shows it up, with what it did
    answer = victim.client.get("/api/agora/v1/protection/shield").json()
    assert answer["active"]
    assert answer["source"] == "pile_on"
    assert answer["muted"] == 30
    assert answer["filtered"] == 1


def test_a_viral_post_with_friendly_strangers_raises_nothing(victim, pipeline):
    # given a post
    post = victim.post("We won the championship!")
    fans = strangers(40, "fan")
    hecklers = strangers(3, "heckler")

    # when forty strangers reply kindly and three insult, in the same minutes
    with pipeline():
        reply_all(fans, post, FRIENDLY, victim)
        reply_all(hecklers, post, INSULTS, victim)

    # then the detector counted all of them, three hostile
    from apps.protection import detector

    [window] = detector.detector_store().record(
        [detector.Observation(victim.account.pk, 0, 0.0, False, timezone.now().timestamp())]
    )
    assert (window.strangers, window.hostile) == (44, 3)
    # and no shield goes up, nobody is muted, no case groups anything
    assert not Shield.objects.exists()
    assert not Mute.objects.exists()
    assert not Case.objects.filter(content_type="pile_on").exists()


def test_a_few_hostile_strangers_are_not_a_pile_on(victim, pipeline):
    post = victim.post("An unpopular opinion")
    with pipeline():
        reply_all(strangers(4, "grump"), post, INSULTS, victim)
    assert not Shield.objects.exists()


def test_hostile_strangers_arriving_after_the_shield_is_up_join_it(victim, pipeline):
    post = victim.post("Here is my opinion")
    with pipeline():
        reply_all(strangers(12, "troll"), post, INSULTS, victim)
    shield = Shield.objects.get()
    before = shield.senders.count()

    with pipeline():
        reply_all(strangers(2, "late"), post, INSULTS, victim)

    assert shield.senders.count() == before + 2
    assert Mute.objects.filter(account=victim.account, target__username="late0").exists()
    assert Shield.objects.count() == 1


def test_when_the_shield_expires_mutes_go_held_posts_are_released_and_a_recap_is_sent(
    victim, pipeline, django_capture_on_commit_callbacks
):
    # given a shield raised by a pile-on, and a scheduled post held by it
    post = victim.post("Here is my opinion")
    with pipeline():
        reply_all(strangers(12, "troll"), post, INSULTS, victim)
    shield = Shield.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        victim.client.post(
            "/api/v1/statuses",
            {
                "status": "later",
                "scheduled_at": (timezone.now() + dt.timedelta(minutes=6)).isoformat(),
            },
            format="json",
        )
        ScheduledStatus.objects.update(held=True, scheduled_at=timezone.now())

    # when its time runs out
    with django_capture_on_commit_callbacks(execute=True):
        assert shields.shields_expire_due(now=shield.until + dt.timedelta(seconds=1)) == 1

    # then it is down, its mutes are gone, and the held post goes out
    shield.refresh_from_db()
    assert not shield.is_active
    assert shield.end_reason == "expired"
    assert shield.recap == {"muted": 12, "filtered": shield.recap["filtered"]}
    assert not Mute.objects.exists()
    assert not ScheduledStatus.objects.get().held
    assert len(scheduled_statuses_publish_due()) == 1
    # and the account hears the recap
    told = victim.client.get("/api/v1/notifications", {"types[]": "agora:shield"}).json()
    assert [n["agora"]["shield"]["state"] for n in told] == ["lowered", "raised"]
    assert told[0]["agora"]["shield"]["recap"]["muted"] == 12
    # a second run finds nothing to do
    assert shields.shields_expire_due(now=shield.until + dt.timedelta(seconds=2)) == 0


def test_an_account_baseline_raises_its_threshold(settings):
    from apps.protection import detector

    window = detector.Window(strangers=20, hostile=7, weak_hostile=0, baseline_hostile=0)
    assert detector.is_pile_on(window)
    # an account that gets 100 hostile replies a day as a matter of course (~2 a window)
    busy = detector.Window(strangers=20, hostile=7, weak_hostile=0, baseline_hostile=1_400)
    assert busy.threshold > 7
    assert not detector.is_pile_on(busy)
    # new and low-trust senders weigh more
    weak = detector.Window(strangers=10, hostile=6, weak_hostile=6, baseline_hostile=1_400)
    assert detector.is_pile_on(weak)
    strong = detector.Window(strangers=10, hostile=6, weak_hostile=0, baseline_hostile=1_400)
    assert not detector.is_pile_on(strong)
    # and hostility must be a large share of the strangers reaching the account
    viral = detector.Window(strangers=100, hostile=7, weak_hostile=0, baseline_hostile=0)
    assert not detector.is_pile_on(viral)


def test_a_batch_costs_the_same_queries_whatever_its_size(victim):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.feed import services
    from apps.protection.services.pile_ons import interactions_observe

    post = services.status_create(author=victim.account, text="a post")

    def batch(size: int, prefix: str) -> list[tuple[int, int, float]]:
        replies = []
        for member in strangers(size, prefix):
            reply = services.status_create(
                author=member.account, text="@victim nice", in_reply_to_id=int(post.pk)
            )
            replies.append((reply.pk, member.account.pk, 0.1))
        return replies

    small, large = batch(3, "few"), batch(30, "many")
    costs = []
    for assessed in (small, large):
        with CaptureQueriesContext(connection) as queries:
            interactions_observe(content_type="status", assessed=assessed)
        costs.append(len(queries))
    assert costs[0] == costs[1] <= 8
