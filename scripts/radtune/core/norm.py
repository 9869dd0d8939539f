"""The one text normalisation behind "the same text": duplicate keys, split groups, "novel" test examples,
copied and constant-equal predictions. No third-party imports: every stage (Polars or plain Python) uses it."""

from __future__ import annotations

import hashlib
import re

# One pass: de-id placeholders (<PERSON> <DATE> <ID> ...), masked tokens of public report sets (XXXX, ___) and
# every run of non-word characters become one space. Written so that Python's `re` and Polars' (Rust) regex
# read it the same way (both Unicode-aware \W and \b).
STRIP = r"(?:<[A-Z][A-Z_]*>|\b[xX]{3,}\b|[\W_])+"
# The kinds of identifier de-identification replaces, each by its placeholder <KIND>: defined here only (the
# de-id engine maps Presidio's entities onto them; the corpora label their gold spans with them).
PLACEHOLDER_KINDS = ("PERSON", "DATE", "ID", "PHONE", "EMAIL", "ADDRESS", "LOCATION", "HOSPITAL", "AGE", "URL")
PLACEHOLDER = "<(?:" + "|".join(PLACEHOLDER_KINDS) + ")>"

_STRIP = re.compile(STRIP)
_PLACEHOLDER = re.compile(PLACEHOLDER)


def normalise_text(text: str | None) -> str:
    """Comparison key of a text: placeholders/masks removed, lowercase, punctuation -> space, collapsed.

    Polars stages apply the same STRIP pattern (radtune.data.split.normalise_input)."""
    return _STRIP.sub(" ", text or "").lower().strip()


def text_key(text: str | None) -> str:
    """Short fingerprint of the normalised text (lets tables compare predictions without holding their text)."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()[:16]


def has_placeholder(text: str | None) -> bool:
    """Whether a de-identification placeholder (<PERSON>, <DATE>, ...) occurs in the text."""
    return bool(_PLACEHOLDER.search(text or ""))
