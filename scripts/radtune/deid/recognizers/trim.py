"""Span trimming: the labels, titles and connectors a detection swallowed cut off it (trim_span, trim_results)."""

from __future__ import annotations

import re
from typing import Any

from radtune.deid.recognizers.lexicon import is_word, name_lexicon
from radtune.deid.recognizers.patterns import _ID_LABEL, _PARTICLE, _RELATION, _TOKEN, MON, ORD_DAY, ROLES, WEEKDAY
from radtune.deid.recognizers.vocab import _NAME_NEVER, FACILITY_WORDS, fold

# Label, title and connector words a detection may have swallowed (spaCy's "Dr. Smith", "on 3/14 at 2 pm", a rule's
# "MRN#0045"): a span must cover the identifier only.
_LEAD_LABEL = re.compile(
    rf"^(?:(?i:(?:dr|drs|mr|mrs|ms|miss|mx|prof|doctor|at|on|@|by|the|of|from|to|in|and|dated?|time|pcp|signed|"
    rf"tech|with|d/w|pt|patient|name|per|cc|around|approx|since|until|nurse|sister|matron|charge|radiographer|"
    rf"sonographer|registrar|consultant|midwife|physiotherapist|nok|next of kin|kin|gp|professor|requesting|"
    rf"requested by|referring|ordering|admitting|{_RELATION}|{_ID_LABEL})"
    rf"(?=[\s:#=.]|\Z)\.?(?=[\s:#=]|\Z)"
    rf"\s*(?:number|no\.?|#)?"
    rf"\s*[:#=]?\s*)|[,:;#=\s]+)+"
)
_TRAIL_LABEL = re.compile(
    rf"(?:,?\s*\(?(?<![^\W\d_]){ROLES}\)?|\s+(?i:mrn|dob|acc|accession|age|sex|id|pt|patient|date|exam|ssn|fin|csn|pcp)\b:?|"
    r"\s+(?i:at|on|and|with|by|of|the|to|in|from)|[,:;(\[\s-])+$"
)
_DATE_JOIN = re.compile(
    r",?\s+(?:(?i:at|and|to|through|thru|or|until|till|from|on)|@|&|[-–])\s+|\s*@\s*|\s*\n\s*|\s+(?=(?i:at|on)\s)"
)
# A phone number's extension label ("ext. 4821", "EXTENSION 22"; a glued "x4821" stays in the span), and the words
# before a number ("ICU", "Tel").
_PHONE_EXT = re.compile(r"\s+(?:(?i:ext\.?|extn\.?|extension)\s*(?:(?i:no)\.?\s*|#\s*)?|[xX]\s+)(?=\d)")
_PHONE_LEAD_WORDS = re.compile(r"(?:[^\W\d_][^\s\d]*\s+)+")
_PERSON_JOIN = re.compile(r"\s+(?:and|&|with|to|or)\s+|\s*\n\s*")
_DATE_EDGE_KEEP = frozenset("am pm a.m. p.m. noon midnight hrs hours hr h o'clock of the".split())
_HOSPITAL_LEAD = re.compile(
    r"(?:(?:(?i:from|at|to|in|via|outside|seen at|transferred from|referred from)|"
    r"(?i:radiology )?(?i:report|study|exam)(?: from)?(?: -)?) )+"
)
# A department, meeting or section after a facility's name: "X Hospital - Radiology", "X Hospital MDT"; a bare
# department word only after a facility ending ("X GENERAL HOSPITAL RADIOLOGY", not "Eastgate Radiology").
_HOSPITAL_TAIL = re.compile(
    r"(?:\s+[-–]\s+(?i:radiology|imaging|medical imaging|department of radiology|x-ray)|\s+(?i:mdt)|"
    r"\s+(?i:radiology|imaging|medical imaging|x-ray|radiology department|"
    r"department of radiology|imaging department)(?=\s*$))+$"
)
_HOSPITAL_CUE_INSIDE = re.compile(r"(?P<pre>(?:[^\W\d_]+ ){1,3})(?i:from|at|to|via|outside) ")
_HOSPITAL_ENDING = re.compile(
    r"(?i:hospitals?|infirmary|clinic|cent(?:er|re)|general|memorial|hospice|institute|polyclinic|klinikum)$"
)
_DATE_PART = re.compile(rf"\d|{MON}|\b{WEEKDAY}")
_TRIM_ENTITIES = frozenset({"PERSON", "DATE_TIME", "MEDICAL_ID", "PHONE_NUMBER", "AGE_OVER_89", "LOCATION"})


def trim_span(text: str, start: int, end: int, entity: str) -> list[tuple[int, int]]:
    """The identifier part(s) of a detection: leading labels/titles and trailing roles/connectors dropped, and a
    date-and-time span split at its "at"/"@". Returns [] when nothing of an identifier is left."""
    if entity == "HOSPITAL":
        m = _HOSPITAL_LEAD.match(text, start, end)
        s = m.end() if m and m.end() < end else start
        m = _HOSPITAL_CUE_INSIDE.match(text, s, end)
        if m and m.end() < end and not any(fold(w) in FACILITY_WORDS for w in _TOKEN.findall(m.group("pre"))):
            s = m.end()  # "IMAGES FROM BARNSWORTH GENERAL HOSPITAL": a capital line's words before the cue
        t = _HOSPITAL_TAIL.search(text, s, end)
        if t and t.start() > s:
            bare = not re.match(r"\s+[-–]|\s+(?i:mdt)\b", t.group())
            if not bare or _HOSPITAL_ENDING.search(text, s, t.start()):
                return [(s, t.start())]
        return [(s, end)]
    if entity not in _TRIM_ENTITIES:
        return [(start, end)]
    span = text[start:end]
    m = _LEAD_LABEL.match(span)
    s = start + (m.end() if m else 0)
    m = _TRAIL_LABEL.search(text, s, end)
    e = m.start() if m and m.end() == end and m.start() > s else end
    if s >= e or not any(c.isalnum() for c in text[s:e]):
        return [] if entity in ("PERSON", "DATE_TIME") and s > start else [(start, end)]
    if entity in ("MEDICAL_ID", "PHONE_NUMBER") and not any(c.isdigit() for c in text[s:e]):
        return [(start, end)] if any(c.isdigit() for c in span) else []
    if entity == "PHONE_NUMBER":
        m = _PHONE_LEAD_WORDS.match(text, s, e)
        if m and m.end() < e and (text[m.end()].isdigit() or text[m.end()] in "+("):
            s = m.end()  # "ICU 0161 496 0000": a ward or label word before the number is no part of it
        parts, p = [], s
        for j in _PHONE_EXT.finditer(text, s, e):
            parts.append((p, j.start()))
            p = j.end()
        parts.append((p, e))  # "617-555-0199 ext 4821": the number and the extension, not the label
        return [(a, b) for a, b in parts if any(c.isdigit() for c in text[a:b])]
    if entity == "DATE_TIME":
        parts, p = [], s
        for j in _DATE_JOIN.finditer(text, s, e):
            if j.start() > p:
                parts.append((p, j.start()))
            p = j.end()
        if p < e:
            parts.append((p, e))
        return [_date_the(text, *_date_edges(text, a, b)) for a, b in parts if _DATE_PART.search(text, a, b)]
    if entity == "PERSON":
        parts, p = [], s
        for j in _PERSON_JOIN.finditer(text, s, e):
            parts.append((p, j.start()))
            p = j.end()
        parts.append((p, e))
        lower = text[s:e].islower()  # a dictated lower-case name ("doctor okafor") is all lower case
        parts = [(a, b) for a, b in parts if b > a and (lower or any(c.isupper() for c in text[a:b]))]
        # A line after the name that holds only ordinary or report words ("Okafor, Ama\nMedical Record") is no name.
        parts = [
            (a, b)
            for i, (a, b) in enumerate(parts)
            if i == 0 or "\n" not in text[parts[i - 1][1] : a] or not _only_words(text[a:b])
        ]
        if parts:
            m = _PARTICLES_BEFORE.search(text, max(0, parts[0][0] - 30), parts[0][0])
            if m and m.end() == parts[0][0]:
                parts[0] = (m.start("p"), parts[0][1])  # "van Leeuwen ME", "de la Fuente": particles belong
        return parts
    return [(s, e)]


def _only_words(span: str) -> bool:
    """Every word of `span` is an ordinary English or report word and no known name."""
    first, last = name_lexicon()
    words = [fold(w) for w in _TOKEN.findall(span)]
    return bool(words) and all((is_word(w) or w in _NAME_NEVER) and w not in first and w not in last for w in words)


# "the 30th of August, 2011": the article is part of such a date.
_ORD_OF_MONTH = re.compile(rf"{ORD_DAY}\s+of\s+{MON}")
_THE_BEFORE = re.compile(r"(?<![\w])(?:[Tt]he|THE)\s+$")
# Lower-case family-name particles right before a name span ("per van Leeuwen ME").
_PARTICLES_BEFORE = re.compile(rf"(?:^|(?<=[\s:(,;]))(?P<p>(?:{_PARTICLE} ){{1,2}})$")


def _date_the(text: str, s: int, e: int) -> tuple[int, int]:
    if _ORD_OF_MONTH.match(text, s, e):
        m = _THE_BEFORE.search(text, max(0, s - 6), s)
        if m:
            return m.start(), e
    return s, e


def _date_edges(text: str, s: int, e: int) -> tuple[int, int]:
    """A date span without leading/trailing ordinary lower-case words ("prior", "exam", "the")."""
    toks = list(re.finditer(r"\S+", text[s:e]))
    i, j = 0, len(toks)
    while (
        i < j - 1
        and toks[i].group().isalpha()
        and toks[i].group().islower()
        and toks[i].group() not in (_DATE_EDGE_KEEP - {"of", "the"})
    ):
        if re.fullmatch(MON, toks[i].group()):
            break
        i += 1
    while j > i + 1 and toks[j - 1].group().isalpha() and toks[j - 1].group().islower():
        w = toks[j - 1].group()
        if w in _DATE_EDGE_KEEP - {"of", "the"} or re.fullmatch(MON, w):
            break
        j -= 1
    return s + toks[i].start(), s + toks[j - 1].end()


def trim_results(text: str, results: list[Any]) -> list[Any]:
    """Detections cut to their identifier (labels, titles and connectors dropped; see trim_span)."""
    from presidio_analyzer import RecognizerResult

    out = []
    for r in results:
        parts = trim_span(text, r.start, r.end, r.entity_type)
        if parts == [(r.start, r.end)]:
            out.append(r)
        else:
            out += [RecognizerResult(r.entity_type, s, e, r.score) for s, e in parts]
    return out
