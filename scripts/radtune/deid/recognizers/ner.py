"""The spaCy NER filter: which NER detections to trust (keep_ner) and Presidio's SpacyRecognizer with it applied."""

from __future__ import annotations

import re
from typing import Any

from radtune.deid.recognizers.lexicon import WordRarity, is_word, name_lexicon, place_lexicon
from radtune.deid.recognizers.patterns import _SENTENCE_END, MONTH
from radtune.deid.recognizers.vocab import (
    _EPONYM_NEXT,
    _EPONYM_WORDS,
    _NAME_NEVER,
    CLINICAL_WORDS,
    NER_STOPWORDS,
    REPORT_ABBREVIATIONS,
    fold,
)

_MONTH_WORD = re.compile(rf"\b{MONTH}(?![a-z])")
_DATE_NUMERIC = re.compile(
    r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|\d{1,2}/\d{1,2}|\d{1,2}:\d{2}|\b[AaPp]\.?[Mm]\b|\b\d{4} ?(?:hours|hrs|h)\b"
)
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['-])*")
_DURATION = re.compile(r"(?i:\b(?:second|minute|min|hour|hr|day|week|wk|month|mo|year|yr)s?\b)")
_FULL_DATE = re.compile(r"\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}")
_EPONYM_PRE = re.compile(r"\b[a-z]+ of (?:the )?$|\(\s*$")
_LOCATION_PRE = re.compile(r"(?i:\b(?:in|from|to|near|at|lives in|resides in|moved to|visiting)\s+)$")


def ner_word_forms(text: str) -> list[str]:
    """Lower-cased words of a span, a trailing 's dropped (what the allow-list is compared with)."""
    words = []
    for w in _WORD.findall(text):
        w = w.lower()
        words.append(w[:-2] if w.endswith("'s") else w)
    return words


def keep_ner(
    text: str,
    start: int,
    end: int,
    entity: str,
    allow: set[str],
    allow_words: set[str],
    rarity: WordRarity | None = None,
) -> bool:
    """Whether to trust one spaCy detection: drops allow-listed terms and the model's radiology false positives."""
    span = text[start:end]
    words = ner_word_forms(span)
    if span.strip().lower() in allow or not words:
        return False
    if any(w in allow_words or w in NER_STOPWORDS for w in words):
        return False
    if entity == "DATE_TIME":
        # Durations and relative dates ("12 months", "yesterday") are not identifiers: keep calendar dates only.
        if _DURATION.search(span) and not _MONTH_WORD.search(span) and not _FULL_DATE.search(span):
            return False
        if _MONTH_WORD.fullmatch(span.strip()) and span.strip().rstrip(".") == "May":
            return False  # the modal verb "May represent ..."
        return bool(_MONTH_WORD.search(span) or _DATE_NUMERIC.search(span))
    if any(c.isdigit() for c in span):
        return False
    if entity == "PERSON" and re.match(r"(?:St\.?|Saint|Ste\.?|ST\.?|SAINT) ", span.strip()):
        return False  # "St John's wort", "St Patrick's Day": a saint's name is an eponym or a place, no patient
    tokens = [w for w in _WORD.findall(span) if len(w) > 1]  # "M.D." is no name
    if not tokens or text[end : end + 1] == ":":
        return False
    if entity in ("PERSON", "LOCATION") and (
        _EPONYM_NEXT.match(text[end : end + 40]) or fold(_WORD.findall(span)[-1]) in _EPONYM_WORDS
    ):
        return False  # "Mickey Mouse sign", "Hampton hump", "Shenton line": eponyms
    if len(tokens) == 1 and _EPONYM_PRE.search(text[max(0, start - 30) : start]):
        return False  # "pouch of Douglas", "vein of Galen", "(Murphy) sign"
    if any(fold(w) in CLINICAL_WORDS or fold(w) in REPORT_ABBREVIATIONS for w in tokens):
        return False
    if all(w.isupper() for w in tokens):
        # Capitals are headers and acronyms far more often than names: an all-capital person needs two words, none
        # a report word, one a known name ("OKAFOR ADAEZE"), none a three-letter-or-shorter acronym.
        first, last = name_lexicon()
        words = [fold(w) for w in tokens]
        return (
            entity == "PERSON"
            and len(words) >= 2
            and all(len(w) > 3 and w not in _NAME_NEVER for w in words)
            and any(w in first or w in last for w in words)
            and (rarity is None or all(rarity.rare(w) for w in words))
        )
    if not all(w[0].isupper() and not w.isupper() for w in tokens):
        return False  # names and places are title case, not acronyms
    if len(tokens) >= 2:
        return True
    # A lone word is mostly a section header or anatomy ("Mediastinum:", "Dysphagia."). The model is trusted on it
    # when it is no English word and no report word ("Okonkwo", "Ashbury"), or, for a place, when a place cue is
    # right before it ("transferred from Reading").
    w = fold(tokens[0])
    if w in _NAME_NEVER or _SENTENCE_END.search(text[max(0, start - 40) : start]) and is_word(w):
        return False
    if entity == "LOCATION" and w in place_lexicon() and len(w) > 3:
        return True  # a town, county, state or country the model calls a place ("seen in Ashbury", "from Ohio")
    if entity == "PERSON" and not is_word(w) and len(w) > 2:
        first, last = name_lexicon()
        return w in first or w in last or rarity is None or rarity.rare(w)
    if not is_word(w) and len(w) > 2 and (rarity is None or rarity.rare(w)):
        return entity == "LOCATION"
    return entity == "LOCATION" and bool(_LOCATION_PRE.search(text[max(0, start - 20) : start])) and len(w) > 3


def filtered_spacy_recognizer(
    allow: set[str], allow_words: set[str], threshold: float = 0.0, rarity: WordRarity | None = None
) -> Any:
    """Presidio's SpacyRecognizer with keep_ner applied, and the configured score threshold (NER only); `rarity`
    is read at each call (the engine recounts it per corpus)."""
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    class FilteredSpacyRecognizer(SpacyRecognizer):
        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            results = super().analyze(text, entities, nlp_artifacts)
            return [
                r
                for r in results
                if r.score >= threshold and keep_ner(text, r.start, r.end, r.entity_type, allow, allow_words, rarity)
            ]

    return FilteredSpacyRecognizer(supported_entities=["PERSON", "DATE_TIME", "LOCATION"])
