"""Filters as Mastodon 4.5 keeps and applies them: ``/api/v2/filters`` (keywords, statuses),
the v1 view of them, and ``filtered`` / hiding in every timeline, thread, notification and
stream, per viewer."""

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.utils import timezone

from apps.feed import consumers
from apps.feed.models import Filter, FilterKeyword, FilterStatus, Notification
from apps.media.models import MediaAttachment, ProcessingState
from tests.feed.factories import StatusFactory

pytestmark = pytest.mark.django_db

V2 = "/api/v2/filters"
V1 = "/api/v1/filters"
FORM = "application/x-www-form-urlencoded"


def create_filter(member, **body) -> dict:
    body = {"title": "t", "context": ["home"], **body}
    response = member.client.post(V2, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def keyword_filter(member, keyword: str, *, action="warn", context=("home",), whole_word=True):
    return create_filter(
        member,
        title=f"no {keyword}",
        context=list(context),
        filter_action=action,
        keywords_attributes=[{"keyword": keyword, "whole_word": whole_word}],
    )


def written() -> tuple[int, int, int]:
    return Filter.objects.count(), FilterKeyword.objects.count(), FilterStatus.objects.count()


def ids(statuses: list[dict]) -> list[str]:
    return [status["id"] for status in statuses]


def get_ok(member, path: str):
    response = member.client.get(path)
    assert response.status_code == 200, response.content
    return response.json()


# The v2 API ----------------------------------------------------------------------


def test_a_filter_is_created_listed_read_and_deleted_as_mastodon_answers(alice):
    # when
    created = create_filter(
        alice,
        title="Spoilers",
        context=["home", "public"],
        filter_action="hide",
        expires_in=3600,
        keywords_attributes=[{"keyword": "finale", "whole_word": False}, {"keyword": "ending"}],
    )

    # then
    assert created["title"] == "Spoilers"
    assert created["context"] == ["home", "public"]
    assert created["filter_action"] == "hide"
    assert created["expires_at"].endswith("Z")
    assert [(k["keyword"], k["whole_word"]) for k in created["keywords"]] == [
        ("finale", False),
        ("ending", True),
    ]
    assert created["statuses"] == []
    assert get_ok(alice, V2) == [created]
    assert get_ok(alice, f"{V2}/{created['id']}") == created

    deleted = alice.client.delete(f"{V2}/{created['id']}")
    assert deleted.status_code == 200, deleted.content
    assert deleted.json() == {}
    assert written() == (0, 0, 0)


def test_a_filter_may_have_no_keywords_as_mastodon_allows_for_status_filters(alice):
    created = create_filter(alice, title="Just these posts")

    assert created["keywords"] == []
    assert created["filter_action"] == "warn"
    assert created["expires_at"] is None


def test_update_changes_given_fields_and_keywords_by_nested_attributes(alice):
    # given
    created = create_filter(
        alice, keywords_attributes=[{"keyword": "one"}, {"keyword": "two"}], expires_in=600
    )
    one, two = created["keywords"]

    # when: rename, keep the context, change one keyword, destroy the other, add a third
    response = alice.client.put(
        f"{V2}/{created['id']}",
        {
            "title": "renamed",
            "expires_in": "",
            "keywords_attributes": [
                {"id": one["id"], "keyword": "uno", "whole_word": False},
                {"id": two["id"], "_destroy": True},
                {"keyword": "three"},
            ],
        },
        format="json",
    )

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["context"], body["expires_at"]) == ("renamed", ["home"], None)
    assert [(k["keyword"], k["whole_word"]) for k in body["keywords"]] == [
        ("uno", False),
        ("three", True),
    ]


def test_form_encoding_with_rails_nested_keyword_attributes(alice):
    # given a form as Rails reads it: each repeated name starts a new keyword
    body = urlencode(
        [
            ("title", "form"),
            ("context[]", "home"),
            ("context[]", "notifications"),
            ("filter_action", "blur"),
            ("keywords_attributes[][keyword]", "alpha"),
            ("keywords_attributes[][whole_word]", "false"),
            ("keywords_attributes[][keyword]", "beta"),
        ]
    )

    # when
    response = alice.client.post(V2, body, content_type=FORM)

    # then
    assert response.status_code == 200, response.content
    created = response.json()
    assert created["context"] == ["home", "notifications"]
    assert created["filter_action"] == "blur"
    assert [(k["keyword"], k["whole_word"]) for k in created["keywords"]] == [
        ("alpha", False),
        ("beta", True),
    ]

    # and a form update destroys and adds by the same names
    alpha, beta = created["keywords"]
    update = urlencode(
        [
            ("keywords_attributes[][id]", alpha["id"]),
            ("keywords_attributes[][keyword]", "alpha"),
            ("keywords_attributes[][_destroy]", "true"),
            ("keywords_attributes[][keyword]", "gamma"),
            ("keywords_attributes[][whole_word]", "false"),
        ]
    )
    response = alice.client.put(f"{V2}/{created['id']}", update, content_type=FORM)
    assert response.status_code == 200, response.content
    assert [(k["keyword"], k["whole_word"]) for k in response.json()["keywords"]] == [
        ("beta", True),
        ("gamma", False),
    ]


@pytest.mark.parametrize(
    "fields",
    [
        {"keywords_attributes[][keyword]": ["a", "b"], "keywords_attributes[][whole_word]": ["false", "true"]},
        {"keywords_attributes[0][keyword]": "a", "keywords_attributes[0][whole_word]": "false",
         "keywords_attributes[1][keyword]": "b"},
    ],
    ids=["multipart-array", "multipart-indexed"],
)  # fmt: skip
def test_multipart_forms_pair_nested_attributes_by_position(alice, fields):
    response = alice.client.post(V2, {"title": "mp", "context[]": ["home"], **fields})

    assert response.status_code == 200, response.content
    assert [(k["keyword"], k["whole_word"]) for k in response.json()["keywords"]] == [
        ("a", False),
        ("b", True),
    ]


BAD_FILTERS = {
    "blank title": {"title": "  "},
    "no title": {"title": None},
    "no context": {"context": None},
    "empty context": {"context": []},
    "blank context": {"context": [" "]},
    "unknown context": {"context": ["home", "everywhere"]},
    "unknown action": {"filter_action": "delete"},
    "blank keyword": {"keywords_attributes": [{"keyword": "ok"}, {"keyword": " ", "whole_word": True}]},
    "keyword not an object": {"keywords_attributes": ["cats"]},
    "bad expires_in": {"expires_in": "soon"},
    "negative expires_in": {"expires_in": -5},
    "title too long": {"title": "x" * 257},
}  # fmt: skip


@pytest.mark.parametrize("change", BAD_FILTERS.values(), ids=BAD_FILTERS.keys())
def test_a_bad_filter_is_refused_with_422_and_nothing_written(alice, change):
    body = {"title": "t", "context": ["home"], **change}
    body = {name: value for name, value in body.items() if value is not None}

    response = alice.client.post(V2, body, format="json")

    assert response.status_code == 422, response.content
    assert response.json()["error"].startswith("Validation failed")
    assert written() == (0, 0, 0)


@pytest.mark.parametrize(
    "change",
    [{"title": ""}, {"context": []}, {"filter_action": "x"},
     {"keywords_attributes": [{"keyword": "", "whole_word": True}]}],
    ids=["blank title", "empty context", "unknown action", "blank keyword"],
)  # fmt: skip
def test_a_bad_update_is_refused_and_changes_nothing(alice, change):
    # (a keyword whose attributes are all blank is skipped, as Rails' reject_if: :all_blank)
    created = create_filter(alice, keywords_attributes=[{"keyword": "kept"}])

    response = alice.client.put(f"{V2}/{created['id']}", change, format="json")

    assert response.status_code == 422, response.content
    assert get_ok(alice, f"{V2}/{created['id']}") == created


def test_an_update_naming_another_filters_keyword_is_404_and_changes_nothing(alice):
    first = create_filter(alice, keywords_attributes=[{"keyword": "mine"}])
    second = create_filter(alice, title="other")

    response = alice.client.put(
        f"{V2}/{second['id']}",
        {
            "title": "x",
            "keywords_attributes": [{"id": first["keywords"][0]["id"], "_destroy": True}],
        },
        format="json",
    )

    assert response.status_code == 404
    assert get_ok(alice, f"{V2}/{second['id']}")["title"] == "other"
    assert FilterKeyword.objects.count() == 1


def test_keywords_endpoints(alice):
    created = create_filter(alice)
    base = f"{V2}/{created['id']}/keywords"

    added = alice.client.post(base, {"keyword": "Cats", "whole_word": "false"})
    assert added.status_code == 200, added.content
    keyword = added.json()
    assert (keyword["keyword"], keyword["whole_word"]) == ("Cats", False)
    assert get_ok(alice, base) == [keyword]
    # the literal path is the keyword, not a filter id
    assert get_ok(alice, f"{V2}/keywords/{keyword['id']}") == keyword

    changed = alice.client.put(
        f"{V2}/keywords/{keyword['id']}", {"whole_word": True}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert changed.json() == {**keyword, "whole_word": True}

    refused = alice.client.put(f"{V2}/keywords/{keyword['id']}", {"keyword": ""}, format="json")
    assert refused.status_code == 422
    assert FilterKeyword.objects.get().keyword == "Cats"

    blank = alice.client.post(base, {"keyword": " "})
    assert blank.status_code == 422
    assert FilterKeyword.objects.count() == 1

    assert alice.client.delete(f"{V2}/keywords/{keyword['id']}").json() == {}
    assert get_ok(alice, base) == []
    assert Filter.objects.count() == 1


def test_statuses_endpoints(alice, bob):
    created = create_filter(alice)
    base = f"{V2}/{created['id']}/statuses"
    status = bob.post("a post to filter")

    added = alice.client.post(base, {"status_id": status["id"]})
    assert added.status_code == 200, added.content
    row = added.json()
    assert row["status_id"] == status["id"]
    assert get_ok(alice, base) == [row]
    assert get_ok(alice, f"{V2}/statuses/{row['id']}") == row
    assert get_ok(alice, f"{V2}/{created['id']}")["statuses"] == [row]

    again = alice.client.post(base, {"status_id": status["id"]})
    assert again.status_code == 422
    assert FilterStatus.objects.count() == 1

    assert alice.client.delete(f"{V2}/statuses/{row['id']}").json() == {}
    assert FilterStatus.objects.count() == 0


@pytest.mark.parametrize(
    "status_id", ["123456789", "abc", ""], ids=["unknown", "not an id", "blank"]
)
def test_a_status_filter_needs_a_status_the_owner_may_see(alice, status_id):
    created = create_filter(alice)

    response = alice.client.post(f"{V2}/{created['id']}/statuses", {"status_id": status_id})

    assert response.status_code == 422, response.content
    assert FilterStatus.objects.count() == 0


def test_a_private_status_the_owner_may_not_see_cannot_be_filtered(alice, bob):
    created = create_filter(alice)
    private = bob.post("followers only", visibility="private")

    response = alice.client.post(f"{V2}/{created['id']}/statuses", {"status_id": private["id"]})

    assert response.status_code == 422
    assert FilterStatus.objects.count() == 0


def test_someone_elses_filter_keyword_or_status_is_404_and_untouched(alice, bob):
    # given
    created = create_filter(alice, keywords_attributes=[{"keyword": "mine"}])
    status = alice.post("mine")
    row = alice.client.post(f"{V2}/{created['id']}/statuses", {"status_id": status["id"]}).json()
    keyword_id = created["keywords"][0]["id"]
    before = written()

    # when bob tries every route
    attempts = [
        bob.client.get(f"{V2}/{created['id']}"),
        bob.client.put(f"{V2}/{created['id']}", {"title": "x"}, format="json"),
        bob.client.delete(f"{V2}/{created['id']}"),
        bob.client.get(f"{V2}/{created['id']}/keywords"),
        bob.client.post(f"{V2}/{created['id']}/keywords", {"keyword": "x"}),
        bob.client.get(f"{V2}/keywords/{keyword_id}"),
        bob.client.put(f"{V2}/keywords/{keyword_id}", {"keyword": "x"}, format="json"),
        bob.client.delete(f"{V2}/keywords/{keyword_id}"),
        bob.client.get(f"{V2}/{created['id']}/statuses"),
        bob.client.post(f"{V2}/{created['id']}/statuses", {"status_id": status["id"]}),
        bob.client.get(f"{V2}/statuses/{row['id']}"),
        bob.client.delete(f"{V2}/statuses/{row['id']}"),
        bob.client.get(f"{V1}/{keyword_id}"),
        bob.client.put(f"{V1}/{keyword_id}", {"phrase": "x"}, format="json"),
        bob.client.delete(f"{V1}/{keyword_id}"),
    ]

    # then
    assert [response.status_code for response in attempts] == [404] * len(attempts)
    assert all(response.json() == {"error": "Record not found"} for response in attempts)
    assert written() == before
    assert get_ok(bob, V2) == []
    assert get_ok(bob, V1) == []
    assert get_ok(alice, f"{V2}/{created['id']}")["title"] == "t"


def test_filters_need_the_filters_scopes(alice):
    from tests.accounts.factories import AccessTokenFactory
    from tests.api_client import APIClient

    client = APIClient()
    token = AccessTokenFactory(user=alice.account, scope="read:statuses").token
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert client.get(V2).status_code == 403
    assert client.post(V1, {"phrase": "x", "context[]": ["home"]}).status_code == 403
    assert written() == (0, 0, 0)


# The v1 API ----------------------------------------------------------------------


def test_v1_filters_are_keywords_of_v2_filters(alice):
    # when: a v1 filter is created as Tusky's older versions send it (a form)
    response = alice.client.post(
        V1,
        {"phrase": "Crypto", "context[]": ["home", "public"], "irreversible": "true",
         "whole_word": "false", "expires_in": "1800"},
    )  # fmt: skip

    # then it is a v2 filter titled by its phrase, with one keyword, hiding
    assert response.status_code == 200, response.content
    v1 = response.json()
    assert (v1["phrase"], v1["context"], v1["irreversible"], v1["whole_word"]) == (
        "Crypto",
        ["home", "public"],
        True,
        False,
    )
    (v2,) = get_ok(alice, V2)
    assert (v2["title"], v2["filter_action"], v2["context"]) == (
        "Crypto",
        "hide",
        ["home", "public"],
    )
    assert v2["keywords"] == [{"id": v1["id"], "keyword": "Crypto", "whole_word": False}]
    assert v2["expires_at"] == v1["expires_at"]

    # and every keyword of a v2 filter is a v1 filter
    create_filter(alice, title="two", keywords_attributes=[{"keyword": "a"}, {"keyword": "b"}])
    listed = get_ok(alice, V1)
    assert [item["phrase"] for item in listed] == ["Crypto", "a", "b"]
    assert listed[1]["irreversible"] is False
    assert get_ok(alice, f"{V1}/{v1['id']}") == v1


def test_v1_update_and_delete(alice):
    v1 = alice.client.post(V1, {"phrase": "old", "context": ["home"]}, format="json").json()

    response = alice.client.put(
        f"{V1}/{v1['id']}",
        {"phrase": "new", "context": ["thread"], "irreversible": True},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["phrase"] == "new"
    (v2,) = get_ok(alice, V2)
    assert (v2["title"], v2["context"], v2["filter_action"]) == ("new", ["thread"], "hide")

    assert alice.client.delete(f"{V1}/{v1['id']}").json() == {}
    assert get_ok(alice, V1) == []


def test_v1_cannot_change_a_filter_shared_by_several_keywords(alice):
    created = create_filter(alice, keywords_attributes=[{"keyword": "a"}, {"keyword": "b"}])
    keyword_id = created["keywords"][0]["id"]

    refused = alice.client.put(f"{V1}/{keyword_id}", {"context": ["public"]}, format="json")
    allowed = alice.client.put(f"{V1}/{keyword_id}", {"whole_word": False}, format="json")

    assert refused.status_code == 422
    assert allowed.status_code == 200, allowed.content
    after = get_ok(alice, f"{V2}/{created['id']}")
    assert after["context"] == ["home"]
    assert after["keywords"][0]["whole_word"] is False


BAD_V1 = {
    "no phrase": {"context": ["home"]},
    "blank phrase": {"phrase": "  ", "context": ["home"]},
    "no context": {"phrase": "x"},
    "unknown context": {"phrase": "x", "context": ["nowhere"]},
    "bad expires_in": {"phrase": "x", "context": ["home"], "expires_in": "1.5"},
}


@pytest.mark.parametrize("body", BAD_V1.values(), ids=BAD_V1.keys())
def test_a_bad_v1_filter_is_refused_with_422_and_nothing_written(alice, body):
    response = alice.client.post(V1, body, format="json")

    assert response.status_code == 422, response.content
    assert written() == (0, 0, 0)


# Applying filters --------------------------------------------------------------------


@pytest.fixture
def reader(alice, bob):
    """alice follows bob; bob posts about cats and about dogs."""
    alice.follow(bob)
    return alice


def home(member) -> list[dict]:
    return get_ok(member, "/api/v1/timelines/home")


def test_warn_marks_the_status_with_its_filter_result_in_home(reader, bob):
    # given
    cats = bob.post("I love my Cat")
    dogs = bob.post("dogs are fine")
    created = keyword_filter(reader, "cat")

    # when
    page = home(reader)

    # then
    by_id = {status["id"]: status for status in page}
    assert by_id[dogs["id"]]["filtered"] == []
    (result,) = by_id[cats["id"]]["filtered"]
    assert result["keyword_matches"] == ["Cat"]
    assert result["status_matches"] is None
    assert result["filter"] == {
        "id": created["id"],
        "title": "no cat",
        "context": ["home"],
        "expires_at": None,
        "filter_action": "warn",
    }


CONTEXT_READS = {
    "home": lambda member, status, author: ids(home(member)),
    "public": lambda member, status, author: ids(get_ok(member, "/api/v1/timelines/public")),
    "account": lambda member, status, author: ids(
        get_ok(member, f"/api/v1/accounts/{author.id}/statuses")
    ),
    "tag": lambda member, status, author: ids(get_ok(member, "/api/v1/timelines/tag/pets")),
}


@pytest.mark.parametrize("where", CONTEXT_READS.keys())
def test_hide_removes_the_status_only_in_its_context(reader, bob, where):
    # given
    status = bob.post("my cat is asleep #pets")
    other = bob.post("nothing to see #pets")
    context = "public" if where == "tag" else where
    keyword_filter(reader, "cat", action="hide", context=[context])
    read = CONTEXT_READS[where]

    # when / then: hidden where the filter applies, with the rest of the page kept
    shown = read(reader, status, bob)
    assert status["id"] not in shown
    assert other["id"] in shown

    # and elsewhere it is shown, with its filter result (the client decides by context)
    elsewhere = next(name for name in CONTEXT_READS if name not in (where, "tag") and
                     not (where == "tag" and name == "public"))  # fmt: skip
    assert status["id"] in CONTEXT_READS[elsewhere](reader, status, bob)
    single = get_ok(reader, f"/api/v1/statuses/{status['id']}")
    assert single["filtered"][0]["filter"]["filter_action"] == "hide"


@pytest.mark.parametrize("action", ["warn", "blur"])
@pytest.mark.parametrize("where", ["home", "public", "account"])
def test_warn_and_blur_keep_the_status_with_its_result(reader, bob, action, where):
    status = bob.post("a cat video")
    keyword_filter(reader, "cat", action=action, context=[where])

    shown = {s["id"]: s for s in {
        "home": lambda: home(reader),
        "public": lambda: get_ok(reader, "/api/v1/timelines/public"),
        "account": lambda: get_ok(reader, f"/api/v1/accounts/{bob.id}/statuses"),
    }[where]()}  # fmt: skip

    assert shown[status["id"]]["filtered"][0]["filter"]["filter_action"] == action


def test_hide_in_thread_removes_replies_and_ancestors(reader, bob):
    root = bob.post("root about cats")
    middle = bob.post("plain reply", in_reply_to_id=root["id"])
    leaf = bob.post("cat reply", in_reply_to_id=middle["id"])
    keyword_filter(reader, "cat", whole_word=False, action="hide", context=["thread"])

    context = get_ok(reader, f"/api/v1/statuses/{middle['id']}/context")

    assert ids(context["ancestors"]) == []
    assert ids(context["descendants"]) == []
    plain = get_ok(reader, f"/api/v1/statuses/{leaf['id']}/context")
    assert ids(plain["ancestors"]) == [middle["id"]]
    assert plain["ancestors"][0]["filtered"] == []


def test_hide_in_notifications_drops_the_notification_and_warn_marks_it(reader, bob, carol):
    # given bob and carol mention alice
    hidden = bob.post("@alice look at this cat")
    warned = carol.post("@alice a dog here")
    keyword_filter(reader, "cat", action="hide", context=["notifications"])
    keyword_filter(reader, "dog", action="warn", context=["notifications"])

    # when
    page = get_ok(reader, "/api/v1/notifications")

    # then
    statuses = {n["status"]["id"]: n["status"] for n in page if n["status"]}
    assert hidden["id"] not in statuses
    assert statuses[warned["id"]]["filtered"][0]["keyword_matches"] == ["dog"]
    assert Notification.objects.filter(account=reader.account, status_id=hidden["id"]).exists()
    # the status itself still shows in home, with the result the client may act on
    assert hidden["id"] in ids(home(reader))


def test_whole_word_matches_at_word_boundaries_unicode_included(reader, bob):
    word = bob.post("the café is open")
    inside = bob.post("cafés everywhere")
    part = bob.post("concatenate strings")
    keyword_filter(reader, "café", action="hide")
    keyword_filter(reader, "cat", action="hide", whole_word=False)

    shown = ids(home(reader))

    assert word["id"] not in shown
    assert inside["id"] in shown  # "café" is not a whole word of "cafés"
    assert part["id"] not in shown  # not whole word: anywhere


def test_spoiler_text_and_media_descriptions_are_matched(reader, bob):
    spoiler = bob.post("hidden behind a warning", spoiler_text="Cat content")
    pictured = StatusFactory(account=bob.account, text="look at this")
    MediaAttachment.objects.create(
        account=bob.account, type="image", state=ProcessingState.READY, status_id=pictured.pk,
        description="A CAT on a mat",
        files={"original": "media/x/o.jpg", "small": "media/x/s.jpg"},
        meta={"original": {"width": 10, "height": 10}},
    )  # fmt: skip
    keyword_filter(reader, "cat")

    by_id = {status["id"]: status for status in home(reader)}

    assert by_id[spoiler["id"]]["filtered"][0]["keyword_matches"] == ["Cat"]
    assert by_id[str(pictured.pk)]["filtered"][0]["keyword_matches"] == ["CAT"]


def test_a_reblog_is_matched_by_its_original(reader, bob, carol):
    original = carol.post("cats rule")
    reblog = bob.client.post(f"/api/v1/statuses/{original['id']}/reblog").json()
    keyword_filter(reader, "cats", action="warn")

    (shown,) = [s for s in home(reader) if s["id"] == reblog["id"]]

    assert shown["filtered"][0]["keyword_matches"] == ["cats"]
    assert shown["reblog"]["filtered"] == shown["filtered"]


def test_a_status_filter_matches_the_status_and_its_reblogs(reader, bob, carol):
    original = carol.post("an ordinary post")
    reblog = bob.client.post(f"/api/v1/statuses/{original['id']}/reblog").json()
    created = create_filter(reader, filter_action="hide", context=["public"])
    reader.client.post(f"{V2}/{created['id']}/statuses", {"status_id": original["id"]})

    (shown,) = [s for s in home(reader) if s["id"] == reblog["id"]]
    public = ids(get_ok(reader, "/api/v1/timelines/public"))

    assert shown["filtered"][0]["status_matches"] == [original["id"]]
    assert shown["filtered"][0]["keyword_matches"] is None
    assert original["id"] not in public


def test_an_expired_filter_applies_nowhere(reader, bob):
    status = bob.post("cat")
    keyword_filter(reader, "cat", action="hide")
    Filter.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    (shown,) = [s for s in home(reader) if s["id"] == status["id"]]

    assert shown["filtered"] == []


def test_one_viewers_filters_never_reach_another_through_the_entity_cache(reader, bob, carol):
    # given alice filters cats; the public page is cached by alice's read first
    status = bob.post("cat pictures")
    keyword_filter(reader, "cat", action="warn", context=["public"])
    alice_first = get_ok(reader, "/api/v1/timelines/public")

    # when carol reads the same page (from the cache), and alice again after her
    carol_page = get_ok(carol, "/api/v1/timelines/public")
    alice_again = get_ok(reader, "/api/v1/timelines/public")
    carol_single = get_ok(carol, f"/api/v1/statuses/{status['id']}")

    # then only alice's renderings carry her filter
    assert [s["filtered"] for s in carol_page] == [[]]
    assert carol_single["filtered"] == []
    assert alice_first[0]["filtered"]
    assert alice_again == alice_first
    cache.clear()
    assert get_ok(carol, "/api/v1/timelines/public")[0]["filtered"] == []


def test_pages_cost_the_same_queries_whatever_their_length_and_filters(
    reader, bob, django_assert_max_num_queries
):
    # given filters with several keywords and a status filter
    for word in ("cat", "dog", "bird"):
        keyword_filter(reader, word, context=["home", "public"])
    created = create_filter(reader, title="posts")
    first = bob.post("a cat")
    reader.client.post(f"{V2}/{created['id']}/statuses", {"status_id": first["id"]})
    bob.post("a dog")
    cache.clear()
    with django_assert_max_num_queries(40) as few:
        home(reader)
        few_count = len(few)
    for n in range(8):
        bob.post(f"bird number {n}")
    keyword_filter(reader, "fish")
    cache.clear()

    # when / then
    with django_assert_max_num_queries(few_count):
        page = home(reader)
    assert len(page) == 10
    assert all(status["filtered"] for status in page)


# Streams --------------------------------------------------------------------------------


def test_streamed_statuses_carry_filtered_and_hidden_ones_are_not_sent(reader, bob):
    status = bob.post("cat news")
    keyword_filter(reader, "cat", action="hide", context=["home"])
    keyword_filter(reader, "news", action="warn", context=["public"])

    on_user = consumers.status_event_payload(
        viewer=reader.account, status_id=int(status["id"]), stream="user"
    )
    on_public = consumers.status_event_payload(
        viewer=reader.account, status_id=int(status["id"]), stream="public:local"
    )
    for_bob = consumers.status_event_payload(
        viewer=bob.account, status_id=int(status["id"]), stream="user"
    )

    assert on_user is None
    assert '"keyword_matches":["news"]' in on_public
    assert '"keyword_matches":["cat"]' in on_public
    assert '"filtered":[]' in for_bob


def test_streamed_notifications_are_dropped_when_hidden(reader, bob):
    status = bob.post("@alice cat")
    keyword_filter(reader, "cat", action="hide", context=["notifications"])
    notification = Notification.objects.get(account=reader.account, status_id=status["id"])

    assert (
        consumers.notification_event_payload(viewer=reader.account, notification_id=notification.pk)
        is None
    )
    [only] = Filter.objects.all()
    reader.client.put(f"/api/v2/filters/{only.pk}", {"context": ["home"]}, format="json")
    payload = consumers.notification_event_payload(
        viewer=reader.account, notification_id=notification.pk
    )
    assert '"filter_action":"hide"' in payload


def test_filters_cost_a_page_at_most_two_queries(reader, bob, django_assert_max_num_queries):
    # given a home page read without filters
    for n in range(5):
        bob.post(f"cat number {n}")
    cache.clear()
    with django_assert_max_num_queries(40) as unfiltered:
        home(reader)
        unfiltered_count = len(unfiltered)
    keyword_filter(reader, "cat")
    keyword_filter(reader, "number", action="blur")
    cache.clear()

    # when / then: the filters (one query) and, for keywords, media descriptions (one)
    with django_assert_max_num_queries(unfiltered_count + 2):
        page = home(reader)
    assert all(len(status["filtered"]) == 2 for status in page)


def test_the_ranked_home_timeline_applies_home_filters(reader, bob):
    hidden = bob.post("cat")
    shown = bob.post("dog")
    keyword_filter(reader, "cat", action="hide", context=["home"])
    keyword_filter(reader, "dog", action="warn", context=["home"])

    page = get_ok(reader, "/api/agora/v1/timelines/ranked")

    assert ids(page) == [shown["id"]]
    assert hidden["id"] not in ids(page)
    assert page[0]["filtered"][0]["keyword_matches"] == ["dog"]
    assert "agora_ranking" in page[0]


def test_anonymous_readers_are_never_filtered_by_anyones_filters(bob, api_client):
    bob.post("cat")
    keyword_filter(bob, "cat", action="hide", context=["public"])

    page = api_client.get("/api/v1/timelines/public").json()

    assert [status["filtered"] for status in page] == [[]]


def test_v1_form_update_as_tusky_sends_it(alice):
    # given a v1 filter that expires
    v1 = alice.client.post(
        V1, {"phrase": "old", "context[]": ["home"], "expires_in": "3600"}
    ).json()
    assert v1["expires_at"] is not None

    # when Tusky saves it again, urlencoded, with no expiry
    body = urlencode(
        [("phrase", "renamed"), ("context[]", "home"), ("context[]", "thread"),
         ("irreversible", "false"), ("whole_word", "true"), ("expires_in", "")]
    )  # fmt: skip
    response = alice.client.put(f"{V1}/{v1['id']}", body, content_type=FORM)

    # then
    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": v1["id"],
        "phrase": "renamed",
        "context": ["home", "thread"],
        "whole_word": True,
        "expires_at": None,
        "irreversible": False,
    }


@pytest.mark.django_db(transaction=True)
def test_a_websocket_user_stream_skips_hidden_statuses_and_public_ones_carry_filtered(
    reader, bob, token_for
):
    from asgiref.sync import sync_to_async

    from tests.feed.test_streaming import next_event, open_stream, run

    # given alice hides cats at home and listens to her user and public streams
    keyword_filter(reader, "cat", action="hide", context=["home"])
    token = token_for(reader.account, scope="read")

    async def scenario():
        user = await open_stream(token, "stream=user")
        public = await open_stream(token, "stream=public")

        # when bob posts about a cat, then about something else
        hidden = await sync_to_async(bob.post)("my cat")
        plain = await sync_to_async(bob.post)("my garden")

        # then her user stream skips the cat, and the public stream shows it with its result
        event = await next_event(user)
        assert event["payload"]["id"] == plain["id"]
        first = await next_event(public)
        assert first["payload"]["id"] == hidden["id"]
        assert first["payload"]["filtered"][0]["filter"]["filter_action"] == "hide"
        second = await next_event(public)
        assert (second["payload"]["id"], second["payload"]["filtered"]) == (plain["id"], [])
        await user.disconnect()
        await public.disconnect()

    run(scenario)


def test_a_keyword_matches_a_polls_options(alice, bob):
    """Mastodon matches keywords against poll options too."""
    bob.follow(alice)
    alice.client.post(
        "/api/v1/statuses",
        {"status": "Which one?", "poll": {"options": ["spoilers", "no"], "expires_in": 3600}},
        format="json",
    )
    response = bob.client.post(
        "/api/v2/filters",
        {
            "title": "spoilers",
            "context": ["home"],
            "filter_action": "warn",
            "keywords_attributes": [{"keyword": "spoilers"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()

    [status] = bob.client.get("/api/v1/timelines/home").json()

    assert [result["keyword_matches"] for result in status["filtered"]] == [["spoilers"]]


def test_a_viewers_filters_are_read_once_and_every_change_takes_effect_at_once(alice, bob):
    """The filters are cached per account (no query on a page once read); creating,
    changing a keyword, deleting, and a filter expiring all show on the next read."""
    import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bob.follow(alice)
    alice.post("spoilers ahead")

    def shown() -> list:
        return bob.client.get("/api/v1/timelines/home").json()

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            bob.client.get("/api/v1/timelines/home")
        return [query["sql"] for query in captured]

    created = bob.client.post(
        "/api/v2/filters",
        {
            "title": "t",
            "context": ["home"],
            "filter_action": "hide",
            "keywords_attributes": [{"keyword": "spoilers"}],
        },
        format="json",
    ).json()
    assert shown() == []
    assert not any("feed_filter" in sql for sql in queries())  # cached after the first read

    keyword = created["keywords"][0]["id"]
    bob.client.put(f"/api/v2/filters/keywords/{keyword}", {"keyword": "nothing"}, format="json")
    assert [status["content"] for status in shown()] == ["<p>spoilers ahead</p>"]

    bob.client.put(f"/api/v2/filters/keywords/{keyword}", {"keyword": "spoilers"}, format="json")
    assert shown() == []
    bob.client.delete(f"/api/v2/filters/{created['id']}")
    assert len(shown()) == 1

    # expiry is applied to the cached rows when they are read
    bob.client.post(
        "/api/v2/filters",
        {
            "title": "soon over",
            "context": ["home"],
            "filter_action": "hide",
            "expires_in": 1,
            "keywords_attributes": [{"keyword": "spoilers"}],
        },
        format="json",
    )
    assert shown() == []
    time.sleep(1.1)
    assert len(shown()) == 1
