"""Span completion: each detection grown over the adjacent parts of the same identifier (complete_spans)."""

from __future__ import annotations

import re
from typing import Any

from radtune.deid.recognizers.checks import loose_place
from radtune.deid.recognizers.lexicon import is_word, name_lexicon, place_lexicon
from radtune.deid.recognizers.patterns import (
    _PARTICLE,
    _PARTICLES,
    _SENTENCE_END,
    _TOKEN,
    CITY,
    FACILITY,
    FACILITY_WEAK,
    US_STATES_ZIP,
)
from radtune.deid.recognizers.vocab import (
    _EPONYM_NEXT,
    _FIELD_NOT_WARD,
    _NAME_NEVER,
    CLINICAL_WORDS,
    DEPARTMENT_WORDS,
    GENERIC_FACILITY_WORDS,
    RECORD_WORDS,
    REPORT_ABBREVIATIONS,
    ROMAN_NUMERALS,
    WARD_ABBREVIATIONS,
    WARD_FUNCTION_WORDS,
    fold,
)

# A recognizer often finds one part of an identifier: the family name after "Dr." but not the given name after it, the
# given name of "Okafor, Ama", one half of "de la Cruz" or "Al-Rashid", the first word of "SMITH JOHN". Whatever found
# the part, the rest of the identifier then survives beside the placeholder. So, after every recognizer has run (and
# the spans were trimmed and merged), each span grows over the adjacent tokens that belong to the same identifier:
#
# PERSON grows, token by token and on one line only, over
#   - a "^" part (DICOM "FAMILY^GIVEN^MIDDLE") and a hyphen part that starts with a capital ("Adebayo-Kalu");
#   - surname particles in any case followed by a name word ("de la Cruz", "VAN DER Berg", "bin Hamdan", "Al-");
#   - an initial ("J.", "K") and a short all-capital initials token ("JK"), but no credential ("RN", "MD");
#   - a name word: capitalised or all-capital, not clinical, anatomical, department, credential, month or weekday
#     vocabulary, not followed by an eponym word ("Smith Jones fracture"), and either a known given/family name or
#     no English word. A lower-case span (dictated "doctor okafor") grows over lower-case known names only;
#   - "Surname, Given" once: a one-word span grows over ", Given" (a known given name, a non-word, or initials),
#     and a one-word span of a given name grows back over "Surname, ".
#   It never grows over a dictionary word that is no name ("Smith Reviewed"), over clinical words ("Smith Chest"),
#   over credentials ("Smith RN") or into a facility ending: "Smith Memorial Hospital" is the facility rules' HOSPITAL
#   span, which the merge keeps (HOSPITAL ranks above PERSON), not a name followed by "Memorial".
# HOSPITAL grows to the left over capitalised words that are not generic facility or clinical words ("Kilbride
#   Valley Medical Centre" when only "Valley Medical Centre" was found), and over "St."/"Saint"/"Mount"; not over an
#   English word that opens the sentence ("Outside Valley Imaging"), nor over capitals (acronyms, headers).
#   A name followed by its own initials in parentheses ("Harold Rushleywick (HGR)") grows over them. A name span
#   never ends on a clinical, department, record, ward or report-abbreviation word ("Okafor, HDU", "Lela K  Med
#   Rec"), on an eponym before its noun ("Tarlov cyst"), nor on an ordinary word on the next line.
# HOSPITAL also grows to the left over a lower-case joiner between capitalised words ("Duke of Kent Ward",
#   "Stoke-on-Trent"), and to the right over facility words that end on a facility noun ("St Andrew's" + "Care
#   Home", "St Aidan's" + "Private"), never over a department ("Radiology", "Emergency Department").
# STREET_ADDRESS grows to the right over a unit ("Apt 4B", "Suite 210", "Flat 3", "Unit 7", any case) and over the
#   number of a numbered road ("10234 County Road 12").
# Beside the spans: a town after a facility or an address (", Whangarei", "in Tolleson") becomes a LOCATION, and a
#   four-digit postcode after a town on an address line a STREET_ADDRESS.
# Everything here is vocabulary and shape, not a phrasing of any corpus: the same rule applies to every recognizer's
# spans, the spaCy NER's included.


_FACILITY_END = re.compile(rf"(?:{FACILITY}|{FACILITY_WEAK})\b")
_GROW_TOKEN = r"[^\W\d_][\u0300-\u036f]*(?:[^\W\d_][\u0300-\u036f]*|['’][^\W\d_])*"
_PARTICLES_ANY = rf"(?:(?i:{_PARTICLE})[ ])"
_RIGHT_STEP = re.compile(
    rf"(?P<gap>\^|-|[ ]|,[ ]?)(?P<part>{_PARTICLES_ANY}{{0,2}})(?P<tok>{_GROW_TOKEN})(?P<dot>\.(?![\w]))?(?![\d])"
)
_LEFT_STEP = re.compile(rf"(?<![\w'’-])(?P<tok>{_GROW_TOKEN})(?P<dot>\.)?(?P<gap>\^|-|[ ]|,[ ]?)$")
_UNIT_AFTER = re.compile(
    r",?[ ](?P<u>(?i:apt|apartment|suite|ste|unit|flat|fl|floor|room|rm|#)\.?[ ]?#?[0-9][0-9A-Za-z-]*)"
)
_ROUTE_NUMBER_AFTER = re.compile(r"[ ]\d{1,4}[A-Z]?\b(?![.,/:-]?\d)(?:[ ]#\d{1,5}\b)?")


_ARABIC_PREFIX = frozenset("al el abu bin ben ibn bint".split())


def _name_word(tok: str, text: str, end: int, lower_span: bool) -> bool:
    """Whether `tok` (ending at `end`) can be part of a person's name next to a detected one."""
    w = fold(tok)
    if w in _NAME_NEVER or w in ROMAN_NUMERALS:
        return False
    if _EPONYM_NEXT.match(text[end : end + 40]):
        return False  # "Smith Jones fracture": the next word makes it an eponym
    first, last = name_lexicon()
    if lower_span:
        return tok.islower() and (w in first or w in last) and not is_word(w)
    if not tok[0].isupper():
        return False
    if tok.isupper() and len(tok) <= 3:
        return len(tok) <= 2 or w in first or w in last  # initials "JK"; "ANA", not "CXR"
    return w in first or w in last or not is_word(w)


def _grow_person(text: str, s: int, e: int) -> tuple[int, int]:
    lower_span = text[s:e].islower()
    one_word = not any(c in " ,^" for c in text[s:e].strip())
    comma_used = False
    while True:
        m = _RIGHT_STEP.match(text, e)
        if not m:
            break
        gap, tok, part = m.group("gap"), m.group("tok"), m.group("part")
        if gap == "^":
            ok = True
        elif gap == "-":
            ok = not part and tok[:1].isupper() and fold(tok) not in _NAME_NEVER
        elif gap.startswith(","):
            ok = (
                one_word
                and not comma_used
                and not part
                and not lower_span
                and ((len(tok) == 1 and tok.isupper()) or (_name_word(tok, text, m.end("tok"), False) and len(tok) > 1))
            )
            comma_used = True
        elif part:
            ok = (
                tok[:1].isupper() and fold(tok) not in _NAME_NEVER and not _EPONYM_NEXT.match(text[m.end("tok") :][:40])
            )
        elif (len(tok) == 1 and tok.isupper()) and not lower_span:
            ok = not text[m.end("tok") : m.end("tok") + 2].startswith(".") or m.group("dot") is not None
        else:
            ok = _name_word(tok, text, m.end("tok"), lower_span)
        if not ok or _FACILITY_END.match(text, m.start("tok")):
            break
        e = m.end("dot") if m.group("dot") and len(tok) == 1 else m.end("tok")
        one_word = False
    comma_used = False
    while s > 0:
        m = _LEFT_STEP.search(text, max(0, s - 60), s)
        if not m:
            break
        gap, tok = m.group("gap"), m.group("tok")
        w = fold(tok)
        if gap == "^":
            ok = True
        elif gap == "-":
            ok = tok[:1].isupper() and w not in _NAME_NEVER or w in _ARABIC_PREFIX
        elif gap.startswith(","):
            ok = (
                not comma_used
                and " " not in text[s:e].strip()
                and not lower_span
                and len(tok) > 1
                and _name_word(tok, text, m.end("tok"), False)
                and (w in name_lexicon()[1] or not is_word(w))
                and bool(re.search(r"(?:^|\n|[:;|]\s*)$", text[max(0, m.start() - 3) : m.start()]))
            )
            comma_used = True
        elif w in _PARTICLES and m.group("dot") is None:
            ok = True
        elif len(tok) == 1 and tok.isupper() and not lower_span:
            ok = m.group("dot") is not None or gap == " "
        else:
            ok = _name_word(tok, text, m.end("tok"), lower_span) and not (m.group("dot") and len(tok) > 1)
            if ok and is_word(w) and _SENTENCE_END.search(text[max(0, m.start() - 40) : m.start()]):
                ok = False  # "Will", "Son" opening a sentence are words more often than names
        if not ok:
            break
        s = m.start("tok")
    return s, e


# Words a facility's name may continue with after a detected part ("St Andrew's" + "Care Home", "St Aidan's" +
# "Private"), and the words such a continuation must end on.
_FACILITY_TAIL_WORDS = frozenset(
    """
    hospital hospitals infirmary clinic clinics centre center medical health healthcare general community district
    regional memorial private public nursing care home hospice lodge manor living assisted residential aged rest
    retirement village rehabilitation rehab surgery practice
    """.split()
)
_FACILITY_TAIL_END = frozenset(
    "hospital hospitals infirmary clinic clinics centre center general private public home hospice lodge manor living "
    "care village surgery practice".split()
)
# Lower-case joiners inside a place's name: "Duke of Kent Ward", "Stoke-on-Trent", "Newcastle-under-Lyme".
_NAME_JOINERS = frozenset("of the de du la le on upon under en sur in by super".split())


def _grow_hospital_right(text: str, e: int) -> int:
    end, p = e, e
    while True:
        m = re.match(r"[ ](?P<tok>[^\W\d_]+)(?![\w'’-])", text[p : p + 30])
        if not m or fold(m.group("tok")) not in _FACILITY_TAIL_WORDS or not m.group("tok")[:1].isupper():
            return end
        p += m.end()
        if fold(m.group("tok")) in _FACILITY_TAIL_END:
            end = p


def _grow_hospital(text: str, s: int, e: int) -> tuple[int, int]:
    e = _grow_hospital_right(text, e)
    while s > 0:
        m = _LEFT_STEP.search(text, max(0, s - 40), s)
        if not m or m.group("gap") not in (" ", "-"):
            break
        tok, w = m.group("tok"), fold(m.group("tok"))
        if w in _NAME_JOINERS and not m.group("dot"):
            j = _LEFT_STEP.search(text, max(0, m.start() - 40), m.start())
            jw = fold(j.group("tok")) if j else ""
            if (
                j
                and j.group("gap") == m.group("gap")
                and j.group("tok")[:1].isupper()
                and not j.group("dot")
                and jw not in GENERIC_FACILITY_WORDS
                and jw not in _NAME_NEVER
                and not _SENTENCE_END.search(text[max(0, j.start() - 40) : j.start()])
            ):
                s = j.start("tok")  # "Duke of Kent Ward", "Stoke-on-Trent Hospital"
                continue
            break
        saint = w in ("st", "saint", "mount", "mt", "ste", "san", "santa")
        if not tok[:1].isupper() or (m.group("dot") and not saint):
            break
        if not saint and (w in GENERIC_FACILITY_WORDS or w in _NAME_NEVER or tok.isupper()):
            break
        if is_word(w) and _SENTENCE_END.search(text[max(0, m.start() - 40) : m.start()]):
            break  # "Outside Valley Imaging": a capitalised word opening the sentence
        s = m.start("tok")
    return s, e


_INITIALS_AFTER = re.compile(r" ?\((?P<i>[A-Z]{2,4})\)")


def _initials_of(name: str) -> str:
    return "".join(w[0].upper() for w in re.findall(r"[^\W\d_][\w'’]*", name) if w[0].isupper() or len(w) > 3)


# Words a person's name never ends on: clinical, department and record words, ward and unit abbreviations, report
# abbreviations ("Okafor, HDU", "Lela K  Med Rec", "Nagy, Ward", "JONES PICC inserted").
_NAME_TAIL_NEVER = (
    CLINICAL_WORDS
    | DEPARTMENT_WORDS
    | RECORD_WORDS
    | REPORT_ABBREVIATIONS
    | frozenset("ward wards bay bed room mdt med rec gp bleep pager a&e".split())
    | WARD_ABBREVIATIONS
)
_NOT_NAME_END = _NAME_TAIL_NEVER - CLINICAL_WORDS | DEPARTMENT_WORDS
_TAIL_STEP = re.compile(r"(?P<sep>,?\s+)(?P<tok>[^\W\d_][\w&'’-]*)\.?$")


def _drop_clinical_tail(text: str, s: int, e: int) -> int:
    """A name span that swallowed the words after it ends before them: a clinical, department, record or ward word
    ("Dr. Moran Left lower lobe", "Okafor, HDU", "Lela K  Med Rec"), an eponym before its noun ("KRZYSZTOF
    Hill-Sachs lesion", "Tarlov cyst"), or an ordinary word on the next line. The first word always stays."""
    first, last = name_lexicon()
    while True:
        m = _TAIL_STEP.search(text, s, e)
        if not m or m.start() <= s:
            return e
        tok = m.group("tok")
        w = fold(tok)
        comma = "," in m.group("sep")
        if comma and tok in US_STATES_ZIP or not comma and tok.isupper() and len(tok) <= 2:
            return e  # "Milford, CT": a place merged into the name's span; "Okafor MR": initials, not MR imaging
        # Clinical words that are also family names ("HEAD", "Hand") end a name only in title case after a space.
        never = _NAME_TAIL_NEVER if m.group("sep") == " " and tok[:1].isupper() and tok[1:].islower() else _NOT_NAME_END
        drop = w in never or fold(w.split("-")[0]) in never
        drop = drop or not tok.isupper() and bool(_EPONYM_NEXT.match(text[m.end() : m.end() + 40].lower()))
        drop = drop or ("\n" in m.group("sep") and is_word(w) and w not in first and w not in last)
        if not drop:
            return e
        e = m.start()


# A town named right after a facility or a street address ("Kowhai Surgery, Whangarei", "12 Rata St, Te Awamutu,"),
# or after "in" ("from Lakeside Rehab in Tolleson"), and a four-digit postcode after a town on an address line.
_TOWN_AFTER = re.compile(
    rf",[ \t]+(?P<l>{CITY})(?=[ \t]*(?:$|\n|[,;|)]|[ \t]{{2,}}|[ \t]+\d{{4,5}}\b|[ \t]+[A-Z]{{2,3}}\b))"
)
_TOWN_IN = re.compile(rf"[ \t]+in[ \t]+(?P<l>{CITY})(?![\w'’-])")
_POSTCODE_AFTER = re.compile(r"[ \t]+(?P<p>\d{4})(?=[ \t]*(?:$|\n|,|\||[ \t]{2,}))")


def _town(span: str, strict: bool) -> bool:
    """A capitalised phrase beside a facility or an address is its town unless it is a generic, clinical, ward or
    calendar phrase; `strict`: also not an ordinary English phrase unless a known place ("in Hope" stays)."""
    words = [fold(w) for w in _TOKEN.findall(span)]
    if not words or not loose_place(span):
        return False
    never = WARD_FUNCTION_WORDS | WARD_ABBREVIATIONS | _NAME_NEVER | _FIELD_NOT_WARD
    if any(w in never for w in words):
        return False
    return not strict or fold(span) in place_lexicon() or not all(is_word(w) for w in words)


def _places_beside(text: str, results: list[Any]) -> list[tuple[str, int, int]]:
    out: list[tuple[str, int, int]] = []
    for r in results:
        line_start = text.rfind("\n", 0, r.start) + 1
        address_line = any(a.entity_type == "STREET_ADDRESS" and line_start <= a.start < r.start for a in results)
        if r.entity_type in ("HOSPITAL", "STREET_ADDRESS") or r.entity_type == "LOCATION" and address_line:
            m = _TOWN_AFTER.match(text, r.end)
            if m and _town(m.group("l"), strict=False):
                out.append(("LOCATION", m.start("l"), m.end("l")))  # "..., Te Awamutu, Waikato 3800"
        if r.entity_type == "HOSPITAL":
            m = _TOWN_IN.match(text, r.end)
            if m and _town(m.group("l"), strict=True):
                out.append(("LOCATION", m.start("l"), m.end("l")))
    for typ, s, e in [(r.entity_type, r.start, r.end) for r in results] + out:
        if typ != "LOCATION":
            continue
        m = _POSTCODE_AFTER.match(text, e)
        line_start = text.rfind("\n", 0, s) + 1
        if m and any(a.entity_type == "STREET_ADDRESS" and line_start <= a.start < s for a in results):
            out.append(("STREET_ADDRESS", m.start("p"), m.end("p")))
    return out


def complete_spans(text: str, results: list[Any]) -> list[Any]:
    """Each detection grown over the adjacent parts of the same identifier (see the rule above this function)."""
    from presidio_analyzer import RecognizerResult

    out = [RecognizerResult(typ, s, e, 0.6) for typ, s, e in _places_beside(text, results)]
    for r in results:
        s, e = r.start, r.end
        if r.entity_type == "PERSON":
            s, e = _grow_person(text, s, _drop_clinical_tail(text, s, e))
            m = _INITIALS_AFTER.match(text, e)
            own = _initials_of(text[s:e])
            if m and own.startswith(m.group("i")[0]) and m.group("i")[-1] in own:
                e = m.end("i")  # "Harold Rushleywick (HGR)": the name's own initials
        elif r.entity_type == "HOSPITAL":
            s, e = _grow_hospital(text, s, e)
        elif r.entity_type == "STREET_ADDRESS":
            m = _UNIT_AFTER.match(text, e)
            e = m.end() if m else e
            m = _ROUTE_NUMBER_AFTER.match(text, e)
            if m and re.search(r"(?i:\b(?:route|rte|highway|hwy|road|rd|interstate)\.?)$", text[s:e]):
                e = m.end()  # "10234 County Road 12": the road's number
        out.append(r if (s, e) == (r.start, r.end) else RecognizerResult(r.entity_type, s, e, r.score))
    return out
