"""``manage.py moderation_assess FILE``: JSON lines in, one JSON line out per input, as operators run it."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.moderation.models import Assessment, KnownMediaHash, Policy

ROOT = Path(__file__).resolve().parents[2]
LABELLED = Path(__file__).parent / "data" / "labelled.jsonl"


def run(path, **options) -> list[dict]:
    out = io.StringIO()
    call_command("moderation_assess", str(path), stdout=out, **options)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def write(tmp_path, *lines: str) -> Path:
    path = tmp_path / "sample.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_scores_every_line_and_gives_the_decision_in_order(db, tmp_path):
    path = write(
        tmp_path,
        json.dumps({"id": "a", "text": "You are a worthless fucking idiot"}),
        json.dumps({"id": 2, "text": "Lovely walk by the river this morning"}),
        "",
        json.dumps({"id": "c", "text": "my card is 4111 1111 1111 1111", "extra": "ignored"}),
    )

    out = run(path)

    assert [line["id"] for line in out] == ["a", 2, "c"]
    assert [(line["decision"], line["category"]) for line in out] == [
        ("hide", "offensive"),
        ("allow", None),
        ("hide", "pii"),
    ]
    assert set(out[0]["scores"]) >= {"offensive", "spam", "scam", "pii", "link"}
    assert out[0]["scores"]["offensive"] > 0.85
    assert 0 <= out[1]["confidence"]["offensive"] <= 1
    assert "card_number:1" in out[2]["signals"]["pii"]
    assert not Assessment.objects.exists()


def test_the_decision_follows_the_current_policies(db, tmp_path):
    path = write(tmp_path, json.dumps({"id": 1, "text": "You are a worthless fucking idiot"}))
    Policy.objects.filter(category="offensive").update(remove_threshold=0.9, hide_threshold=0.9)
    assert run(path)[0]["decision"] == "remove"
    Policy.objects.filter(category="offensive").update(is_enabled=False)
    assert run(path)[0]["decision"] == "allow"


def test_media_hashes_are_matched(db, tmp_path):
    KnownMediaHash.objects.create(hash="c3a5e1f0b2d49687", label="known", max_distance=8)
    path = write(tmp_path, json.dumps({"id": 1, "text": "", "media_hashes": ["c3a5e1f0b2d49687"]}))
    [line] = run(path)
    assert (line["decision"], line["category"], line["scores"]["media_match"]) == (
        "remove",
        "media_match",
        1.0,
    )


def test_repeated_lines_do_not_feed_the_spam_counters(db, tmp_path):
    text = "Huge sneaker sale today only at https://kicks.example/shop grab yours"
    path = write(tmp_path, *(json.dumps({"id": n, "text": text}) for n in range(6)))
    out = run(path)
    assert len({line["scores"]["spam"] for line in out}) == 1
    assert not any("repeated" in str(line["signals"]) for line in out)


def test_reads_standard_input(db, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"id": 1, "text": "hello"}) + "\n"))
    assert run("-")[0]["id"] == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "line 2: not valid JSON"),
        ("[1, 2]", "line 2: expected a JSON object with id and text"),
        ('{"text": "no id"}', "line 2: missing id"),
        ('{"id": null, "text": "x"}', "line 2: missing id"),
        ('{"id": true, "text": "x"}', "line 2: id must be a string or an integer"),
        ('{"id": 1}', "line 2: missing text"),
        ('{"id": 1, "text": 5}', "line 2: text must be a string"),
        ('{"id": 1, "text": "", "media_hashes": "abc"}', "line 2: media_hashes must be a list"),
        ('{"id": 1, "text": "", "media_hashes": ["xyz"]}', "line 2: media hash 'xyz' is not hex"),
    ],
    ids=[
        "invalid-json",
        "not-an-object",
        "missing-id",
        "null-id",
        "boolean-id",
        "missing-text",
        "text-not-a-string",
        "hashes-not-a-list",
        "hash-not-hex",
    ],
)
def test_a_bad_line_is_reported_with_its_number_and_nothing_is_scored(db, tmp_path, line, message):
    path = write(tmp_path, json.dumps({"id": 1, "text": "fine"}), line)
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError, match="1 bad input line"):
        call_command("moderation_assess", str(path), stdout=out, stderr=err)

    assert message in err.getvalue()
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("make_path", "message"),
    [
        (lambda tmp: tmp / "missing.jsonl", "no such file"),
        (lambda tmp: tmp, "is a directory"),
    ],
    ids=["missing-file", "directory"],
)
def test_an_unreadable_file_is_a_clear_error(db, tmp_path, make_path, message):
    with pytest.raises(CommandError, match=message):
        call_command("moderation_assess", str(make_path(tmp_path)), stdout=io.StringIO())


def test_a_file_that_is_not_utf8_is_a_clear_error(db, tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes('{"id": 1, "text": "caf\xe9"}\n'.encode("latin-1"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("moderation_assess", str(path), stdout=io.StringIO())


def test_from_the_shell_a_bad_line_exits_non_zero_without_a_traceback(tmp_path):
    """As an operator runs it: stderr names the line, the exit status is 1, no traceback."""
    path = write(tmp_path, json.dumps({"id": 1, "text": "fine"}), "{oops")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "moderation_assess", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "line 2: not valid JSON" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_the_labelled_set_scores_line_for_line(db):
    lines = [line for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = run(LABELLED)
    assert len(out) == len(lines) >= 300
    assert [line["id"] for line in out] == [json.loads(line)["id"] for line in lines]
