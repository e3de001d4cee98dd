"""The assessors one by one: what each scores, with what confidence, and what it leaves alone."""

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from apps.moderation.assessors import Context, Item, assess
from apps.moderation.assessors.base import noisy_or
from apps.moderation.assessors.media import KnownHash, MediaMatchAssessor, hamming, match_score
from apps.moderation.assessors.offensive import OffensiveAssessor
from apps.moderation.assessors.pii import PersonalDataAssessor, luhn_valid
from apps.moderation.assessors.scam import ScamAssessor
from apps.moderation.assessors.spam import SpamAssessor
from apps.moderation.assessors.text import fingerprint
from apps.moderation.models import Category

LABELLED = Path(__file__).parent / "data" / "labelled.jsonl"


def item(text: str, key: str = "x", **fields) -> Item:
    return Item(key=key, text=text, **fields)


# Offensive ------------------------------------------------------------------


def test_the_classifier_is_the_packaged_trained_model():
    """Both fast paths (one text, a batch) give the package's own probabilities."""
    from profanity_check import predict_prob

    texts = [json.loads(line)["text"] for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    texts += ["", "the and of", "Äöü straße café naïve", "you are a fucking idiot"]
    expected = list(predict_prob(texts))
    assessor = OffensiveAssessor()
    assert assessor._single is not None
    assert assessor._fast is not None
    assert assessor.probabilities(texts) == pytest.approx(expected, abs=1e-9)
    one_by_one = [assessor.probabilities([text])[0] for text in texts]
    assert one_by_one == pytest.approx(expected, abs=1e-9)
    assert assessor.version.startswith("alt-profanity-check ")


@pytest.mark.parametrize(
    "text",
    [
        "this exam was killer",
        "I could murder a cup of tea",
        "We killed it at the pub quiz last night",
    ],
)
def test_tricky_clean_text_scores_low(text):
    [[score]] = OffensiveAssessor().assess([item(text)], Context())
    assert score.score < 0.5


def test_offensive_text_scores_high_with_confidence():
    [[score]] = OffensiveAssessor().assess([item("shut up you stupid piece of shit")], Context())
    assert score.score > 0.9
    assert score.confidence > 0.8
    assert score.signals == ("classifier", "addressed")


def test_profanity_nobody_is_addressed_with_is_told_apart():
    [[score]] = OffensiveAssessor().assess([item("fucking hell, this printer")], Context())
    assert score.score > 0.5
    assert score.signals == ("classifier",)


def test_links_and_mentions_are_not_judged_as_language():
    assessor = OffensiveAssessor()
    [[with_link]] = assessor.assess(
        [item("nice https://example.com/shit-list @fuckface")], Context()
    )
    [[without]] = assessor.assess([item("nice")], Context())
    assert with_link.score == pytest.approx(without.score)


def test_empty_text_is_a_confident_zero():
    [[score]] = OffensiveAssessor().assess([item("")], Context())
    assert (score.score, score.confidence) == (0.0, 1.0)


def test_a_batch_scores_like_single_calls():
    texts = ["hello there", "fuck off", "", "lovely day you idiot"]
    assessor = OffensiveAssessor()
    batch = [scores[0].score for scores in assessor.assess([item(t) for t in texts], Context())]
    single = [assessor.assess([item(t)], Context())[0][0].score for t in texts]
    assert batch == pytest.approx(single)


# Personal data ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("4111111111111111", True),
        ("5500000000000004", True),
        ("378282246310005", True),
        ("4111111111111112", False),
        ("1234567890123", False),
        ("411111111111", False),
    ],
)
def test_luhn(number, valid):
    assert luhn_valid(number) is valid


@pytest.mark.parametrize(
    ("text", "score", "signal"),
    [
        ("card 4111 1111 1111 1111", 0.95, "card_number:1"),
        ("card 4111-1111-1111-1111", 0.95, "card_number:1"),
        ("ring +44 20 7946 0958", 0.62, "phone:1"),
        ("call 555-123-4567", 0.62, "phone:1"),
        ("mail jane.doe@example.com", 0.55, "email:1"),
    ],
)
def test_personal_data_found(text, score, signal):
    found = PersonalDataAssessor().assess_text(text)
    assert found.score == pytest.approx(score)
    assert signal in found.signals


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112",
        "meeting 10:30-11:45 on 2024-05-12",
        "The year 2023 was great, 12 000 people came",
        "I scored 1000 points",
        "0000000000000000",
        "see @jane@example.social for details",
    ],
    ids=["luhn-fails", "date-and-times", "years-and-counts", "small-number", "zeros", "fediverse"],
)
def test_not_personal_data(text):
    assert PersonalDataAssessor().assess_text(text).score == 0.0


def test_several_kinds_of_personal_data_add_up():
    both = PersonalDataAssessor().assess_text("jane@example.com or +44 20 7946 0958")
    assert both.score == pytest.approx(noisy_or([0.62, 0.55]))
    assert set(both.signals) == {"phone:1", "email:1"}


# Spam -------------------------------------------------------------------------


def test_fingerprint_ignores_what_spammers_vary():
    a = fingerprint("Huge SALE today at https://kicks.example/a?ref=1 @bob #deals 50% off")
    b = fingerprint("huge sale today at https://www.kicks.example/b?ref=2 @carol deals 70% OFF!!")
    assert a == b
    assert a != fingerprint("Huge sale today at https://other.example/a deals 50% off")
    assert fingerprint("good morning") is None


def test_the_same_text_from_other_accounts_raises_spam(db):
    text = "Huge sneaker sale today only at https://kicks.example grab yours"
    scores = [
        SpamAssessor().assess([item(text, author_id=author)], Context())[0][0].score
        for author in (1, 2, 3, 4, 5)
    ]
    assert scores == sorted(scores)
    assert scores[0] == 0.0
    assert scores[-1] >= 0.95


def test_a_crowd_saying_the_same_short_thing_is_not_spam(db):
    text = "Happy new year everyone, all the best for 2027!"
    scores = [
        SpamAssessor().assess([item(text, key=str(a), author_id=a)], Context())[0][0]
        for a in range(1, 30)
    ]
    assert scores[-1].signals == ("repeated:28_accounts",)
    assert scores[-1].score == 0.5


def test_repeats_within_one_batch_count(db):
    text = "Huge sneaker sale today only, grab yours before they are gone"
    results = SpamAssessor().assess([item(text, author_id=a) for a in range(1, 6)], Context())
    assert results[-1][0].signals == ("repeated:4_accounts",)


def test_a_sample_run_does_not_record(db):
    text = "Huge sneaker sale today only, grab yours before they are gone"
    assessor = SpamAssessor()
    for author in range(1, 5):
        assessor.assess([item(text, author_id=author)], Context(record=False))
    assert assessor.assess([item(text, author_id=9)], Context())[0][0].score == 0.0


def test_repeats_outside_the_window_are_forgotten(db, settings, monkeypatch):
    import time as time_module

    text = "Huge sneaker sale today only, grab yours before they are gone"
    now = time_module.time()
    monkeypatch.setattr("apps.moderation.assessors.spam.time.time", lambda: now - 7200)
    for author in range(1, 5):
        SpamAssessor().assess([item(text, author_id=author)], Context())
    monkeypatch.setattr("apps.moderation.assessors.spam.time.time", lambda: now)
    assert SpamAssessor().assess([item(text, author_id=9)], Context())[0][0].score == 0.0


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("a https://a.example b https://b.example c https://c.example", "links:3"),
        ("@a @b @c @d @e hi", "mentions:5"),
        ("#a #b #c #d #e #f #g #h", "hashtags:8"),
        ("Buy now, click here", "phrasing:2"),
    ],
)
def test_stuffing_and_phrasing(db, text, signal):
    [[score]] = SpamAssessor().assess([item(text)], Context())
    assert signal in score.signals
    assert score.score >= 0.5


def test_a_burst_counts_only_for_new_accounts(db):
    new = datetime.now(UTC) - timedelta(hours=1)
    old = datetime.now(UTC) - timedelta(days=365)
    assessor = SpamAssessor()
    fresh = [
        assessor.assess(
            [
                item(
                    f"post {n} about {n * 3} things", key=str(n), author_id=7, author_created_at=new
                )
            ],
            Context(),
        )
        for n in range(6)
    ]
    seasoned = [
        assessor.assess(
            [
                item(
                    f"post {n} about {n * 3} things", key=str(n), author_id=8, author_created_at=old
                )
            ],
            Context(),
        )
        for n in range(6)
    ]
    assert fresh[-1][0][0].signals == ("new_account_burst:6",)
    assert fresh[-1][0][0].score == pytest.approx(0.65)
    assert seasoned[-1][0][0].score == 0.0


# Scam -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "families"),
    [
        ("Send 0.1 BTC and receive 0.2 BTC back", {"crypto_doubling"}),
        ("Your account will be suspended, verify your account", {"credentials"}),
        ("Guaranteed returns, DM me to invest", {"investment"}),
        ("Congratulations, you won! Claim your prize", {"prize"}),
        ("Pay the release fee via Western Union", {"payment_pressure"}),
        ("Whatsapp me for details", {"off_platform"}),
    ],
)
def test_scam_families(text, families):
    score = ScamAssessor().assess_item(item(text))
    assert set(score.signals) == families
    assert score.score == pytest.approx(0.55)


@pytest.mark.parametrize(
    "text",
    [
        "The Bitcoin whitepaper is a surprisingly readable document",
        "Reminder: the bank will never ask for your PIN",
        "Congratulations to all the winners of the science fair!",
        "Investing in index funds is boring but it works for me",
    ],
)
def test_talking_about_money_is_not_a_scam(text):
    assert ScamAssessor().assess_item(item(text)).score == 0.0


def test_a_link_and_a_new_account_raise_a_scam():
    new = datetime.now(UTC) - timedelta(hours=2)
    score = ScamAssessor().assess_item(
        item("Guaranteed returns, DM me to invest https://x.example", author_created_at=new)
    )
    assert set(score.signals) == {"investment", "with_link", "new_account"}
    assert score.score == pytest.approx(noisy_or([0.55, 0.3, 0.25]))


# Media --------------------------------------------------------------------------


def test_hamming_and_the_match_score():
    assert hamming(0b1011, 0b0001) == 2
    assert match_score(0, 8) == 1.0
    assert match_score(8, 8) == 0.5
    assert match_score(9, 8) == 0.0


def test_media_matching():
    known = [KnownHash(pk=1, value=0xC3A5E1F0B2D49687, bits=64, max_distance=8, label="bad")]
    assessor = MediaMatchAssessor(known)
    [[exact], [near], [far], [other_length], [nothing]] = assessor.assess(
        [
            item("", media_hashes=("c3a5e1f0b2d49687",)),
            item("", media_hashes=("zz", "c3a5e1f0b2d49680")),
            item("", media_hashes=("3c5a1e0f4d2b6978",)),
            item("", media_hashes=("c3a5e1f0",)),
            item("", media_hashes=("",)),
        ],
        Context(),
    )
    assert (exact.score, exact.signals) == (1.0, ("known_hash:1:distance=0",))
    assert near.score == pytest.approx(1 - 0.5 * 3 / 8)
    assert far.score == 0.0
    assert other_length.score == 0.0
    assert nothing.score == 0.0


def test_items_without_media_skip_the_hash_list(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert MediaMatchAssessor().assess([item("hello")], Context()) == [[]]


# All together ------------------------------------------------------------------


def test_assess_keeps_the_highest_score_per_category_and_the_versions(db):
    [result] = assess([item("Send 0.1 BTC and receive 0.2 BTC back, you idiot")])
    assert set(result.scores) == {"offensive", "spam", "scam", "pii", "link"}
    assert set(result.model_versions) == {"text-model", "checks"}
    for rule in ("alt-profanity-check", "spam-rules", "scam-rules", "pii"):
        assert rule in result.model_versions["text-model"]
    assert result.scores["scam"].score > 0.5


def test_disabled_categories_are_not_scored(db):
    [result] = assess(
        [item("Send 0.1 BTC and receive 0.2 BTC back")], Context(disabled=frozenset({"scam"}))
    )
    assert "scam" not in result.scores
    assert "scam-rules" not in result.model_versions


def test_the_labelled_set_covers_every_category_and_plenty_of_clean_text():
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 300
    assert len({row["id"] for row in rows}) == len(rows)
    counts = Counter(label for row in rows for label in row["labels"] or ["clean"])
    assert set(counts) == {*Category.values, "clean"}
    assert counts["clean"] >= 150
    assert all(isinstance(row["text"], str) for row in rows)
    assert any(row["text"] == "this exam was killer" and row["labels"] == [] for row in rows)


def test_one_account_repeating_itself_is_spam_from_the_third_copy(db):
    text = "Huge sneaker sale today only, grab yours, ask @kicks"
    assessor = SpamAssessor()
    scores = [
        assessor.assess([item(text, key=f"status:{n}", author_id=3)], Context())[0][0]
        for n in range(4)
    ]
    assert [s.score for s in scores] == pytest.approx([0.0, 0.0, 0.6, 0.75])
    assert scores[2].signals == ("repeated_by_author:2",)


def test_editing_one_post_is_not_repeating_it(db):
    text = "Huge sneaker sale today only, grab yours before they are gone"
    new = datetime.now(UTC) - timedelta(hours=1)
    assessor = SpamAssessor()
    scores = [
        assessor.assess(
            [item(text, key="status:1", author_id=3, author_created_at=new)], Context()
        )[0][0]
        for _ in range(8)
    ]
    assert {s.score for s in scores} == {0.0}


@pytest.mark.parametrize(
    "text",
    ["Her mobile is 07700 900123", "Phone: +49 30 901820", "Ring me: +33 1 70 18 99 00"],
)
def test_phone_numbers_in_national_and_international_shapes(text):
    assert PersonalDataAssessor().assess_text(text).signals == ("phone:1",)


def test_plain_numbers_in_a_row_are_not_a_phone_number():
    assert PersonalDataAssessor().assess_text("in 2023 12 000 people 45 67 came").score == 0.0


def test_a_viral_fingerprint_keeps_only_its_latest_authors(db):
    from django.core.cache import cache

    from apps.moderation.assessors.spam import FINGERPRINT_KEY, MAX_AUTHORS

    text = "Huge sneaker sale today only at https://kicks.example grab yours"
    SpamAssessor().assess(
        [item(text, key=str(a), author_id=a) for a in range(MAX_AUTHORS + 30)], Context()
    )
    [stored] = [v for k, v in cache.get_many([FINGERPRINT_KEY.format(fingerprint(text))]).items()]
    assert len(stored) == MAX_AUTHORS
    [[score]] = SpamAssessor().assess([item(text, key="new", author_id=999)], Context())
    assert score.signals == (f"repeated:{MAX_AUTHORS}_accounts",)
