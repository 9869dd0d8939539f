"""Recognizer construction: the Presidio recognizers made from RULES (capture-group regexes), the name scanner and
the offline e-mail recognizer (build_recognizers)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from radtune.deid.recognizers.lexicon import WordRarity
from radtune.deid.recognizers.names import NameScanner
from radtune.deid.recognizers.patterns import _ID_LABEL_BEFORE
from radtune.deid.recognizers.rules import CONTEXT, RULES, Rule

LANG = "en"


def _result(entity: str, s: int, e: int, score: float, rec: Any, pattern: str) -> Any:
    from presidio_analyzer import AnalysisExplanation, RecognizerResult

    return RecognizerResult(
        entity,
        s,
        e,
        score,
        analysis_explanation=AnalysisExplanation(recognizer=rec.name, original_score=score, pattern_name=pattern),
        recognition_metadata={
            RecognizerResult.RECOGNIZER_NAME_KEY: rec.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: rec.id,
        },
    )


def build_recognizers(allow_words: Iterable[str] = (), rarity: WordRarity | None = None) -> list[Any]:
    """The radiology recognizers: capture-group regex rules per entity (web addresses included: Presidio's own URL
    recognizer, with its list of every top-level domain, cost a quarter of the analysis time), the name lexicon
    scan, and Presidio's e-mail recognizer."""
    from presidio_analyzer import LocalRecognizer
    from presidio_analyzer.predefined_recognizers import EmailRecognizer

    class GroupRegexRecognizer(LocalRecognizer):
        # Written here because Presidio's PatternRecognizer reports the whole match: "Dictated by: John Smith"
        # must redact the name only, so each rule reports one capture group.
        def __init__(self, entity: str, rules: list[Rule], context: list[str]) -> None:
            self.rules = [(r, re.compile(r.regex, re.MULTILINE)) for r in rules]
            super().__init__(
                supported_entities=[entity], name=f"radtune_{entity.lower()}", context=context, supported_language=LANG
            )

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            out = []
            for rule, rx in self.rules:
                groups = rule.group if isinstance(rule.group, tuple) else (rule.group,)
                for m, g in ((m, g) for m in rx.finditer(text) for g in groups):
                    s, e = m.span(g)
                    if s >= e or (rule.check is not None and not rule.check(text, s, e)):
                        continue
                    if self.supported_entities[0] == "PHONE_NUMBER" and _ID_LABEL_BEFORE.search(
                        text[max(0, s - 30) : s]
                    ):
                        continue  # "MRN: 0045123867" is an id whatever its digits look like
                    out.append(_result(self.supported_entities[0], s, e, rule.score, self, rule.name))
            return out

    class NameLexiconRecognizer(LocalRecognizer):
        """Person names found by NameScanner (lexicon + capitalisation + context), no NLP needed."""

        def __init__(self) -> None:
            self.scanner = NameScanner(allow_words, rarity)
            super().__init__(supported_entities=["PERSON"], name="radtune_name_lexicon", supported_language=LANG)

        def load(self) -> None:
            pass

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            return [_result("PERSON", s, e, sc, self, "name lexicon") for s, e, sc in self.scanner.spans(text)]

    class OfflineEmailRecognizer(EmailRecognizer):
        # tldextract would fetch the public suffix list from the internet; use its bundled snapshot only.
        def __init__(self) -> None:
            import tldextract

            super().__init__(context=["email", "e-mail", "mail"])
            self._tld = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

        def validate_result(self, pattern_text: str) -> bool:
            return self._tld(pattern_text).fqdn != ""

    recs: list[Any] = [GroupRegexRecognizer(e, rules, CONTEXT.get(e, [])) for e, rules in RULES.items()]
    recs.append(
        GroupRegexRecognizer(
            "URL",
            [
                Rule("web address", r"\b(?i:https?|ftp)://[^\s<>\"']+[^\s<>\"'.,;:!?)]", 0.85),
                Rule("www address", r"\b(?i:www)\.[^\s<>\"']+[^\s<>\"'.,;:!?)]", 0.85),
                Rule(
                    "bare domain",
                    r"(?<![@\w.-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|mil|io|us|uk|ca|au|de|"
                    r"fr|health|info|biz|co|nhs\.uk|local|lan|internal|corp|intranet|localdomain|ie|nz|za|in|sg|hk|"
                    r"my|ph|ng|ke|gh|scot|wales|nl|be|ch|at|se|no|dk|fi|it|es|pt|br|mx|jp|kr|cn|tw)(?:/[^\s<>\"']*[^\s<>\"'.,;:!?)])?(?![\w@])",
                    0.7,
                ),
            ],
            ["url", "website", "portal", "link", "www"],
        )
    )
    recs.append(NameLexiconRecognizer())
    recs.append(OfflineEmailRecognizer())
    return recs
