"""Domain names as the checks compare them, the protected domains, and known shorteners."""

from __future__ import annotations

import re

import idna
from django.conf import settings
from django.utils.translation import gettext as _

_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$", re.UNICODE)

# URL shorteners hide where a link goes; links through them are warned about.
# The widely used public ones (2025), not every one that ever existed.
SHORTENERS = frozenset(
    {
        "bit.ly", "bitly.com", "bit.do", "buff.ly", "cutt.ly", "goo.gl", "is.gd", "v.gd",
        "ow.ly", "rb.gy", "rebrand.ly", "shorturl.at", "t.co", "t.ly", "tiny.cc",
        "tinyurl.com", "tiny.one", "s.id", "lnkd.in", "trib.al", "shorte.st", "adf.ly",
        "bl.ink", "soo.gd", "qr.ae", "x.co", "po.st", "mcaf.ee", "su.pr", "tr.im", "cli.gs",
        "u.to", "2.gy", "surl.li", "urlz.fr", "clck.ru", "short.io", "snip.ly", "db.tt",
        "y2u.be", "dlvr.it", "ift.tt", "fb.me", "amzn.to", "qrco.de", "linktr.ee",
    }
)  # fmt: skip


def decode_host(host: str) -> str:
    """``host`` lower case, without a final dot, its punycode (``xn--``) labels decoded.

    A label that is not valid punycode stays as written (it then matches nothing
    protected, and a blocklist entry written the same way still matches it)."""
    host = host.strip().rstrip(".").lower()
    labels = []
    for label in host.split("."):
        if label.startswith("xn--"):
            try:
                label = idna.decode(label)
            except (idna.IDNAError, UnicodeError):
                try:
                    label = label[4:].encode("ascii").decode("punycode")
                except (UnicodeError, ValueError):
                    pass
        labels.append(label)
    return ".".join(labels)


def normalise_domain(value: str) -> str:
    """A blocklist entry's domain: lower case, punycode decoded, no scheme, path or port.

    Accepts ``https://Evil.example/x``, ``*.evil.example`` and ``.evil.example`` as
    ``evil.example``. Raises ValueError, in words for the admin, for anything else."""
    text = value.strip().lower()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    text = text.rsplit("@", 1)[-1]
    if text.count(":") == 1:
        text = text.split(":", 1)[0]
    text = text.removeprefix("*.").lstrip(".")
    text = decode_host(text)
    labels = text.split(".")
    if len(text) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValueError(_("“%(value)s” is not a domain name.") % {"value": value.strip()[:100]})
    if labels[-1].isdigit():
        raise ValueError(
            _("“%(value)s” is an IP address, not a domain name.") % {"value": value.strip()[:100]}
        )
    return text


def suffixes(host: str) -> list[str]:
    """``a.b.example`` → ``["a.b.example", "b.example", "example"]``: the host and its parents."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def protected_domains() -> list[str]:
    """The instance's own domain (without a port) and ``PROTECTION_PROTECTED_DOMAINS``."""
    own = settings.AGORA_DOMAIN.lower().split(":", 1)[0]
    listed = [decode_host(d) for d in settings.PROTECTION_PROTECTED_DOMAINS if d.strip()]
    return list(dict.fromkeys([own, *listed]))
