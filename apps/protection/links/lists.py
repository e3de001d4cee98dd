"""Reading a blocklist file: plain lines, a hosts file, or CSV.

- plain: one domain a line (``evil.example``, also ``*.evil.example`` or a URL);
- hosts: ``0.0.0.0 evil.example [more.example …]``, as ad and malware hosts lists
  are published (``localhost`` and its kin are skipped);
- CSV: ``domain[,severity[,reason]]``, or any columns under a header that names
  ``domain`` (and optionally ``severity``, ``reason``).

``#`` starts a comment in plain and hosts lines. A line that names no valid domain
is reported with its number, not fatal: published lists carry odd lines.
"""

from __future__ import annotations

import csv
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

from apps.protection.links.domains import normalise_domain

_HOSTS_SKIPPED = frozenset(
    {"localhost", "localhost.localdomain", "local", "broadcasthost", "ip6-localhost",
     "ip6-loopback", "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters",
     "ip6-allhosts"}
)  # fmt: skip
SEVERITIES = ("warn", "refuse")


@dataclass(frozen=True)
class Entry:
    line: int
    domain: str
    severity: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class BadLine:
    line: int
    text: str
    problem: str


def _is_ip(token: str) -> bool:
    try:
        ipaddress.ip_address(token.split("%", 1)[0])
    except ValueError:
        return False
    return True


def _one(number: int, raw: str, severity: str | None = None, reason: str = "") -> Entry | BadLine:
    if severity is not None:
        severity = severity.strip().lower() or None
        if severity is not None and severity not in SEVERITIES:
            return BadLine(number, raw, f"severity must be warn or refuse, not “{severity}”")
    try:
        return Entry(number, normalise_domain(raw), severity, reason.strip()[:200])
    except ValueError as exc:
        return BadLine(number, raw, str(exc))


def _csv_entries(lines: list[str]) -> Iterator[Entry | BadLine]:
    rows = list(csv.reader(lines))
    header = [cell.strip().lower() for cell in rows[0]] if rows else []
    start = 0
    columns = {"domain": 0, "severity": 1, "reason": 2}
    if "domain" in header:
        columns = {
            name: header.index(name) for name in ("domain", "severity", "reason") if name in header
        }
        start = 1
    for index, row in enumerate(rows[start:], start=start + 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue

        def cell(name: str, row: list[str] = row) -> str | None:
            position = columns.get(name)
            return row[position] if position is not None and position < len(row) else None

        yield _one(index, cell("domain") or "", cell("severity"), cell("reason") or "")


def parse_domain_list(text: str) -> Iterator[Entry | BadLine]:
    """The entries (and the bad lines) of a blocklist file's ``text``, in file order."""
    lines = text.splitlines()
    first = next((line for line in lines if line.strip() and not line.lstrip().startswith("#")), "")
    if "," in first:
        yield from _csv_entries(lines)
        return
    for number, line in enumerate(lines, start=1):
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        tokens = body.split()
        if _is_ip(tokens[0]) and len(tokens) == 1:
            yield BadLine(number, body[:100], "an address without a domain")
        elif _is_ip(tokens[0]):
            for token in tokens[1:]:
                if token.lower() not in _HOSTS_SKIPPED:
                    yield _one(number, token)
        elif len(tokens) == 1:
            yield _one(number, tokens[0])
        else:
            yield BadLine(
                number, line.strip()[:100], "expected one domain, or an address and domains"
            )
