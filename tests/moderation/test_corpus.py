"""The moderation corpus (tests/moderation/data/corpus): well formed, split once, and its
blind part frozen. See the corpus's README for the rule: the blind part is only scored."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "data" / "corpus"
FILES = ("off", "off2", "spam", "scam", "pii")
# Written later, for training only (never split, no blind half), by other writers.
TRAIN_ONLY = ("off3", "off4", "off5", "spam3", "scam3", "pii3", "everyday1", "everyday2")
# Ordinary everyday posts, written for the blind part only by a writer of its own.
BLIND_ONLY = ("everyday",)
LABELS = {"offensive", "spam", "scam", "pii"}
# Written and split by the corpus's writers before anyone tuning classifiers read it.
BLIND_SHA256 = {
    "off": "50403299077b64753e4ba34ac77da26cfede0ff4c7a2d07c25dff419fe82fbcd",
    "off2": "3df555833b9a25a8651885b0dd365fb6fda2f91002cdc9c8afffe6a55767b20f",
    "spam": "5c4dfc24ecaca40d3e12c8646c8733c3c6b49add2e2c0a6aa6c02bfd196472b5",
    "scam": "5d4869371a947dd84ad2d7b8ca48d352c9fb0696a0394b7cf787e1804e12c73a",
    "pii": "7375b83ab745f28a29aab25e7da291b9ddd07ec6c037c795748c9351d22ac43d",
    "everyday": "d1cd022b7005379251890021598ceecdb0c79d98a1664701b827aadff4100331",
}


def read(part: str, name: str) -> list[dict]:
    with (CORPUS / part / f"{name}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


@pytest.mark.parametrize("name", [*FILES, *BLIND_ONLY])
def test_the_blind_part_is_frozen(name):
    digest = hashlib.sha256((CORPUS / "blind" / f"{name}.jsonl").read_bytes()).hexdigest()
    assert digest == BLIND_SHA256[name], f"blind/{name}.jsonl changed: it is no longer blind"


@pytest.mark.parametrize("part", ["train", "blind"])
def test_every_post_is_well_formed(part):
    for name in (*FILES, *TRAIN_ONLY) if part == "train" else (*FILES, *BLIND_ONLY):
        for post in read(part, name):
            assert set(post) >= {"id", "text", "labels", "kind"}, post["id"]
            assert post["id"].startswith(f"{name}-")
            assert post["text"].strip()
            assert set(post["labels"]) <= LABELS, post["id"]
            assert (post["kind"] == "decoy") == (post["labels"] == []), post["id"]


def test_the_parts_do_not_share_a_post():
    train = {
        post["id"]: post["text"] for name in (*FILES, *TRAIN_ONLY) for post in read("train", name)
    }
    blind = {
        post["id"]: post["text"] for name in (*FILES, *BLIND_ONLY) for post in read("blind", name)
    }
    assert not set(train) & set(blind)
    assert not set(train.values()) & set(blind.values())


def test_the_corpus_is_large_hard_and_balanced_as_the_issue_asks():
    posts = [post for part in ("train", "blind") for name in FILES for post in read(part, name)]
    kinds = Counter(post["kind"] for post in posts)
    harmful = Counter(label for post in posts for label in post["labels"])
    languages = {post.get("lang") for post in posts}

    assert len(posts) >= 2000
    assert kinds["decoy"] >= kinds["harmful"]
    assert all(harmful[label] >= 250 for label in LABELS), harmful
    assert len(languages) >= 8


def test_the_training_part_holds_only_known_files():
    """A file in train/ that this test does not know was not checked for overlap with blind."""
    found = {path.stem for path in (CORPUS / "train").glob("*.jsonl")}
    assert found == {*FILES, *TRAIN_ONLY}
    assert {path.stem for path in (CORPUS / "blind").glob("*.jsonl")} == {*FILES, *BLIND_ONLY}
