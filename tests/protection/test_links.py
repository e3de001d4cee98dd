"""Link safety: the checker protection registers in ``core.checks``, and what it refuses
at posting time (the feed), in chat and in moderation's assessor."""

import pytest

from apps.feed.models import Status
from apps.protection.links import skeleton
from apps.protection.links.extract import links_in
from apps.protection.models import BlockedDomain
from core import checks
from tests.feed.conftest import Member

STATUSES = "/api/v1/statuses"


def verdict(text: str) -> checks.CheckResult:
    [result] = [r for r in checks.check_text(text) if r.checker == "links"]
    return result


@pytest.fixture
def blocklist(db):
    BlockedDomain.objects.create(domain="evil-phish.com", severity="refuse", reason="phishing")
    BlockedDomain.objects.create(domain="sketchy-deals.net", severity="warn", reason="")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "mentioned"),
    [
        pytest.param("log in at https://evil-phish.com/login", "evil-phish.com", id="blocklisted"),
        pytest.param(
            "http://secure.login.evil-phish.com/x", "secure.login.evil-phish.com", id="subdomain"
        ),
        pytest.param("see EVIL-PHISH.COM. now", "evil-phish.com", id="bare-and-upper-case"),
        pytest.param(
            '<p><a href="https://evil-phish.com/">paypal.com</a></p>',
            "evil-phish.com",
            id="html-href",
        ),
        pytest.param(
            "pay at https://\u0430pple.com/pay", "\u0430pple.com", id="homograph-cyrillic-a"
        ),
        pytest.param(
            "pay at https://xn--pple-43d.com/pay", "\u0430pple.com", id="homograph-punycode"
        ),
        pytest.param("\u0430pple.com/login", "\u0430pple.com", id="homograph-bare"),
        pytest.param(
            "https://id.\u0440\u0430\u0443\u0440\u0430l.com",
            "id.\u0440\u0430\u0443\u0440\u0430l.com",
            id="homograph-subdomain-all-cyrillic",
        ),
        pytest.param("https://g\u043e\u043egle.com", "g\u043e\u043egle.com", id="homograph-google"),
        pytest.param("click javascript:alert(document.cookie)", "javascript", id="javascript"),
        pytest.param(
            '<a href="java&#x09;script:alert(1)">win</a>',
            "javascript",
            id="javascript-obfuscated-href",
        ),
        pytest.param(
            "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "data", id="data-url"
        ),
        pytest.param(
            '<img src="data:image/svg+xml,<svg onload=alert(1)>">', "data", id="data-in-src"
        ),
    ],
)
def test_refused_links(blocklist, text, mentioned):
    # when
    result = verdict(text)

    # then
    assert result.is_blocking is True
    assert result.scores == {"link": 1.0}
    assert mentioned in result.reason


@pytest.mark.django_db
def test_the_reason_says_why_in_words(blocklist, settings):
    assert verdict("https://evil-phish.com").reason == (
        "The link to evil-phish.com is not allowed: phishing."
    )
    assert verdict("https://\u0430pple.com").reason == (
        "The link to \u0430pple.com is not allowed: it is made to look like apple.com but "
        "leads somewhere else."
    )
    assert verdict("javascript:alert(1)").reason == (
        "Links starting with “javascript:” are not allowed (javascript:alert(1))."
    )


@pytest.mark.django_db
def test_the_instance_own_domain_and_configured_domains_are_protected(settings):
    settings.AGORA_DOMAIN = "agora.social:8443"
    settings.PROTECTION_PROTECTED_DOMAINS = ["mybank.example"]

    assert verdict("https://\u0430gora.social/login").is_blocking is True
    assert verdict("https://myb\u0430nk.example").is_blocking is True
    # apple.com is no longer on the list: its lookalike is only a mixed-script warning
    result = verdict("https://\u0430pple.com")
    assert result.is_blocking is False
    assert "mixes alphabets" in result.reason


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "score", "mentioned"),
    [
        pytest.param("short: https://bit.ly/3xYz", 0.3, "bit.ly", id="shortener"),
        pytest.param("https://www.tinyurl.com/abc", 0.3, "tinyurl.com", id="shortener-subdomain"),
        pytest.param(
            "deals at sketchy-deals.net/today", 0.6, "sketchy-deals.net", id="blocklist-warn"
        ),
        pytest.param(
            "https://\u0440\u0430ypal-support.com", 0.5, "mixes alphabets", id="mixed-script"
        ),
    ],
)
def test_warned_links(blocklist, text, score, mentioned):
    # when
    result = verdict(text)

    # then
    assert result.is_blocking is False
    assert result.scores == {"link": score}
    assert mentioned in result.reason


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "buy at https://apple.com/store and https://www.paypal.com", id="protected-themselves"
        ),
        pytest.param("https://support.apple.com/kb", id="protected-subdomain"),
        pytest.param("https://bücher.apple.com/", id="protected-idn-subdomain"),
        pytest.param("https://münchen.de/rathaus and https://xn--mnchen-3ya.de", id="ordinary-idn"),
        pytest.param("https://日本語.jp and https://пример.рф", id="single-script-idn"),
        pytest.param("the data: it shows growth", id="data-in-prose"),
        pytest.param(
            "my favourite language? javascript: it runs everywhere", id="javascript-in-prose"
        ),
        pytest.param("no links here at all", id="no-link"),
        pytest.param('<p>hi <a href="https://example.org/">there</a></p>', id="html-clean"),
        pytest.param("mail me: someone@example.org", id="e-mail"),
        pytest.param("https://not-evil-phish.com/", id="not-a-subdomain"),
    ],
)
def test_clean_links_pass(blocklist, text):
    # when
    result = verdict(text)

    # then
    assert result == checks.CheckResult(checker="links", scores={"link": 0.0})


@pytest.mark.django_db
def test_one_query_for_the_blocklist_and_none_without_links(blocklist, django_assert_num_queries):
    many = " ".join(f"https://site{i}.example.com/page" for i in range(30))
    with django_assert_num_queries(1):
        verdict(many)
    with django_assert_num_queries(0):
        verdict("plain words, and javascript:void(0)")


def test_links_are_extracted_once_each_with_their_host():
    found = links_in("https://a.example.com/x https://a.example.com/x and b.example.org")
    assert [(link.scheme, link.host) for link in found] == [
        ("https", "a.example.com"),
        ("http", "b.example.org"),
    ]


@pytest.mark.parametrize(
    ("left", "right"),
    [("\u0430pple.com", "apple.com"), ("PAYPAL.COM", "paypa1.com"), ("modbot", "rnodbot")],
)
def test_tr39_skeletons_agree_on_lookalikes(left, right):
    assert skeleton.folded_skeleton(left) == skeleton.folded_skeleton(right)


def test_tr39_skeletons_tell_different_strings_apart():
    assert skeleton.folded_skeleton("münchen.de") != skeleton.folded_skeleton("munchen.de")
    assert skeleton.folded_skeleton("apple.com") != skeleton.folded_skeleton("apples.com")


# Posting: the refusal reaches the author ------------------------------------------------


@pytest.mark.django_db
def test_a_status_with_a_refused_link_is_refused_with_the_reason_and_nothing_is_written(
    blocklist,
):
    # given
    alice = Member("alice")

    # when
    response = alice.client.post(
        STATUSES, {"status": "free money https://evil-phish.com/win"}, format="json"
    )

    # then
    assert response.status_code == 422
    assert response.json() == {"error": "The link to evil-phish.com is not allowed: phishing."}
    assert not Status.objects.filter(account=alice.account).exists()
    alice.account.refresh_from_db()
    assert alice.account.statuses_count == 0


@pytest.mark.django_db
def test_a_refused_link_in_the_content_warning_is_refused_too(blocklist):
    alice = Member("alice")

    response = alice.client.post(
        STATUSES,
        {"status": "look", "spoiler_text": "https://\u0430pple.com/account"},
        format="json",
    )

    assert response.status_code == 422
    assert "apple.com" in response.json()["error"]


@pytest.mark.django_db
def test_a_status_with_a_warned_or_clean_link_is_published(blocklist):
    alice = Member("alice")

    posted = alice.post("see https://bit.ly/abc and https://apple.com and sketchy-deals.net")

    assert Status.objects.filter(pk=posted["id"]).exists()


@pytest.mark.django_db
def test_editing_in_a_refused_link_is_refused_and_the_status_stays(blocklist):
    # given
    alice = Member("alice")
    posted = alice.post("hello")

    # when
    response = alice.client.put(
        f"{STATUSES}/{posted['id']}", {"status": "javascript:alert(1)"}, format="json"
    )

    # then
    assert response.status_code == 422
    assert "javascript" in response.json()["error"]
    status = Status.objects.get(pk=posted["id"])
    assert status.text == "hello"
    assert status.edits.count() == 0


@pytest.mark.django_db
def test_scheduling_a_status_with_a_refused_link_is_refused(blocklist):
    alice = Member("alice")

    response = alice.client.post(
        STATUSES,
        {"status": "https://evil-phish.com", "scheduled_at": "2099-01-01T00:00:00Z"},
        format="json",
    )

    assert response.status_code == 422
    assert "evil-phish.com" in response.json()["error"]


# Moderation's assessor reads the same verdict ------------------------------------------


@pytest.mark.django_db
def test_moderations_link_assessor_scores_a_refused_link_as_blocking(blocklist):
    from apps.moderation.assessors.base import Item
    from apps.moderation.assessors.links import BLOCKING_SCORE, LinkAssessor

    [score] = LinkAssessor().assess_item(Item(key="x", text="https://evil-phish.com"))

    assert score.category == "link"
    assert score.score >= BLOCKING_SCORE
    assert "links:blocking" in score.signals


# Live chat refuses on the same verdict ---------------------------------------------------


@pytest.mark.django_db
def test_a_chat_message_with_a_refused_link_is_refused_with_the_reason(blocklist):
    from apps.live.models import ChatMessage
    from apps.live.services import chat
    from core import errors
    from tests.accounts.factories import UserFactory
    from tests.live.chat_support import make_stream

    stream = make_stream(UserFactory(username="streamer"))
    viewer = UserFactory(username="viewer")

    with pytest.raises(errors.Unprocessable) as refusal:
        chat.chat_message_post(
            author=viewer, stream_id=stream.pk, text="claim it at https://\u0430pple.com"
        )

    assert refusal.value.code == "text_refused"
    assert "made to look like apple.com" in str(refusal.value.detail)
    assert not ChatMessage.objects.exists()


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        pytest.param({"note": "my site: javascript:alert(1)"}, "note", id="note-javascript"),
        pytest.param(
            {"fields_attributes": {"0": {"name": "shop", "value": "https://\u0430pple.com"}}},
            "fields_attributes[0][value]",
            id="field-homograph",
        ),
    ],
)
def test_a_profile_with_a_refused_link_is_refused_and_nothing_changes(db, sent, field):
    member = Member("profiled")

    response = member.client.patch("/api/v1/accounts/update_credentials", sent, format="json")

    assert response.status_code == 422, response.json()
    assert field in response.json()["error"]
    member.account.refresh_from_db()
    assert (member.account.note, member.account.fields) == ("", [])


def test_a_profile_with_a_clean_link_is_saved(db):
    member = Member("profiled")

    response = member.client.patch(
        "/api/v1/accounts/update_credentials",
        {"note": "see https://example.org/about"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    member.account.refresh_from_db()
    assert "example.org" in member.account.note
