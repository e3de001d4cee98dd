"""masto.js, the JavaScript library Elk and other Mastodon apps build on, drives Agora.

Each scenario is a node script in tests/clients/js/ (masto pinned in its package.json and
package-lock.json; ``make test`` runs ``npm ci`` there). The test creates the accounts
and tokens, runs the script with ``AGORA_URL``, ``AGORA_TOKEN`` and ``AGORA_OTHER_TOKEN``
in its environment, and asserts on the JSON it prints; a script that fails exits
non-zero with masto.js's error, which fails the test.

One server for the module: Agora's ASGI application under uvicorn in a thread, REST and
WebSocket alike, as production serves it (the streaming scenario needs WebSockets).
masto.js 7 is pinned, not 8: masto 8 needs Node.js 22, and Debian 12 (CI, via
deploy/system-packages.sh) ships Node.js 18.
"""

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from django.test import override_settings

from core import push
from tests.accounts.factories import AccessTokenFactory, UserFactory

SCRIPTS = Path(__file__).parent / "js"
SCOPES = "read write follow push"


@pytest.fixture(scope="module")
def node() -> str:
    """The node executable, with masto.js installed beside the scripts; fails (never
    skips) when either is missing, naming what to do."""
    executable = shutil.which("node")
    if executable is None:
        pytest.fail(
            "Node.js is missing: the masto.js client tests need `node` and `npm` "
            "(`make system` installs Debian's nodejs and npm packages)"
        )
    if not (SCRIPTS / "node_modules" / "masto" / "package.json").is_file():
        pytest.fail(
            "masto.js is not installed: run `npm ci` in tests/clients/js "
            "(`make test` does it from the committed package-lock.json)"
        )
    return executable


@pytest.fixture(scope="module")
def server(django_test_environment, node):
    """Agora's ASGI application served by uvicorn in a thread for the whole module;
    yields its base URL. Push is configured (a VAPID key pair) for the push scenario."""
    from config.asgi import application

    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    private_key, public_key = push.generate_vapid_keys()
    # The instance's one base URL, as its operator would set it: apps take the
    # streaming URL from /api/v2/instance. An app's first calls come a dozen at once
    # (startup.mjs) to a process that has served nothing yet, and a busy CI machine
    # has taken longer than the 2 s a request may wait for its turn (core.overload),
    # so the queue is given longer here: shedding is tested in tests/core, not here.
    configured = override_settings(
        AGORA_REQUEST_QUEUE_TIMEOUT=30.0,
        ALLOWED_HOSTS=["127.0.0.1"],
        AGORA_DOMAIN=f"127.0.0.1:{port}",
        AGORA_HTTPS=False,
        VAPID_PRIVATE_KEY=private_key,
        VAPID_PUBLIC_KEY=public_key,
        VAPID_CONTACT="mailto:push-admin@agora.example",
    )
    configured.enable()
    uvicorn_server = uvicorn.Server(
        uvicorn.Config(
            application,
            lifespan="off",
            log_level="warning",
            ws="websockets-sansio",
            access_log=False,
        )
    )
    thread = threading.Thread(
        target=uvicorn_server.run, kwargs={"sockets": [listening]}, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not uvicorn_server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uvicorn_server.started
    yield f"http://127.0.0.1:{port}"
    uvicorn_server.should_exit = True
    thread.join(timeout=10)
    listening.close()
    configured.disable()


@pytest.fixture
def masto(server, node, transactional_db):
    """``masto("lists")`` runs tests/clients/js/lists.mjs as ann, with ben as the other
    account, and returns what it printed."""
    ann = AccessTokenFactory(user=UserFactory(username="ann"), scope=SCOPES).token
    ben = AccessTokenFactory(user=UserFactory(username="ben"), scope=SCOPES).token

    def run(scenario: str) -> dict:
        environment = {
            **os.environ,
            "AGORA_URL": server,
            "AGORA_TOKEN": ann,
            "AGORA_OTHER_TOKEN": ben,
        }
        finished = subprocess.run(  # noqa: S603 (our own script, no shell)
            [node, str(SCRIPTS / f"{scenario}.mjs")],
            capture_output=True,
            text=True,
            env=environment,
            timeout=60,
            check=False,
        )
        if finished.returncode != 0:
            pytest.fail(f"masto.js scenario {scenario!r} failed:\n{finished.stderr}")
        return json.loads(finished.stdout)

    return run


def test_the_calls_an_app_makes_after_signing_in(masto, server):
    found = masto("startup")

    assert found["instance"]["domain"] == server.removeprefix("http://")
    assert found["instance"]["streaming"] == server.replace("http://", "ws://")
    assert found["instance"]["version"].startswith("4.")
    assert found["instance"]["maxCharacters"] >= 500
    assert found["instance"]["pollOptions"] >= 4
    assert found["me"] == {"acct": "ann", "privacy": "public"}
    assert found["preferences"] == "public"
    assert found["markers"] == []
    assert found["unread"] == 0
    assert found["home"] == []
    assert found["notifications"] == 0
    assert found["groupedNotifications"] == ["accounts", "notificationGroups", "statuses"]
    assert found["v1Instance"] == {
        "uri": found["instance"]["domain"],
        "streaming": found["instance"]["streaming"],
    }
    for empty in ("emojis", "filters", "lists", "followedTags", "announcements"):
        assert found[empty] == 0, empty


def test_a_list_is_created_filled_read_changed_and_deleted(masto):
    found = masto("lists")

    # a blank title and an unknown replies policy are refused, and change nothing
    assert found["blankTitle"]["status"] == 422
    assert "can't be blank" in found["blankTitle"]["message"]
    assert found["listsAfterRefusal"] == 0
    assert found["badPolicy"]["status"] == 422
    assert found["policyAfterRefusal"] == "list"
    assert found["created"] == {"title": "Friends", "repliesPolicy": "list", "exclusive": False}
    assert found["members"] == ["ben"]
    assert found["timeline"] == [found["posted"]]
    changed = {"title": "Close friends", "repliesPolicy": "none", "exclusive": True}
    assert found["updated"] == found["fetched"] == changed
    assert found["containing"] == [found["listId"]]
    assert found["membersAfterRemoval"] == 0
    assert found["afterDelete"] == 0
    assert found["fetchDeleted"]["status"] == 404


def test_a_keyword_filter_marks_hides_and_releases_a_status_in_home(masto):
    found = masto("filters")
    ids = found["ids"]

    assert found["noContext"]["status"] == 422
    assert found["filtersAfterRefusal"] == 0
    assert found["created"] == {
        "title": "Spoilers",
        "context": ["home", "public"],
        "filterAction": "warn",
        "keywords": [["finale", True]],
    }
    assert found["warned"] == [
        {
            "id": ids["filter"],
            "title": "Spoilers",
            "filterAction": "warn",
            "keywordMatches": ["finale"],
        }
    ]
    assert found["unmarked"] == []
    assert found["hiddenAction"] == "hide"
    assert found["homeWhileHiding"] == [ids["plain"]]
    assert found["keywords"] == ["finale"]
    assert found["listed"] == [ids["filter"]]
    assert found["afterDelete"] == []
    assert found["fetchDeleted"]["status"] == 404


@pytest.mark.usefixtures("private_mentions_accepted")
def test_a_direct_message_is_listed_read_and_deleted(masto):
    found = masto("direct")

    assert found["sent"]["visibility"] == "direct"
    assert found["before"] == [
        {"lastStatus": found["sent"]["id"], "accounts": ["ben"], "unread": True}
    ]
    assert found["senderUnread"] == [False]
    assert found["read"] is False
    assert found["afterRead"] == [False]
    assert found["afterDelete"] == 0
    assert found["removedAgain"]["status"] == 404
    assert found["senderAfterDelete"] == 1


def test_a_poll_is_posted_voted_in_and_read(masto):
    found = masto("polls")

    assert found["created"] == {
        "options": ["tea", "coffee", "water"],
        "multiple": True,
        "expired": False,
    }
    assert found["voted"] == {"voted": True, "ownVotes": [0, 2], "votesCount": 2}
    # as in Mastodon, the author counts as having voted in their own poll
    assert found["results"] == {
        "votersCount": 1,
        "votesCount": 2,
        "options": [1, 0, 1],
        "voted": True,
        "ownVotes": [],
    }
    assert found["secondVote"]["status"] == 422
    assert "already voted" in found["secondVote"]["message"]
    assert found["ownVote"]["status"] == 422


def test_the_streaming_client_receives_an_update_and_a_conversation(masto, server):
    found = masto("streaming")

    assert found["streaming"] == server.replace("http://", "ws://")
    assert found["update"] == {
        "id": found["posted"],
        "acct": "ben",
        "content": "<p>live from a friend</p>",
    }
    assert found["conversation"] == {
        "lastStatus": found["sent"],
        "unread": True,
        "accounts": ["ben"],
    }


def test_a_push_subscription_is_created_read_changed_and_removed(masto):
    from django.conf import settings

    found = masto("push")

    endpoint = "https://push.example.net/send/abc123"
    assert found["plainHttp"]["status"] == 422
    assert found["afterRefusal"]["status"] == 404
    assert found["created"] == found["fetched"]
    assert found["created"]["endpoint"] == endpoint
    assert found["created"]["serverKey"] == settings.VAPID_PUBLIC_KEY
    assert found["created"]["policy"] == "all"
    alerts = found["created"]["alerts"]
    assert (alerts["mention"], alerts["favourite"], alerts["follow"]) == (True, True, False)
    updated = found["updated"]
    assert updated["policy"] == "followed"
    assert (updated["alerts"]["follow"], updated["alerts"]["mention"]) == (True, False)
    assert found["afterDelete"]["status"] == 404
