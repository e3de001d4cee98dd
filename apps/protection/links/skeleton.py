"""Unicode TR39 confusable skeletons: two strings that look alike have the same skeleton.

``skeleton(s)`` is TR39's definition (section 4): NFD, every code point replaced by
its prototype from ``confusables.txt``, NFD again. The data ships in the repository
(``apps/protection/data/confusables.txt``, Unicode 13.0), read once per process; no
PyPI library implements the skeleton itself (confusable-homoglyphs keeps an
undirected homoglyph list, confusables a 2.7 MB regex-oriented map), so the
algorithm is these few lines over Unicode's own table.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "confusables.txt"


@cache
def _prototypes() -> dict[str, str]:
    table: dict[str, str] = {}
    with DATA.open(encoding="utf-8") as lines:
        for line in lines:
            if not line.strip() or line.startswith("#"):
                continue
            source, target = line.strip().split(";")
            table[chr(int(source, 16))] = "".join(chr(int(cp, 16)) for cp in target.split())
    return table


def skeleton(text: str) -> str:
    """TR39's ``skeleton(text)``: equal for strings a reader could mistake for each other."""
    table = _prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(table.get(char, char) for char in decomposed))


def folded_skeleton(text: str) -> str:
    """The skeleton without regard to case (``Admin``, ``admin`` and ``аdmin`` agree).

    Case-folded before (so a capital finds its small letter's prototype) and after
    (``0`` becomes ``O``, which then folds to ``o``)."""
    return skeleton(text.casefold()).casefold()


def has_mixed_scripts(label: str) -> bool:
    """Whether ``label`` mixes Latin letters with Cyrillic, Greek, Armenian or Cherokee ones,
    the scripts whose letters pass for Latin ones (the classic homograph mix)."""
    scripts = set()
    for char in label:
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        scripts.add(name.split(" ", 1)[0])
    return "LATIN" in scripts and bool(scripts & {"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE"})
