"""The link checker ``core.checks`` runs on text: one verdict for all the links in it.

A link is refused when it is a ``javascript:``/``vbscript:``/``data:`` URL, when its
domain (or a parent) is on the blocklist as ``refuse``, or when it is an
internationalised or mixed-script domain whose TR39 skeleton is that of a protected
domain or of a subdomain of one (``аpple.com``, ``login.раураl.com``). It is warned
about when its domain is on the blocklist as ``warn``, when it goes through a known
URL shortener, or when it mixes Latin with look-alike scripts without matching a
protected domain. The verdict's ``reason`` names the link and says why.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from apps.protection.links import domains, skeleton
from apps.protection.links.extract import SCRIPT_SCHEMES, Link, links_in
from core.checks import CheckResult

CHECKER = "links"
REFUSE_SCORE = 1.0
BLOCKLIST_WARN_SCORE = 0.6
MIXED_SCRIPT_SCORE = 0.5
SHORTENER_SCORE = 0.3


@dataclass(frozen=True)
class Finding:
    link: Link
    score: float
    is_refused: bool
    reason: str


def _homograph_of(host: str) -> str | None:
    """The protected domain ``host`` imitates, if it is an IDN whose skeleton matches one."""
    if host.isascii():
        return None
    shape = skeleton.folded_skeleton(host)
    for protected in domains.protected_domains():
        if host == protected or host.endswith("." + protected):
            return None  # the protected domain itself, or a real subdomain of it
        target = skeleton.folded_skeleton(protected)
        if shape == target or shape.endswith("." + target):
            return protected
    return None


def _findings(links: list[Link]) -> list[Finding]:
    from apps.protection.models import BlockedDomain

    hosts = {link.host: domains.decode_host(link.host) for link in links if link.host}
    candidates = {suffix for host in hosts.values() for suffix in domains.suffixes(host)}
    blocked = (
        {
            entry.domain: entry
            for entry in BlockedDomain.objects.filter(domain__in=candidates).only(
                "domain", "severity", "reason"
            )
        }
        if candidates
        else {}
    )
    found = []
    for link in links:
        if link.scheme in SCRIPT_SCHEMES:
            found.append(
                Finding(
                    link,
                    REFUSE_SCORE,
                    True,
                    _("Links starting with “%(scheme)s:” are not allowed (%(url)s).")
                    % {"scheme": link.scheme, "url": link.url[:40]},
                )
            )
            continue
        host = hosts.get(link.host, "")
        if not host:
            continue
        entry = next((blocked[s] for s in domains.suffixes(host) if s in blocked), None)
        if entry is not None:
            refused = entry.severity == BlockedDomain.Severity.REFUSE
            why = entry.reason or _("it is on this server's list of unsafe sites")
            found.append(
                Finding(
                    link,
                    REFUSE_SCORE if refused else BLOCKLIST_WARN_SCORE,
                    refused,
                    (
                        _("The link to %(host)s is not allowed: %(why)s.")
                        if refused
                        else _("Be careful with the link to %(host)s: %(why)s.")
                    )
                    % {"host": host, "why": why.rstrip(".")},
                )
            )
            continue
        imitated = _homograph_of(host)
        if imitated is not None:
            found.append(
                Finding(
                    link,
                    REFUSE_SCORE,
                    True,
                    _(
                        "The link to %(host)s is not allowed: it is made to look like "
                        "%(protected)s but leads somewhere else."
                    )
                    % {"host": host, "protected": imitated},
                )
            )
            continue
        if any(s in domains.SHORTENERS for s in domains.suffixes(host)):
            found.append(
                Finding(
                    link,
                    SHORTENER_SCORE,
                    False,
                    _("The link to %(host)s is shortened: it hides where it leads.")
                    % {"host": host},
                )
            )
            continue
        if any(skeleton.has_mixed_scripts(label) for label in host.split(".")):
            found.append(
                Finding(
                    link,
                    MIXED_SCRIPT_SCORE,
                    False,
                    _("The link to %(host)s mixes alphabets, as fake addresses do.")
                    % {"host": host},
                )
            )
    return found


def link_check(text: str) -> CheckResult:
    """``core.checks`` checker: the worst of ``text``'s links decides; the reason names it.

    Refused links make the result blocking and their reasons (up to three) the
    ``reason``; with none refused, the warnings are. One query for the blocklist when
    the text has links with a domain, none otherwise."""
    links = links_in(text or "")
    if not links:
        return CheckResult(checker=CHECKER, scores={"link": 0.0})
    found = _findings(links)
    if not found:
        return CheckResult(checker=CHECKER, scores={"link": 0.0})
    refused = [f for f in found if f.is_refused]
    shown = refused or found
    reasons = list(dict.fromkeys(f.reason for f in shown))[:3]
    return CheckResult(
        checker=CHECKER,
        scores={"link": max(f.score for f in found)},
        is_blocking=bool(refused),
        reason=" ".join(reasons),
    )
