"""The learned text model: hashed character and word n-grams, a linear model per category,
and a small combiner that weighs it together with the rule assessors' scores.

``manage.py moderation_train`` builds it from the labelled corpus (``apps.moderation.training``)
and writes one model file; this module reads that file and scores texts. The file is a zip of
``.npy`` arrays and a ``meta.json`` (no pickle, so loading it runs no code), written with fixed
timestamps so that the same corpus and seed give the same bytes. Its version, recorded in every
assessment, names the format and the SHA-256 of its arrays.

Feature hashing needs no vocabulary: a text's n-grams index a weight table directly, and scoring
a batch is one sparse matrix product. ``coverage`` says how much of a text the model has seen
n-grams of in training; a text in a script or register the corpus never had gets low coverage,
which the assessor turns into low confidence (and the policy into a queue for a person, never an
automatic hide).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1
CATEGORIES = ("offensive", "spam", "scam", "pii")
# Fixed timestamp of every member, so that the file's bytes depend on its content only.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w/])@[\w.]+(?:@[\w.-]+)?")
DIGIT_RE = re.compile(r"\d")
NON_LETTERS_RE = re.compile(r"[^a-z]+")
# Words, and the symbols that carry meaning in these categories (money, mentions, shouting).
WORD_PATTERN = r"(?u)\b\w+\b|[@$€£¥%!?]"


# Rule signals (by name, before any ``:count``) the combiner sees as yes/no evidence beside the
# scores: what a rule found in the text itself (never the live pipeline's context signals).
SIGNAL_FLAGS = (
    "card_number",
    "phone",
    "email",
    "links",
    "mentions",
    "hashtags",
    "phrasing",
    "with_link",
    "crypto_doubling",
    "credentials",
    "investment",
    "prize",
    "payment_pressure",
    "off_platform",
    "classifier",
    "addressed",
)


class ModelFileError(Exception):
    """The model file is missing, unreadable or of another format."""


def normalise(text: str) -> str:
    """What the n-grams are taken of: links reduced to their words, accounts to one token.

    Digits become ``0`` so that the shape of a number (a phone, a card) is kept and its
    value is not; NFKC folds full-width and styled letters (𝐟𝐫𝐞𝐞) to plain ones.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = URL_RE.sub(lambda m: " httplink " + NON_LETTERS_RE.sub(" ", m.group()) + " ", text)
    text = MENTION_RE.sub(" @someone ", text)
    return DIGIT_RE.sub("0", text)


@dataclass(frozen=True)
class FeatureSpec:
    char_ngrams: tuple[int, int] = (2, 5)
    char_bits: int = 20
    word_ngrams: tuple[int, int] = (1, 2)
    word_bits: int = 18

    def as_json(self) -> dict[str, Any]:
        return {
            "char_ngrams": list(self.char_ngrams),
            "char_bits": self.char_bits,
            "word_ngrams": list(self.word_ngrams),
            "word_bits": self.word_bits,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSpec:
        return cls(
            char_ngrams=tuple(data["char_ngrams"]),
            char_bits=int(data["char_bits"]),
            word_ngrams=tuple(data["word_ngrams"]),
            word_bits=int(data["word_bits"]),
        )

    @property
    def size(self) -> int:
        return 2**self.char_bits + 2**self.word_bits


class Featuriser:
    """Texts to one sparse row each: l2-normalised hashed char n-grams, then word n-grams."""

    def __init__(self, spec: FeatureSpec) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.spec = spec
        self.chars = HashingVectorizer(
            analyzer="char_wb",
            ngram_range=spec.char_ngrams,
            n_features=2**spec.char_bits,
            alternate_sign=False,
            norm="l2",
            preprocessor=normalise,
            dtype=np.float32,
        )
        self.words = HashingVectorizer(
            analyzer="word",
            ngram_range=spec.word_ngrams,
            n_features=2**spec.word_bits,
            alternate_sign=False,
            norm="l2",
            preprocessor=normalise,
            token_pattern=WORD_PATTERN,
            dtype=np.float32,
        )

    def transform(self, texts: Sequence[str]):
        from scipy.sparse import hstack

        return hstack([self.chars.transform(texts), self.words.transform(texts)], format="csr")


@dataclass
class TextModel:
    """What a model file holds, ready to score with."""

    spec: FeatureSpec
    categories: tuple[str, ...]
    # features x categories: the linear model of each category.
    coef: np.ndarray
    intercept: np.ndarray
    # The combiner: per category, weights over the learned logits of every category, the rule
    # scores of every category, the text's length in words (log) and the rule signal flags
    # (``signal_flags``), and an intercept.
    stack_coef: np.ndarray
    stack_intercept: np.ndarray
    # Which features occurred in the training texts.
    seen: np.ndarray
    meta: dict[str, Any]
    signal_flags: tuple[str, ...] = SIGNAL_FLAGS

    @property
    def version(self) -> str:
        return self.meta["version"]

    @property
    def featuriser(self) -> Featuriser:
        cached = self.__dict__.get("_featuriser")
        if cached is None:
            cached = self.__dict__["_featuriser"] = Featuriser(self.spec)
        return cached

    def learned(self, features) -> np.ndarray:
        """Texts x categories: the linear models' probabilities."""
        return _sigmoid(np.asarray(features @ self.coef) + self.intercept)

    @property
    def seen_weights(self) -> np.ndarray:
        cached = self.__dict__.get("_seen_weights")
        if cached is None:
            cached = self.__dict__["_seen_weights"] = self.seen.astype(np.float32)
        return cached

    def coverage(self, features) -> np.ndarray:
        """Per text, the share of its feature weight on n-grams seen in training (1 for empty)."""
        total = np.asarray(features.sum(axis=1)).ravel()
        known = np.asarray(features @ self.seen_weights).ravel()
        return np.divide(known, total, out=np.ones_like(total), where=total > 0)

    def combine(self, learned: np.ndarray, evidence: np.ndarray) -> np.ndarray:
        """Texts x categories: the combiner's probabilities from the learned models and the
        rules' evidence (:func:`rule_evidence`)."""
        stacked = np.hstack([logit(learned), evidence])
        return _sigmoid(stacked @ self.stack_coef.T + self.stack_intercept)

    def score(
        self, texts: Sequence[str], rules: np.ndarray, signals: Sequence[Sequence[str]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Combined probabilities (texts x categories) and coverage (per text) of ``texts``.

        ``rules`` are the rule assessors' scores (texts x categories), ``signals`` their signals.
        """
        features = self.featuriser.transform(list(texts))
        evidence = rule_evidence(texts, rules, signals, self.signal_flags)
        return self.combine(self.learned(features), evidence), self.coverage(features)


def rule_evidence(
    texts: Sequence[str],
    rules: np.ndarray,
    signals: Sequence[Sequence[str]],
    flags: Sequence[str] = SIGNAL_FLAGS,
) -> np.ndarray:
    """The combiner's inputs besides the learned logits: rule scores, log length, signal flags."""
    words = np.log1p(np.array([[len(text.split())] for text in texts], dtype=np.float64))
    found = np.array(
        [[any(s.split(":", 1)[0] == flag for s in fired) for flag in flags] for fired in signals],
        dtype=np.float64,
    ).reshape(len(texts), len(flags))
    return np.hstack([np.asarray(rules, dtype=np.float64).reshape(len(texts), -1), words, found])


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(values, -35.0, 35.0)))


def logit(probabilities: np.ndarray) -> np.ndarray:
    clipped = np.clip(probabilities, 1e-4, 1 - 1e-4)
    return np.log(clipped / (1 - clipped))


# The file ---------------------------------------------------------------------------


ARRAYS = ("coef_rows", "coef_values", "intercept", "stack_coef", "stack_intercept", "seen_bits")


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def arrays_digest(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in ARRAYS:
        digest.update(name.encode())
        digest.update(_npy(arrays[name]))
    return digest.hexdigest()


def model_arrays(model: TextModel) -> dict[str, np.ndarray]:
    """The model as the file stores it: only the weight rows that are not zero."""
    rows = np.flatnonzero(np.any(model.coef != 0, axis=1)).astype(np.int32)
    return {
        "coef_rows": rows,
        "coef_values": model.coef[rows].astype(np.float32),
        "intercept": model.intercept.astype(np.float64),
        "stack_coef": model.stack_coef.astype(np.float64),
        "stack_intercept": model.stack_intercept.astype(np.float64),
        "seen_bits": np.packbits(model.seen.astype(bool)),
    }


def model_write(model: TextModel, path: Path) -> str:
    """Write ``model`` to ``path`` (atomically) and return its version."""
    arrays = model_arrays(model)
    meta = dict(model.meta)
    meta["format"] = FORMAT
    meta["features"] = model.spec.as_json()
    meta["categories"] = list(model.categories)
    meta["signal_flags"] = list(model.signal_flags)
    meta["version"] = f"agora-text {FORMAT} {arrays_digest(arrays)[:16]}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in ARRAYS:
            info = zipfile.ZipInfo(f"{name}.npy", date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, _npy(arrays[name]))
        info = zipfile.ZipInfo("meta.json", date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(buffer.getvalue())
    partial.replace(path)
    model.meta = meta
    return meta["version"]


def _members(path: Path, names: Sequence[str]) -> dict[str, bytes]:
    """The named members of the zip at ``path``, or :class:`ModelFileError` saying why not."""
    try:
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in names}
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except (OSError, KeyError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{path}: not a text model file ({error})") from None


def model_meta(path: Path) -> dict[str, Any]:
    """The file's ``meta.json`` alone (a cheap check that it is there and of this format)."""
    return _meta(path, _members(path, ["meta.json"])["meta.json"])


def _meta(path: Path, raw: bytes) -> dict[str, Any]:
    try:
        meta = json.loads(raw)
    except ValueError as error:
        raise ModelFileError(f"{path}: not a text model file ({error})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a text model file of format {FORMAT}")
    return meta


def model_read(path: Path) -> TextModel:
    """The model in ``path``; :class:`ModelFileError` says why it cannot be used."""
    # The format first: a file of another format names that, not a member it lacks.
    meta = model_meta(path)
    members = _members(path, [f"{name}.npy" for name in ARRAYS])
    try:
        arrays = {
            name: np.load(io.BytesIO(members[f"{name}.npy"]), allow_pickle=False) for name in ARRAYS
        }
    except ValueError as error:
        raise ModelFileError(f"{path}: not a text model file ({error})") from None
    expected = meta.get("version", "").rsplit(" ", 1)[-1]
    if arrays_digest(arrays)[:16] != expected:
        raise ModelFileError(f"{path}: its arrays do not match its version (damaged file)")
    spec = FeatureSpec.from_json(meta["features"])
    categories = tuple(meta["categories"])
    coef = np.zeros((spec.size, len(categories)), dtype=np.float32)
    coef[arrays["coef_rows"]] = arrays["coef_values"]
    seen = np.unpackbits(arrays["seen_bits"])[: spec.size].astype(bool)
    return TextModel(
        spec=spec,
        categories=categories,
        coef=coef,
        intercept=arrays["intercept"],
        stack_coef=arrays["stack_coef"],
        stack_intercept=arrays["stack_intercept"],
        seen=seen,
        meta=meta,
        signal_flags=tuple(meta["signal_flags"]),
    )
