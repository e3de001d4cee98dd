"""The learned text model: its training command, its file, and how its uncertainty reaches the policy."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command

from apps.moderation import pipeline as pipeline_module
from apps.moderation.assessors import Context, Item, Score, assess
from apps.moderation.assessors.context import DOMAIN_KEY, domains_reputation
from apps.moderation.assessors.learned import TextModelAssessor
from apps.moderation.assessors.offensive import OffensiveAssessor
from apps.moderation.models import Policy
from apps.moderation.policies import decide
from apps.moderation.textmodel import ModelFileError, model_read
from apps.moderation.training import corpus_read
from core.models import AuditEntry

DATA = Path(__file__).parent / "data"
TRAIN = DATA / "corpus" / "train"
SHIPPED = Path(settings.BASE_DIR) / "apps" / "moderation" / "data" / "text-model.npz"


def train(*args: str | Path) -> str:
    out = io.StringIO()
    call_command("moderation_train", *(str(a) for a in args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    """Forty lines of each training file: enough for two folds, quick to fit."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for path in sorted(TRAIN.glob("*.jsonl")):
        lines = path.read_text(encoding="utf-8").splitlines()
        (folder / path.name).write_text("\n".join(lines[:20] + lines[-20:]) + "\n")
    return folder


def test_the_shipped_model_is_what_training_on_the_corpus_writes(db, tmp_path):
    """Same corpus and seed, same bytes: the file in the repository can be rebuilt by anyone.

    If this fails after a change to the corpus or to a rule assessor (the combiner weighs the
    rules' scores), run ``manage.py moderation_train`` and commit the new file.
    """
    output = tmp_path / "model.npz"
    printed = train("--output", output)
    assert model_read(output).version in printed
    if output.read_bytes() == SHIPPED.read_bytes():
        return
    # Another CPU's floating point (its BLAS kernels) moves the fitted weights in their
    # sixth digit, and with them the bytes and the version: the same model still is the
    # same vocabulary, the same metadata but the version, and weights equal to 1e-4.
    import numpy as np

    rebuilt, shipped = np.load(output), np.load(SHIPPED)
    assert sorted(rebuilt.files) == sorted(shipped.files)
    for name in shipped.files:
        if name == "meta.json":
            continue
        mine, theirs = rebuilt[name], shipped[name]
        assert mine.shape == theirs.shape, f"{name}: the shipped model is stale"
        if mine.dtype.kind == "f":
            assert np.allclose(mine, theirs, rtol=1e-4, atol=1e-4), (
                f"{name}: the shipped model is stale: run manage.py moderation_train"
            )
        else:
            assert np.array_equal(mine, theirs), f"{name}: the shipped model is stale"
    mine_meta, shipped_meta = model_read(output).meta, model_read(SHIPPED).meta
    mine_meta.pop("version")
    shipped_meta.pop("version")
    assert mine_meta == shipped_meta, "the shipped model is stale: run manage.py moderation_train"


def test_training_is_reproducible_and_the_seed_matters(db, tmp_path, small_corpus):
    first, second, other = (tmp_path / f"{n}.npz" for n in ("a", "b", "c"))
    train(small_corpus, "--folds", "2", "--output", first)
    train(small_corpus, "--folds", "2", "--output", second)
    train(small_corpus, "--folds", "2", "--seed", "7", "--output", other)
    assert first.read_bytes() == second.read_bytes()
    assert model_read(first).version == model_read(second).version
    assert model_read(first).meta["training"]["seed"] != model_read(other).meta["training"]["seed"]


def test_the_model_file_records_its_corpus_and_out_of_fold_figures(db, tmp_path, small_corpus):
    output = tmp_path / "model.npz"
    printed = train(small_corpus, "--folds", "2", "--output", output)
    meta = model_read(output).meta
    assert meta["corpus"]["files"] == sorted(p.name for p in small_corpus.glob("*.jsonl"))
    assert meta["corpus"]["examples"] == 40 * len(meta["corpus"]["files"])
    assert set(meta["cross_validated"]) == {"offensive", "spam", "scam", "pii"}
    assert meta["version"].startswith("agora-text 1 ")
    assert "out-of-fold" in printed
    assert "precision" in printed


def test_training_refuses_the_blind_part(db, tmp_path):
    with pytest.raises(CommandError, match="blind part of a corpus is for scoring"):
        train(DATA / "corpus" / "blind", "--output", tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"bad\.jsonl:2: not valid JSON"),
        ('{"labels": []}', r"bad\.jsonl:2: expected an object with a text string"),
        ('{"text": "x", "labels": "spam"}', r"bad\.jsonl:2: labels must be a list"),
        ('{"text": "x", "labels": ["rude"]}', r"bad\.jsonl:2: unknown label\(s\) \['rude'\]"),
    ],
)
def test_a_bad_corpus_line_is_named_and_nothing_is_written(db, tmp_path, line, message):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine", "labels": []}\n' + line + "\n")
    with pytest.raises(CommandError, match=message):
        train(bad, "--output", tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def test_a_category_without_examples_is_refused(db, tmp_path):
    few = tmp_path / "few.jsonl"
    few.write_text(
        "".join(
            json.dumps({"text": f"post {n}", "labels": ["spam"] if n % 2 else []}) + "\n"
            for n in range(20)
        )
    )
    with pytest.raises(CommandError, match="offensive: needs at least 5 labelled"):
        train(few, "--output", tmp_path / "m.npz")


@pytest.mark.parametrize(
    ("args", "message"),
    [(("--folds", "1"), "--folds must be at least 2"), (("--c", "0"), "--c must be positive")],
)
def test_bad_options_are_refused(db, tmp_path, args, message):
    with pytest.raises(CommandError, match=message):
        train(*args, "--output", tmp_path / "m.npz")


def test_a_missing_path_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="no such file or directory"):
        train(tmp_path / "nowhere", "--output", tmp_path / "m.npz")


# The file ---------------------------------------------------------------------------


def test_a_damaged_model_file_is_refused(tmp_path):
    damaged = tmp_path / "damaged.npz"
    with zipfile.ZipFile(SHIPPED) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "intercept.npy":
                data = data[:-8] + b"\x00" * 8
            target.writestr(info, data)
    with pytest.raises(ModelFileError, match="do not match its version"):
        model_read(damaged)
    not_a_model = tmp_path / "text.npz"
    not_a_model.write_text("hello")
    with pytest.raises(ModelFileError, match="not a text model file"):
        model_read(not_a_model)
    with pytest.raises(ModelFileError, match="no such file"):
        model_read(tmp_path / "absent.npz")


def test_without_a_readable_model_the_rules_decide_alone(db, settings, tmp_path, caplog):
    settings.MODERATION_TEXT_MODEL = str(tmp_path / "absent.npz")
    [result] = assess([Item(key="1", text="You are a worthless fucking idiot")])
    assert result.scores["offensive"].assessor == "profanity"
    assert result.model_versions["text-model"].startswith("rules only: alt-profanity-check")
    assert "moderation text model not loaded" in caplog.text


def test_the_model_weighs_the_rules_in(db):
    """The rules alone flag hyperbole; the model, with the rules as one input, does not."""
    text = "this movie is killer, the ending absolutely destroyed me"
    rules = TextModelAssessor(rules=(OffensiveAssessor(),), path="")
    model = TextModelAssessor(rules=(OffensiveAssessor(),), path=SHIPPED)
    [by_rules] = rules.assess([Item(key="1", text=text)], Context(record=False))
    [by_model] = model.assess([Item(key="1", text=text)], Context(record=False))
    offensive = {score.category: score for score in by_model}["offensive"]
    assert offensive.score < 0.5
    assert offensive.assessor == "text-model"
    assert by_rules[0].assessor == "profanity"


# Unsure means a person decides ----------------------------------------------------------


def test_text_unlike_the_corpus_gets_low_confidence(db):
    """Coverage: a script the corpus never had leaves the model little to go on."""
    model = TextModelAssessor(rules=(), path=SHIPPED)
    [familiar, unfamiliar] = model.assess(
        [
            Item(key="1", text="you are a pathetic little worm and everyone laughs at you"),
            Item(key="2", text="ნუ ხარ ასეთი სულელი, ყველა შენზე იცინის"),
        ],
        Context(record=False),
    )
    confidence = {s.category: s.confidence for s in familiar}
    unsure = {s.category: s.confidence for s in unfamiliar}
    assert confidence["offensive"] > 0.5
    assert max(unsure.values()) < settings.MODERATION_ACT_MIN_CONFIDENCE


def test_an_unsure_score_above_the_hide_threshold_is_queued_not_hidden():
    policies = {"offensive": Policy(category="offensive", hide_threshold=0.8, queue_threshold=0.5)}
    assert decide({"offensive": 0.9}, policies, {"offensive": 0.9}).decision == "hide"
    assert decide({"offensive": 0.9}, policies, {"offensive": 0.2}).decision == "queue"
    # Without confidences (callers that have none) the thresholds alone decide.
    assert decide({"offensive": 0.9}, policies).decision == "hide"
    # Unsure never raises a decision: below the queue threshold stays allowed.
    assert decide({"offensive": 0.3}, policies, {"offensive": 0.0}).decision == "allow"


def test_an_unsure_removal_is_queued_too(settings):
    settings.MODERATION_ACT_MIN_CONFIDENCE = 0.7
    policies = {"scam": Policy(category="scam", remove_threshold=0.95, hide_threshold=0.8)}
    outcome = decide({"scam": 0.97}, policies, {"scam": 0.6})
    assert (outcome.decision, outcome.category) == ("queue", "scam")


# Context the live pipeline has -------------------------------------------------------


def lifted(item: Item, category: str, score: float, reputation=None) -> Score:
    before = Score(category, score, 0.9, "text-model", ())
    return TextModelAssessor._in_context(item, before, reputation or {})


def test_an_addressed_reply_to_another_account_is_looked_at():
    reply = Item(key="1", text="you really are something else", author_id=1, reply_to_other=True)
    alone = Item(key="2", text="you really are something else", author_id=1)
    speaking_of = Item(key="3", text="they really are something", author_id=1, reply_to_other=True)
    looked_at = lifted(reply, "offensive", 0.35)
    assert (looked_at.score, looked_at.signals) == (0.5, ("reply_to_target",))
    assert lifted(alone, "offensive", 0.35).score == 0.35
    assert lifted(speaking_of, "offensive", 0.35).score == 0.35
    # Clearly clean stays clean, whatever the context; context never goes past a queue.
    assert lifted(reply, "offensive", 0.1).score == 0.1
    assert lifted(reply, "offensive", 0.7).score == 0.7
    assert lifted(reply, "spam", 0.35).score == 0.35


def test_an_author_with_active_strikes_gets_a_person_on_borderline_posts():
    item = Item(key="1", text="some text", author_id=1, author_strikes=2)
    looked_at = lifted(item, "scam", 0.4)
    assert (looked_at.score, looked_at.signals) == (0.5, ("author_strikes:2",))


def test_a_domain_with_a_bad_record_gets_a_person_on_borderline_posts():
    item = Item(key="1", text="deal at https://www.cheap.example/x today", author_id=1)
    looked_at = lifted(item, "spam", 0.31, {"cheap.example": 3})
    assert (looked_at.score, looked_at.signals) == (0.5, ("link_reputation:3",))
    assert lifted(item, "offensive", 0.31, {"cheap.example": 3}).score == 0.31
    assert lifted(item, "spam", 0.31, {"other.example": 3}).score == 0.31


def test_single_texts_have_no_context(db):
    """``moderation_assess`` items have no author: no context signal can fire."""
    cache.set(DOMAIN_KEY.format("cheap.example"), 5)
    model = TextModelAssessor(rules=(), path=SHIPPED)
    [scores] = model.assess(
        [Item(key="1", text="deal at https://cheap.example/x", author_strikes=3)],
        Context(record=False),
    )
    assert not any(
        s.startswith(("link_reputation", "author_strikes")) for x in scores for s in x.signals
    )


def test_hidden_scam_records_its_domains(alice, bob, pipeline):
    with pipeline():
        alice.post(
            "Official giveaway: send 1 ETH and get 2 ETH back, verify your wallet, "
            "guaranteed returns, whatsapp me https://claim-eth.example/now"
        )
    assert cache.get(DOMAIN_KEY.format("claim-eth.example")) == 1
    assert domains_reputation([Item(key="1", text="see claim-eth.example")]) == {}
    assert domains_reputation([Item(key="1", text="see https://claim-eth.example/x")]) == {
        "claim-eth.example": 1
    }


def test_the_snapshot_carries_the_reply_target_and_the_strikes(alice, bob, pipeline):
    from apps.moderation.models import Strike

    Strike.objects.create(account=alice.account, action=Strike.Action.NONE)
    with pipeline():
        parent = bob.post("what do you all think of the new bridge?")
        reply = alice.post("you have no idea what you are on about", in_reply_to_id=parent["id"])
        own = alice.post("and another thing", in_reply_to_id=reply["id"])
    snapshots = pipeline_module.statuses_snapshot([int(reply["id"]), int(own["id"])])
    assert snapshots[int(reply["id"])].item.reply_to_other is True
    assert snapshots[int(own["id"])].item.reply_to_other is False
    assert snapshots[int(reply["id"])].item.author_strikes == 1
    assert snapshots[int(reply["id"])].evidence["author_strikes"] == 1


# Readiness ---------------------------------------------------------------------------


def test_readyz_reports_an_unusable_text_model_as_optional(db, client, settings, tmp_path):
    settings.MODERATION_TEXT_MODEL = str(tmp_path / "absent.npz")
    body = client.get("/readyz").json()
    check = body["optional"]["moderation_text_model"]
    assert check["status"] == "error"
    assert "the rules decide alone" in check["detail"]
    assert "no such file" in check["detail"]
    assert "moderation_text_model" in body["degraded"]


def test_readyz_reports_the_shipped_text_model_ok(db, client):
    body = client.get("/readyz").json()
    assert body["optional"]["moderation_text_model"]["status"] == "ok"


# Moderators' decisions back into training ------------------------------------------------


def export(*args: str) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("moderation_export_decisions", "-", *args, stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_decided_cases_become_training_lines(alice, bob, pipeline, moderator, tmp_path):
    from apps.moderation import services
    from apps.moderation.models import Case

    with pipeline():
        insult = alice.post("You are a worthless fucking idiot and everyone hates you")
        card = bob.post("my card is 4111 1111 1111 1111 exp 09/28 cvv 123")
        banter = alice.post("@bob you absolute muppet, you left your keys here again 😂")
    cases = {
        int(p["id"]): Case.objects.get(content_type="status", content_id=int(p["id"]))
        for p in (insult, card)
    }
    services.case_act(case=cases[int(insult["id"])], moderator=moderator, action="remove")
    services.case_act(case=cases[int(card["id"])], moderator=moderator, action="hide")
    banter_case = Case.objects.filter(content_type="status", content_id=int(banter["id"])).first()
    if banter_case is not None:
        services.case_act(case=banter_case, moderator=moderator, action="approve")

    lines, summary = export()
    by_text = {line["text"]: line for line in lines}
    upheld = by_text["You are a worthless fucking idiot and everyone hates you"]
    assert (upheld["labels"], upheld["kind"], upheld["subtype"]) == (
        ["offensive"],
        "harmful",
        "moderator-remove",
    )
    assert not any("4111" in line["text"] for line in lines), "pii is left out by default"
    assert "personal-data cases left out" in summary
    if banter_case is not None:
        approved = by_text["@bob you absolute muppet, you left your keys here again 😂"]
        assert (approved["labels"], approved["kind"]) == ([], "decoy")

    with_pii, _ = export("--include-pii")
    [card_line] = [line for line in with_pii if "4111" in line["text"]]
    assert card_line["labels"] == ["pii"]
    assert AuditEntry.objects.filter(
        action="personal_data_viewed", target_type="case", target_id=cases[int(card["id"])].pk
    ).exists()

    # The file is a corpus moderation_train reads.
    path = tmp_path / "decisions.jsonl"
    call_command("moderation_export_decisions", str(path), stderr=io.StringIO())
    assert corpus_read([path])


def test_export_since_a_day_and_bad_dates(db):
    lines, summary = export("--since", "2999-01-01")
    assert lines == []
    assert "wrote 0 line(s)" in summary
    with pytest.raises(CommandError, match="expected a date as YYYY-MM-DD"):
        export("--since", "yesterday")


def test_export_to_an_unwritable_path_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="cannot write"):
        call_command(
            "moderation_export_decisions",
            str(tmp_path / "missing-dir" / "out.jsonl"),
            stderr=io.StringIO(),
        )


def test_a_model_file_of_another_format_is_refused(tmp_path):
    other = tmp_path / "other.npz"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("meta.json", json.dumps({"format": 99}))
    with pytest.raises(ModelFileError, match="not a text model file of format 1"):
        model_read(other)
    broken = tmp_path / "broken.npz"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("meta.json", "{not json")
    with pytest.raises(ModelFileError, match="not a text model file"):
        model_read(broken)
