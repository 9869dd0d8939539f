"""The checks the RULES call on a candidate span: is it a place, a facility, a person's name, a ward, a year-less
date (each `check(text, start, end)` or a test on the span's words)."""

from __future__ import annotations

import re

from radtune.deid.recognizers.lexicon import is_word, name_lexicon, place_lexicon
from radtune.deid.recognizers.names import _NAME_LABEL_BEFORE
from radtune.deid.recognizers.patterns import _MONTHS, _PARTICLES, _TOKEN, _UNITS, WEEKDAYS
from radtune.deid.recognizers.vocab import (
    _CALENDAR,
    _CLINICAL_ACRONYMS,
    _EPONYM_NEXT,
    _FIELD_NOT_WARD,
    _ID_WORDS,
    _NAME_NEVER,
    _SHORT_NOT_NAMES,
    CLINICAL_WORDS,
    DEPARTMENT_WORDS,
    FACILITY_WORDS,
    GENERIC_FACILITY_WORDS,
    NER_STOPWORDS,
    RECORD_WORDS,
    REPORT_ABBREVIATIONS,
    WARD_ABBREVIATIONS,
    WARD_FUNCTION_WORDS,
    fold,
)


def loose_place(span: str) -> bool:
    """A capitalised phrase in an address or facility frame is a place unless it is a generic or clinical phrase."""
    words = [fold(w) for w in _TOKEN.findall(span)]
    months = {fold(m) for m in _MONTHS + WEEKDAYS}
    return bool(words) and not any(w in CLINICAL_WORDS or w in GENERIC_FACILITY_WORDS or w in months for w in words)


def place_word(span: str) -> bool:
    """A capitalised phrase after "lives in", "from" ... is a place unless it is a clinical/dictionary phrase."""
    words = [fold(w) for w in _TOKEN.findall(span)]
    if not words or any(w in CLINICAL_WORDS or w in GENERIC_FACILITY_WORDS for w in words):
        return False
    months = {fold(m) for m in _MONTHS + WEEKDAYS}
    return not any(w in months for w in words) and not all(is_word(w) for w in words)


def plausible_name(text: str, start: int, end: int) -> bool:
    """A span from a name frame is not a department, section header or anatomy ("discussed with Interventional
    Radiology", "Patient Position"): some word must be a known name or a non-dictionary, non-clinical word."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end]) if len(w) > 1]
    if not words:
        return True
    if any(w in DEPARTMENT_WORDS for w in words):
        return False
    first, last = name_lexicon()
    return any(w not in CLINICAL_WORDS and (w in first or w in last or not is_word(w)) for w in words)


def distinctive_facility(text: str, start: int, end: int) -> bool:
    """A facility phrase names a place: it has a word that is not a department or specialty word."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    return any(w not in GENERIC_FACILITY_WORDS for w in words)


_FACILITY_CUE = re.compile(r"(?i:\b(?:at|from|by|to|via|outside|with)\s+(?:the\s+)?)$|\(\s*$")
_NOT_PLACE_WORDS = frozenset("neuro neuroradiology msk musculoskeletal thoracic abdominal body nuclear sports".split())


def weak_facility(text: str, start: int, end: int) -> bool:
    """A weak-ending facility ("Silver Lake Medical"): a rare word, two distinctive words, or a place cue before it."""
    if rare_facility(text, start, end):
        return True
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    distinct = [w for w in words if w not in GENERIC_FACILITY_WORDS and w not in _NOT_PLACE_WORDS]
    if any(fold(m) in distinct for m in _MONTHS + WEEKDAYS):
        return False
    if len(distinct) >= 2:
        return True
    return bool(distinct) and bool(_FACILITY_CUE.search(text[max(0, start - 20) : start]))


def rare_facility(text: str, start: int, end: int) -> bool:
    """For the weak endings ("Health", "Imaging"): a word that is neither generic nor in the dictionary."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    return any(w not in GENERIC_FACILITY_WORDS and (not is_word(w) or w in name_lexicon()[1]) for w in words)


def _lone_relative_name(text: str, start: int, end: int) -> bool:
    """ "her granddaughter Temperance", "wife Hope": right after a kinship word one capitalised word is a name even when
    it is an English word, unless it is clinical, report or calendar vocabulary."""
    span = text[start:end]
    return span.istitle() and " " not in span and fold(span) not in _NAME_NEVER and len(span) > 2


def _lower_name(span: str) -> bool:
    """A lower-case phrase after "given to", "discussed with dr": every word a known name, an initial or no English
    word ("amara okafor", "j. okonkwo"), none clinical, report or role vocabulary, one of three letters or more."""
    if not span.islower():
        return False
    first, last = name_lexicon()
    words = [fold(w) for w in re.findall(r"[^\W\d_][^\W\d_'’-]*", span)]
    full = [w for w in words if len(w) > 1]
    if not full or any(w in _NAME_NEVER or w in _ID_WORDS or w in REPORT_ABBREVIATIONS for w in words):
        return False
    if not any(len(w) > 2 for w in full):
        return False
    return all(w in first or w in last or not is_word(w) for w in full)


def _dictated_name(text: str, start: int, end: int) -> bool:
    """A lower-case word after a title ("discussed with doctor okafor"): no clinical or report word; after "dr" any
    non-English word or a known family name, after "mr"/"ms" (also MR imaging, multiple sclerosis) a known name that
    is no English word, after "mrs"/"miss"/"nurse" a known name."""
    title = re.search(r"(\w+)\.? $", text[max(0, start - 12) : start])
    t = title.group(1).lower() if title else ""
    w = fold(text[start:end])
    first, last = name_lexicon()
    if len(w) < 3 or w in _NAME_NEVER or w in _ID_WORDS:
        return False
    if t in ("dr", "doctor", "prof", "professor"):
        return not is_word(w) or w in last
    if t in ("mr", "ms"):
        return (w in first or w in last) and not is_word(w)
    return w in first or w in last


def _family_name(word: str) -> bool:
    """A capitalised word before "family reports": a known family name or no dictionary word."""
    parts = [fold(p) for p in re.split(r"[-'’]", word) if p]
    if not parts or any(p in CLINICAL_WORDS or p in GENERIC_FACILITY_WORDS for p in parts):
        return False
    return fold(word) in name_lexicon()[1] or "-" in word or not all(is_word(p) for p in parts)


def _initials_name(text: str, start: int, end: int) -> bool:
    """ "G. Ly", "G.J. Oh", "L.G. zu Solms": the family name after initials is no common short word or abbreviation."""
    span = text[start:end]
    last = span.rsplit(" ", 1)[-1].rsplit(".", 1)[-1]
    if fold(last) in CLINICAL_WORDS or fold(last) in NER_STOPWORDS:
        return False
    if len(last) > 3 or " " in span.strip().rsplit(".", 1)[-1].strip():
        return True  # a particle stands before it
    if len(last) == 3:  # "H. Yip" only after a name label ("Tech:", "relayed to")
        return fold(last) not in _SHORT_NOT_NAMES and bool(_NAME_LABEL_BEFORE.search(text[max(0, start - 40) : start]))
    n_init = span.count(".")
    return fold(last) not in _SHORT_NOT_NAMES and (n_init >= 2 or fold(last) in name_lexicon()[1])


# Year-less dates ("compared with the 4/17 study", "seen on 11-2", "since 28/10"): month/day or day/month with "/", "-"
# or ".".
# The same shapes are fractions, ratios, ranges, vertebral levels, scores and blood pressures in reports, so:
# - never after a vertebral letter or a digit/separator (the rule's look-behind: "C5/6", "T12/L1", "1/2/3"), nor
#   after a measure or score word ("grade 2/4", "strength 4/5", "BP 12/8", "levels 4-5", "ribs 5-7", "SUV 4.2");
# - never before a unit, a counted noun or "of"/"to"/"x" ("3-4 cm", "2-3 weeks", "3/4 views", "1/2 of the lumen");
# - "/" needs no cue but a proper fraction with a denominator up to 4 ("1/2", "3/4") or a fraction of equals ("5/5")
#   needs one; "-" and "." are ranges and decimals unless a date cue is right before ("on", "dated", "since", "from",
#   "compared with the", "seen in") or an exam word right after ("study", "exam", "CT", "film").
_YEARLESS_NOT_BEFORE = re.compile(
    r"(?i:\b(?:grade|gr|score|strength|power|motor|gleason|bi-?rads|tirads|li-?rads|pi-?rads|stage|level|levels|"
    r"segments?|ribs?|vertebrae?|lobes?|views?|series|se|im|images?|slices?|ratio|bp|pressure|tanner|apgar|gcs|"
    r"murmur|phase|cycle|dose|fractions?|suv|suvmax|max|hu|ef|ti|te|tr|size|measures?|measuring|measured|"
    r"approximately|approx|about|up to|x|by|and|or|between|ph|spo2|o2|fio2|hr|rr|temp|wbc|hgb|plt|inr|cr|bun|"
    r"ca|vas|pain|nihss|mrs|ecog|kps|asa|nyha|timi|dose|gy|mm|cm)\s*[:#]?\s*)$"
)
_YEARLESS_NOT_AFTER = re.compile(
    rf"^\s*(?:{_UNITS}\b|(?i:of|to|x|×|times|views?|images?|slices?|levels?|ribs?|nodes?|cores?|lymph|strength|"
    r"murmur|weeks?|wks?|days?|months?|mos?|years?|yrs?|hours?|hrs?|minutes?|mins?|seconds?|secs?|episodes?|"
    r"mmhg|bpm|fingers?|vision|lesions?|nodules?|segments?|vertebrae?|positive|negative|fractions?|sessions?|"
    r"cycles?|doses?|tablets?|tabs?|puffs?|drops?|beats?|breaths?|vessels?|patients?|cases?|points?|pack|"
    r"ppd|cigarettes?|drinks?|units?|systolic|diastolic|holosystolic|in\b|cm|mm|ml|cc|mg|g\b)|[+/:-]\s*\d)"
)
_YEARLESS_CUE_BEFORE = re.compile(
    r"(?i:\b(?:on|dated?|since|from|of|until|till|through|prior|previous|last|compared (?:with|to)|comparison(?: "
    r"is made)?(?: with| to)?|seen(?: on| in)?|performed(?: on)?|obtained(?: on)?|done(?: on)?|taken(?: on)?|"
    r"admitted(?: on)?|discharged(?: on)?|started(?: on)?|began(?: on)?|visit(?: on)?|exam(?: of| on| from)?|"
    r"study(?: of| on| from)?|film(?: of| from)?|scan(?: of| from)?|ct(?: of| from)?|mri(?: of| from)?|"
    r"cxr|xr|mr|us|pet|cta|ctpa|echo|ecg|ekg|inserted|placed|sited|removed|changed|"
    r"(?:seen|reviewed|attended|presented) (?:in|at|to) (?:a&e|ed|er|clinic|the ed|fracture clinic)|"
    r"date|dos|doa|dob|before|after|in|at|by)\s*[:,]?\s*(?:the\s+)?)$"
)
_YEARLESS_EXAM_AFTER = re.compile(
    r"^\s*(?i:study|studies|exam|examination|ct|cta|mri|mr|mra|radiographs?|films?|x-?rays?|xr|cxr|ultrasound|us|"
    r"sonogram|scan|imaging|pet|nm|report|visit|admission|appointment|procedure|biopsy|surgery|echo|ekg|ecg|"
    r"mammogram|dexa|fluoro|study's|exam's)\b"
)


def _valid_day_month(span: str) -> bool:
    """ "14/03", "3-4": a day and a month in either order."""
    a, b = (int(x) for x in re.split(r"[/.-]", span))
    return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)


def yearless_date(text: str, start: int, end: int) -> bool:
    """Whether text[start:end], a month/day number pair, is a date (the guards are in the comment above)."""
    span = text[start:end]
    sep = "/" if "/" in span else ("-" if "-" in span else ".")
    a, b = (int(x) for x in span.split(sep))
    if a > 12 and b > 12:
        return False  # neither month/day nor day/month
    before, after = text[max(0, start - 40) : start], text[end : end + 40]
    if _YEARLESS_NOT_BEFORE.search(before) or _YEARLESS_NOT_AFTER.match(after):
        return False
    cue = bool(_YEARLESS_CUE_BEFORE.search(before) or _YEARLESS_EXAM_AFTER.match(after))
    if sep == "/":
        fraction = (a < b <= 4) or a == b or a > 12 and b <= 4
        return cue or not fraction
    if (
        sep == "."
        and _YEARLESS_CUE_BEFORE.search(before)
        and before.rstrip().lower().endswith(("in", "of", "at", "by"))
    ):
        return bool(_YEARLESS_EXAM_AFTER.match(after))  # "in 3.5", "of 2.1": decimals
    return cue


_NOT_ADDRESS_WORDS = frozenset(
    "mm cm views view images levels level ribs rib lines line nodes node x and of the with in at on".split()
)


_UNIT_PREFIX = re.compile(r"(?i:flat|unit|apt|apartment|suite|shop|lot|level)\.? ?[\w/]+,? ")


def _street_line(text: str, start: int, end: int) -> bool:
    m = _UNIT_PREFIX.match(text, start, end)  # "Unit 4, 12 Kowhai St": the unit word is no street-name word
    words = [fold(w) for w in _TOKEN.findall(text[m.end() if m else start : end])]
    return len(words) >= 2 and not any(w in _NOT_ADDRESS_WORDS or w in CLINICAL_WORDS for w in words[:-1])


def _named_after(text: str, start: int, end: int) -> bool:
    """The name part of "University Hospital Tregarne": a place or person word, not a generic or clinical one."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    first, last = name_lexicon()
    return (
        bool(words)
        and all(w not in GENERIC_FACILITY_WORDS and w not in _NAME_NEVER for w in words)
        and any(not is_word(w) or w in place_lexicon() or w in last for w in words)
    )


def _ward_name(text: str, start: int, end: int) -> bool:
    """ "Cicely Saunders Ward", "Kestrel Unit": a unit named after a person, place or thing, not "Stroke Unit"."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])][:-1]
    return bool(words) and all(
        w not in GENERIC_FACILITY_WORDS and w not in _NAME_NEVER and w not in WARD_FUNCTION_WORDS for w in words
    )


_MEASURE_LABELS = frozenset(
    "bp hr rr ef gcs suv ctdi dlp kv kvp mas inr wbc hgb hb plt cr bun egfr psa afp cea ca tsh ldh alt ast alp ggt crp "
    "esr bmi age wt ht temp spo fio pco po hco mrs nihss aspects tirads birads lirads pirads ti bi li pi ct mri pet "
    "dose dap cgy mgy gy msv time date ac fl bpd hc efw gw ga lmp edd crl".split()
)


def _measure_label(label: str) -> bool:
    return fold(label) in _MEASURE_LABELS or fold(label) in _CALENDAR


def _transcription_initials(text: str, start: int, end: int) -> bool:
    """ "RS:tra", "KP/ho": the author's and the typist's initials; not "AP/lat"."""
    line = text[start - 5 if start >= 5 else 0 : end + 6]
    return not any(fold(w) in _CLINICAL_ACRONYMS for w in re.findall(r"[A-Za-z]+", line[line.rfind("\n") + 1 :])[:1])


_HEALTH_SYSTEM = re.compile(
    r"(?:Te Whatu Ora|Health New Zealand|Health NZ|NHS|Kaiser Permanente|VA|Veterans Affairs|Alberta Health Services|"
    r"Queensland Health|NSW Health|SA Health|WA Health|Tasmanian Health Service|HSE)(?: [-–])?"
)


def _health_district(text: str, start: int, end: int) -> bool:
    """ "Te Whatu Ora Waitematā", "NHS Lothian", "VA Palo Alto": the district is a place or no English word, not a
    record label ("NHS Number") nor a clinical or generic word."""
    m = _HEALTH_SYSTEM.match(text, start, end)
    words = [fold(w) for w in _TOKEN.findall(text[m.end() if m else start : end])]
    if not words or any(w in _NAME_NEVER or w in GENERIC_FACILITY_WORDS or w in RECORD_WORDS for w in words):
        return False
    return any(w in place_lexicon() or not is_word(w) for w in words)


def _caps_letterhead(span: str) -> bool:
    """A capital line before a phone number names a practice or facility: no clinical, record or report word, and a
    facility word or a word that is no English word ("NORTHGATE IMAGING", "KILBRIDE ORTHOPAEDIC ASSOCIATES")."""
    words = [fold(w) for w in _TOKEN.findall(span)]
    never = (CLINICAL_WORDS - FACILITY_WORDS) | RECORD_WORDS | REPORT_ABBREVIATIONS | _CALENDAR
    if not words or any(w in never for w in words):
        return False
    distinct = [w for w in words if w not in GENERIC_FACILITY_WORDS]
    return bool(distinct) and (any(w in FACILITY_WORDS for w in words) or any(not is_word(w) for w in distinct))


def _given_after_comma(text: str, start: int, end: int) -> bool:
    """ "OKAFOR, AMA": a known given name after a comma is the second half of an inverted name, not a ward."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    return text[:start].rstrip(" \t").endswith(",") and len(words) == 1 and words[0] in name_lexicon()[0]


def _field_ward(value: str) -> bool:
    """A header field's value is a named ward or place: some word is not a ward function, abbreviation, clinical,
    calendar, name-frame or generic facility word ("Kowhai", "Duke of Kent Ward"; not "Day Surgery Unit", "SAU")."""
    words = [fold(w) for w in _TOKEN.findall(value)]
    never = WARD_FUNCTION_WORDS | WARD_ABBREVIATIONS | _FIELD_NOT_WARD | CLINICAL_WORDS | GENERIC_FACILITY_WORDS
    never = never | _NAME_NEVER | REPORT_ABBREVIATIONS | _PARTICLES | {"of", "the"}
    if not words or any(w in CLINICAL_WORDS or w in _CALENDAR for w in words):
        return False
    return any(w not in never and len(w) > 2 for w in words)


def _known_place(text: str, start: int, end: int) -> bool:
    """A GeoNames place that is no English, clinical or calendar word ("in Punxsutawney"; not "in Hope")."""
    words = [fold(w) for w in text[start:end].split()]
    return (
        fold(text[start:end]) in place_lexicon()
        and not any(w in CLINICAL_WORDS or w in DEPARTMENT_WORDS or w in _CALENDAR or is_word(w) for w in words)
        and not _EPONYM_NEXT.match(text[end : end + 40])
    )


def _header_name(text: str, start: int, end: int) -> bool:
    """ "Dao HANG | 1931/10/26": a name, not a header ("CT Chest | 2021-01-01"): a known name or a non-English word,
    no clinical, department, record or facility word."""
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    return (
        len(words) >= 2
        and not any(w in _NAME_NEVER or w in FACILITY_WORDS for w in words)  # _NAME_NEVER: clinical, department, record
        and plausible_name(text, start, end)
    )


def _role_name(text: str, start: int, end: int) -> bool:
    words = [fold(w) for w in _TOKEN.findall(text[start:end])]
    first, last = name_lexicon()
    return not any(w in _NAME_NEVER or w in CLINICAL_WORDS for w in words) and any(
        w in first or w in last or not is_word(w) for w in words
    )


def _valid_dmy_text(s: str) -> bool:
    """A dd-dd-yy(yy) date, not an id with date-like groups."""
    parts = s.split("-")
    if re.fullmatch(r"(?:19|20)\d\d-\d{1,2}-\d{1,2}", s):
        return True
    return len(parts) == 3 and len(parts[2]) in (2, 4) and all(len(p) <= 2 for p in parts[:2]) and _valid_dmy(s)


def _valid_dmy(s: str) -> bool:
    a, b = (int(x) for x in re.split(r"[/.-]", s, maxsplit=2)[:2])
    return 1 <= a <= 31 and 1 <= b <= 31 and (a <= 12 or b <= 12)
