"""``manage.py moderation_assess FILE``: score samples and show what the current policies would do.

Input: JSON lines, each an object with ``id`` and ``text`` (and optionally
``media_hashes``, a list of hex perceptual hashes); ``-`` reads standard input.
Output: one JSON line per input line, in order, with the score, confidence and
signals per category, the decision and the deciding category. Nothing is
written to the database and nothing is acted on; repetition counters are not fed.
Bad input is reported line by line on standard error before anything is scored,
and the command exits with status 1.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from apps.moderation import assessors
from apps.moderation.assessors import Context, Item
from apps.moderation.policies import decide, policies_load

MAX_REPORTED_ERRORS = 20


def parse_line(number: int, line: str) -> tuple[Item, Any] | str:
    """The item (and the id as given) of one input line, or an error message naming the line."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        return f"line {number}: not valid JSON ({error.msg} at column {error.colno})"
    if not isinstance(record, dict):
        return f"line {number}: expected a JSON object with id and text"
    if "id" not in record or record["id"] in (None, ""):
        return f"line {number}: missing id"
    if not isinstance(record["id"], str | int) or isinstance(record["id"], bool):
        return f"line {number}: id must be a string or an integer"
    if "text" not in record:
        return f"line {number}: missing text"
    if not isinstance(record["text"], str):
        return f"line {number}: text must be a string"
    hashes = record.get("media_hashes", [])
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        return f"line {number}: media_hashes must be a list of hex strings"
    for value in hashes:
        try:
            int(value, 16)
        except ValueError:
            return f"line {number}: media hash {value[:40]!r} is not hexadecimal"
    item = Item(key=str(record["id"]), text=record["text"], media_hashes=tuple(hashes))
    return item, record["id"]


class Command(BaseCommand):
    help = "Score JSON lines ({id, text}) by every assessor and print the decision current policies would take."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="JSON lines file, or - for standard input")
        parser.add_argument(
            "--batch-size", type=int, default=256, help="Texts scored per classifier call."
        )

    def handle(self, *args, file: str, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        lines = self._read(file)
        parsed: list[tuple[Item, Any]] = []
        errors: list[str] = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            item_or_error = parse_line(number, line)
            if isinstance(item_or_error, str):
                errors.append(item_or_error)
            else:
                parsed.append(item_or_error)
        if errors:
            for message in errors[:MAX_REPORTED_ERRORS]:
                self.stderr.write(message)
            if len(errors) > MAX_REPORTED_ERRORS:
                self.stderr.write(f"... and {len(errors) - MAX_REPORTED_ERRORS} more")
            raise CommandError(f"{len(errors)} bad input line(s); nothing was scored")

        try:
            policies = policies_load()
        except DatabaseError as error:
            raise CommandError(
                f"cannot read the moderation policies ({error}); has `manage.py migrate` run?"
            ) from None
        context = Context(record=False)
        for start in range(0, len(parsed), batch_size):
            batch = parsed[start : start + batch_size]
            results = assessors.assess([item for item, _id in batch], context)
            for (_item, given_id), result in zip(batch, results, strict=True):
                outcome = decide(result.score_values(), policies, result.confidences())
                self.stdout.write(
                    json.dumps(
                        {
                            "id": given_id,
                            "decision": outcome.decision,
                            "category": outcome.category or None,
                            "scores": {
                                c: round(s.score, 4) for c, s in sorted(result.scores.items())
                            },
                            "confidence": {
                                c: round(s.confidence, 4) for c, s in sorted(result.scores.items())
                            },
                            "signals": {
                                c: list(s.signals)
                                for c, s in sorted(result.scores.items())
                                if s.signals
                            },
                        },
                        ensure_ascii=False,
                    )
                )

    def _read(self, file: str) -> list[str]:
        if file == "-":
            return sys.stdin.read().splitlines()
        try:
            with open(file, encoding="utf-8") as handle:
                return handle.read().splitlines()
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except IsADirectoryError:
            raise CommandError(f"{file}: is a directory") from None
        except UnicodeDecodeError as error:
            raise CommandError(
                f"{file}: not UTF-8 text ({error.reason} at byte {error.start})"
            ) from None
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
