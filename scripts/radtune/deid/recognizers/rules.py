"""The RULES table: one regex per shape of identifier, per Presidio entity, in the order they run, and the CONTEXT
words that raise a rule's score. This is the table a hospital edits; the pattern fragments are in
radtune.deid.recognizers.patterns, the word lists in .vocab and the span checks in .checks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from radtune.deid.recognizers.checks import (
    _caps_letterhead,
    _dictated_name,
    _family_name,
    _field_ward,
    _given_after_comma,
    _header_name,
    _health_district,
    _initials_name,
    _known_place,
    _lone_relative_name,
    _lower_name,
    _measure_label,
    _named_after,
    _role_name,
    _street_line,
    _transcription_initials,
    _valid_day_month,
    _valid_dmy,
    _valid_dmy_text,
    _ward_name,
    distinctive_facility,
    loose_place,
    place_word,
    plausible_name,
    rare_facility,
    weak_facility,
    yearless_date,
)
from radtune.deid.recognizers.lexicon import is_word, place_lexicon
from radtune.deid.recognizers.patterns import (
    _ADDR_END,
    _AGE_CONTEXT,
    _EXT,
    _FAC_JOIN,
    _FAC_PREFIX,
    _FACILITY_FIRST,
    _FACILITY_TYPE,
    _FIELD_VALUE,
    _GIVEN_ANY,
    _ID_LABEL,
    _ID_LABEL_BEFORE,
    _ID_VALUE,
    _MONTHS,
    _NB,
    _NE,
    _PARTICLE,
    _PHONE_SEP,
    _RELATION,
    _STATES_NO_ZIP,
    _STREET_BEFORE,
    _SURNAME_ANY,
    _TOKEN,
    _TRIGGER,
    _UNITS,
    _UPW,
    _WD_ANY,
    _YEARISH,
    AMPM,
    CITY,
    CLOCK,
    DAY,
    FACILITY,
    FACILITY_WEAK,
    FULL_NAME,
    LO,
    MON,
    MONTH_NUM,
    NAME,
    NAME_CAPS,
    NAME_FRAME,
    NAME_MIXED,
    NAME_TOKEN,
    NAME_UPPER,
    ORD_DAY,
    ROLES,
    STREET_TYPE,
    STREET_TYPE_WIDE,
    TIME_TAIL,
    UP,
    US_STATES,
    US_STATES_ZIP,
    WEEKDAY,
    WEEKDAYS,
    YEAR4,
)
from radtune.deid.recognizers.vocab import (
    _CLINICAL_ACRONYMS,
    _EPONYM_NEXT,
    _NAME_NEVER,
    DOTTED_NOT_NAMES,
    GENERIC_FACILITY_WORDS,
    fold,
)


@dataclass(frozen=True)
class Rule:
    """One regex of a recognizer. The reported spans are capture group(s) `group` (0 = whole match).

    `check(text, start, end)`, when given, must accept a span for it to be reported.
    """

    name: str
    regex: str
    score: float
    group: int | str | tuple[str, ...] = 0
    check: Callable[[str, int, int], bool] | None = None


RULES: dict[str, list[Rule]] = {
    "PERSON": [
        Rule(
            "name after dictation/signature/communication trigger",
            rf"(?i:\b(?:{_TRIGGER}))\b(?:(?<=[Pp]t)\.)?\s*[:#-]?\s*(?:(?i:dr|mr|mrs|ms|prof)\.? ?)?"
            rf"(?P<n>{NAME_MIXED}|{NAME_FRAME}|{NAME_UPPER}|{NAME_CAPS})",
            0.85,
            "n",
            plausible_name,
        ),
        Rule(
            "pair of full names",
            rf"(?i:\b(?:with|to|by|and|cc|from)) (?P<n>{FULL_NAME}) (?:and|&) (?P<m>{FULL_NAME})\b",
            0.7,
            ("n", "m"),
            plausible_name,
        ),
        Rule(
            "name after Dr./title",
            rf"\b(?:Dr|Drs|Mr|Mrs|Ms|Miss|Mx|Prof|DR)(?:\.\s?|\s)"
            rf"(?P<n>(?:{_PARTICLE} ){{0,2}}(?:{NAME}|{NAME_CAPS}|{_UPW}\b))",
            0.85,
            "n",
        ),
        Rule(
            "caret-separated name (HL7)",
            r"(?<![\w^])(?P<n>[^\W\d_][\w'’-]*(?:\^[\w'’.-]*)*\^[^\W\d_][\w'’.-]*(?:\^[\w'’.-]*)*)",
            0.8,
            "n",
            check=lambda t, s, e: not any(c.isdigit() for c in t[s:e]),
        ),
        Rule(
            "HL7 PID-5 patient name field",
            r"(?m)^PID\|(?:[^|\n]*\|){4}(?P<n>[^|\n]*[^\W\d_][^|\n]*)",
            0.85,
            "n",
        ),
        Rule(
            "patient-name header field",
            r"(?im)(?:^|[ \t]{2,}|\t|\|)[ \t]*(?:patient(?:'s)?(?: full)? name|pt\.? name|patient|name|surname|"
            r"family name|last name|forenames?|forename\(s\)|first names?|given names?|middle names?|next of kin|nok|"
            r"kin)(?:[ \t]*:|\t)[ \t]*"
            r"(?P<n>[^\W\d_][^\n\d:;|]{0,60}?)"
            r"(?=[ \t]{2,}|[ \t]*$|[ \t]*\||[ \t]+\(|,?[ \t]+(?i:mrn|dob|pid|sex|age|acc)\b)",
            0.85,
            "n",
            check=lambda t, s, e: len(t[s:e].split()) <= 6 and any(c.isupper() for c in t[s:e]),
        ),
        Rule(
            "inverted name at a line start before an identifier label",
            r"(?m)^(?P<n>[^\W\d_][^\W\d_'’ .-]*(?:[ '’-][^\W\d_][^\W\d_'’.-]*){0,3},[ \t]?[^\W\d_][^\W\d_'’.-]*"
            r"(?:[ .-]+[^\W\d_][^\W\d_'’.-]*){0,3}\.?)(?=[ \t]{2,}(?i:mrn|mr ?#|pid|unit no|chart|dob|acc|accn|medical "
            r"record|patient id|hospital no|nhs|id\b))",
            0.85,
            "n",
            check=lambda t, s, e: all(p.split()[-1][:1].isupper() for p in t[s:e].split(",", 1) if p.split()),
        ),
        Rule(
            "name before credentials or role",
            rf"(?P<n>{NAME_FRAME}),? \(?{ROLES}(?![\w-])",
            0.8,
            "n",
            plausible_name,
        ),
        Rule(
            "name before pager/phone/age",
            rf"(?P<n>{NAME_FRAME}),\s*(?:(?i:pager|beeper|ext|cell|phone|tel)\b|"
            r"\d{1,3}[- ]?(?i:years?|yrs?|yo|y/o|y\.o\.)"
            rf"|(?i:age|aged|dob)\b)",
            0.75,
            "n",
            plausible_name,
        ),
        Rule(
            "family name, given name at a line start",
            rf"^[ \t]*(?P<n>{_SURNAME_ANY},\s?{_GIVEN_ANY})"
            rf"(?=[ \t]*(?:$|[,;(]|[ \t]{{2}}|(?i:mrn|dob|age|\d))|[ \t]+[-–][ \t])",
            0.7,
            "n",
            plausible_name,
        ),
        Rule(
            "family name, given name after a label",
            rf"(?i:\b(?:name|patient|pt|ordering (?:physician|provider)|pcp|referring(?: physician| provider)?|"
            rf"referred by|discussed with|attending(?: physician)?|physician|provider|technologist|tech))"
            rf"(?:\s*:\s*|\s+)(?P<n>{_SURNAME_ANY},\s?{_GIVEN_ANY})(?![\w'’-])",
            0.7,
            "n",
            plausible_name,
        ),
        Rule(
            "initials before a particle or a short family name",
            rf"(?<![\w.])(?P<n>(?:[A-Z]\. ?){{1,3}}"
            rf"(?:(?:{_PARTICLE} ){{1,2}}{NAME_TOKEN}|[{UP}][{LO}]{{1,2}}(?![\w'’-])))",
            0.65,
            "n",
            check=_initials_name,
        ),
        Rule(
            "name before a clinical-role phrase",
            rf"(?:^|(?<=[.;] ))[ \t]*(?P<n>{NAME_FRAME}|{NAME_CAPS}) "
            rf"(?:(?:was|is|will be|had been) (?:the|our|his|her) "
            rf"(?:technologist|tech|sonographer|nurse|radiologist|resident|fellow|attending|interpreter|scribe|"
            rf"physician|provider|surgeon|anesthesiologist|assistant|chaperone|contact)|"
            rf"family (?:reports?|states?|stated|declined|requests?|requested|notes?|noted|was|is|were|are|agrees?|"
            rf"consented|declines|wishes|asked|aware))\b",
            0.7,
            "n",
            plausible_name,
        ),
        Rule(
            "family name before family + verb",
            rf"(?<![\w'’-])(?P<n>{NAME_TOKEN}) family (?:reports?|reported|states?|stated|declined|declines|"
            rf"requests?|requested|notes?|noted|agrees?|agreed|consented|wishes|asked|was|is|were|are)\b",
            0.7,
            "n",
            check=lambda t, s, e: _family_name(t[s:e]),
        ),
        Rule(
            "list of names after a team label",
            rf"(?i:\b(?:residents?|fellows?|attendings?|technologists?|techs|present|participants|care team))\s*:\s*"
            rf"(?P<n>(?:{NAME_CAPS}|{NAME_FRAME})(?:(?:, | and | & |; )(?:{NAME_CAPS}|{NAME_FRAME}))*)",
            0.7,
            "n",
            plausible_name,
        ),
        Rule(
            "dotted initials",
            r"(?<![\w.])(?P<n>(?:[A-Z]\.){2,3})(?=[\s,;)]|$)",
            0.6,
            "n",
            lambda t, s, e: t[s:e].replace(".", "").lower() not in DOTTED_NOT_NAMES,
        ),
        Rule(
            "relative's name",
            rf"(?i:\b{_RELATION}(?:'s name is|,? named|,? called)?)(?: \([^()\n]{{1,30}}\))?(?:,? |: ?|, )"
            rf"(?P<n>{NAME_CAPS}|{NAME})",
            0.7,
            "n",
            lambda t, s, e: plausible_name(t, s, e) or _lone_relative_name(t, s, e),
        ),
        Rule(
            "name before a kinship or role word in parentheses",
            rf"(?<![\w'’-])(?P<n>(?:{NAME_TOKEN}|[{UP}]{{2,}}[{UP}'’-]*)(?: (?:{NAME_TOKEN}|[{UP}]{{2,}}[{UP}'’-]*))?)"
            rf" ?\((?i:{_RELATION}|next of kin|nok)\)",
            0.6,
            "n",
            lambda t, s, e: not any(fold(w) in _NAME_NEVER for w in _TOKEN.findall(t[s:e])) and len(t[s:e]) > 2,
        ),
        Rule(
            "dictated lower-case name after a communication phrase",
            r"(?:\b(?:given|called|relayed|reported|communicated|discussed|reviewed|read back|faxed|handed over|spoke|"
            r"talked|explained) (?:to|with)|\bper|\b(?:placed|inserted|performed|done) by)"
            r"(?: (?:dr|doctor|nurse|rn|tech|radiographer|sonographer|prof|mr|mrs|ms|miss)\.?)? "
            r"(?P<n>[^\W\d_A-Z][^\W\d_]*\.?(?: [^\W\d_A-Z][^\W\d_'’-]*\.?){0,2})"
            r"(?=,? (?:at|on|rn|md|who|by|via|and|with|patient|pt|regarding|re|about|for|today|yesterday|the|from)\b|"
            r"[,.;:)]|[ \t]*(?:$|\n))",
            0.6,
            "n",
            check=lambda t, s, e: _lower_name(t[s:e]),
        ),
        Rule(
            "dictated lower-case name after a title",
            r"(?i:\b(?P<title>dr|doctor|mr|mrs|ms|miss|prof|professor|nurse))\.? (?P<n>[a-z][a-z'-]+)\b(?![.'-]\w)",
            0.6,
            "n",
            check=lambda t, s, e: _dictated_name(t, s, e),
        ),
    ],
    "DATE_TIME": [
        Rule(
            "numeric date m-d-y / d-m-y",
            rf"{_NB}\d{{1,2}}(?P<s1>[/.-])\d{{1,2}}(?P=s1)(?:{YEAR4}|\d{{2}}){TIME_TAIL}{_NE}",
            0.85,
            check=lambda t, s, e: _valid_dmy(t[s:e]),
        ),
        Rule(
            "numeric date with spaces", rf"{_NB}{DAY} {MONTH_NUM} {YEAR4}{_NE}|{_NB}{MONTH_NUM} {DAY} {YEAR4}{_NE}", 0.8
        ),
        Rule(
            "numeric date y-m-d",
            rf"{_NB}{YEAR4}(?P<s2>[/.\- ])(?:0?[1-9]|1[0-2])(?P=s2)(?:0?[1-9]|[12]\d|3[01]){TIME_TAIL}{_NE}",
            0.85,
        ),
        Rule(
            "compact yyyymmdd",
            rf"(?<![\d./:-])(?:19|20)\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:[T\s_-]?\d{{4,6}}(?!\d))?{_NE}",
            0.6,
        ),
        Rule(
            "day month year",
            rf"(?<![^\W_])(?:{WEEKDAY},?\s*)?(?:the\s+)?{ORD_DAY}(?:\s+of)?(?:\s+|[-./])?{MON}"
            rf"(?:(?:,?\s+|[-./])?(?:{YEAR4}|'\d{{2}}|\d{{2}}(?![\d:])))?{TIME_TAIL}(?![\w])",
            0.85,
        ),
        Rule(
            "month day year",
            rf"\b(?:{WEEKDAY},?\s+)?{MON}\s*(?:the\s+)?{ORD_DAY}(?!\d|\.\d|\s?{_UNITS}\b)"
            rf"(?:(?:,\s*|\s+|,)(?:{YEAR4}|'\d{{2}})(?!\d))?{TIME_TAIL}",
            0.85,
        ),
        Rule("month year", rf"\b{MON}(?:,?\s*|[-/]){YEAR4}\b|\b{MON}\s*'\d{{2}}\b", 0.8),
        Rule("weekday", r"\b(?:" + "|".join(WEEKDAYS) + "|" + "|".join(w.upper() for w in WEEKDAYS) + r")s?\b", 0.7),
        Rule(
            "weekday abbreviation before a date",
            r"\b(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun|MON|TUE|TUES|WED|THU|THUR|THURS|FRI|SAT|SUN)\.?"
            r"(?=,?\s*\d{1,2}\b|,?\s*(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))",
            0.7,
        ),
        Rule(
            "month after a date word",
            r"(?i:\b(?:in|on|since|from|until|till|through|during|early|late|mid|of|before|after|last|this|next|by|"
            r"dated))\s+(?P<m>(?:" + "|".join(_MONTHS) + r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?)\b",
            0.7,
            "m",
        ),
        Rule("m/yyyy", r"(?<![\d/.-])(?:0?[1-9]|1[0-2])[/-](?:19|20)\d{2}\b(?![/-]\d)", 0.7),
        Rule(
            "m/d with context",
            r"(?i:\b(?:on|dated|of|from|since|until|by|after|before|through|began|begun|started|starting|noted|seen|"
            r"performed|obtained|done|taken|date|"
            + "|".join(_WD_ANY)
            + r")\.?)[:,\s]+(?P<d>(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])|"
            r"(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12]\d|3[01])(?!\s*[a-z%]|\s?-))(?![\d/.-])",
            0.6,
            "d",
        ),
        Rule(
            "month/day without a year",
            r"(?<![\w./:+-])(?P<d>(?:0?[1-9]|[12]\d|3[01])(?P<sep>[/.-])(?:0?[1-9]|[12]\d|3[01]))(?![\w]|[./:+-]\d|%)",
            0.6,
            "d",
            check=lambda t, s, e: yearless_date(t, s, e),
        ),
        Rule("clock time", rf"(?<![\d:.]){CLOCK}(?![\d:])", 0.7),
        Rule("hour am/pm", rf"(?<![\d:.])(?:1[0-2]|0?[1-9])(?:[.:][0-5]\d)?\s?{AMPM}", 0.7),
        Rule("military time", r"\b(?:[01]\d|2[0-3])[0-5]\d ?(?i:hours|hrs|hr|h)\b|\b(?:[01]?\d|2[0-3])h[0-5]\d\b", 0.7),
        Rule(
            "bare time after at",
            rf"(?i:(?:\b(?:at|around|approximately|approx\.?|by|until|time:?|from|to|and|between|started|ended|completed|"
            rf"performed|scanned|called|paged|read|dictated|signed|injected|arrival|arrived)\s+|@\s*|\btime:?\s*))"
            rf"(?P<t>(?:[01]\d|2[0-3])[0-5]\d(?:\s?(?i:hrs|hours|hr|h)\b)?)"
            rf"(?![\d/-]|[.,]\d|\s?{_UNITS}\b)",
            0.65,
            "t",
        ),
    ],
    "MEDICAL_ID": [
        Rule(
            "number after an identifier label",
            rf"(?i:\b{_ID_LABEL})(?![\w])\.?\s*(?:(?i:number|no\.?|num|#|id)\s*)?[:#=.-]?\s*(?P<id>{_ID_VALUE})",
            0.85,
            "id",
        ),
        Rule("social security number", r"(?<![\d.-])\d{3}(?P<q>[- .])\d{2}(?P=q)\d{4}(?![\d-]|\.\d)", 0.85),
        Rule("dotted numeric uid", r"(?<![\d.])\d+(?:\.\d+){4,}(?!\.?\d)", 0.8),
        Rule("dotted accession", r"\b[A-Za-z]{1,6}(?:\.\d{2,}){2,}\b", 0.7),
        Rule(
            "NZ NHI number (old and new formats)",
            r"(?i:\bNHI)(?: (?i:no)\.?| (?i:number))?[ \t]*[:#]?[ \t]*"
            r"(?P<id>[A-HJ-NP-Z]{3}(?:\d{4}|\d{2}[A-HJ-NP-Z]{2}))\b",
            0.8,
            "id",
        ),
        Rule("accession with a dotted suffix", r"(?<![\w.])\d{6,}\.\d{3,}(?![\w.])", 0.7),
        Rule(
            "HL7 OBR-2/3 order numbers",
            r"(?m)^OBR\|[^|\n]*\|(?P<a>[^|\n^]*\d[^|\n^]*)?\|(?P<b>[^|\n^]*\d[^|\n^]*)",
            0.8,
            ("a", "b"),
        ),
        Rule(
            "two-digit groups",
            r"(?<![\w/.:-])\d{2}-\d{2}-\d{2}(?:-\d{2})*(?![\w-]|[./]\d)",
            0.6,
            check=lambda t, s, e: not _valid_dmy(t[s:e]) or e - s > 8,
        ),
        Rule(
            "4-4 number",
            r"(?<![\w/.:-])\d{4}-\d{4}(?![\w-]|[./]\d)",
            0.6,
            check=lambda t, s, e: not all(_YEARISH.match(x) for x in t[s:e].split("-")),
        ),
        Rule(
            "digit groups",
            r"(?<![\w/.:-])(?:\d{2,6}(?:-\d{2,6}){2,}|\d{2}-\d{5,}|\d{4}(?: \d{2,4}){3})(?![\w-]|[./]\d)",
            0.55,
            check=lambda t, s, e: not _valid_dmy_text(t[s:e]),
        ),
        Rule("spaced record number", r"(?<![\w.-])\d{3} \d{3} \d{4}(?![\w-]|\.\d)", 0.5),
        Rule("long number", r"(?<![\d.,/-])\d{7,}(?![\d.,/]\d)", 0.6),
        Rule("letter-prefixed number", r"\b[A-Z]{1,5}[-#]?\d{5,}[A-Z0-9]*\b", 0.6),
        Rule("dashed id", r"\b[A-Z]{2,5}-(?:19|20)\d{2}-\d{4,}\b", 0.7),
        Rule(
            "alphanumeric id",
            r"(?<![\w-])(?!\d{4}-\d{2}-\d{2})(?=[A-Z0-9-]*[A-Z])(?=(?:[A-Z-]*\d){5})[A-Z0-9]+(?:-[A-Z0-9]+)*\b",
            0.6,
        ),
        Rule(
            "IPv4 address",
            r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d]|\.\d)",
            0.8,
        ),
        Rule(
            "IPv6 address",
            r"(?<![\w:])(?:(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}|(?=[0-9A-Fa-f:]*::)(?=(?:[0-9A-Fa-f:]*[0-9A-Fa-f]){3})"
            r"(?:[0-9A-Fa-f]{1,4}:|:){2,7}[0-9A-Fa-f]{0,4})(?![\w:])",
            0.8,
        ),
        Rule("MAC address", r"\b(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b", 0.8),
    ],
    "PHONE_NUMBER": [
        Rule(
            "NANP phone",
            rf"(?<![\w.+/-])(?:(?:\+\s?1|001|1)[\s.\-/]?)?(?:\(\d{{3}}\)\s?|\d{{3}}{_PHONE_SEP})\d{{3}}{_PHONE_SEP}\d{{4}}{_EXT}(?![\w-]|\.\d)",
            0.75,
        ),
        Rule(
            "phone with country code",
            rf"(?<![\w+])(?:\+\s?\d{{1,3}}(?:[\s.\-]?\(0?\d{{0,4}}\))?(?:[\s.\-/]?\d{{1,5}}){{2,6}}|00\d{{1,3}}"
            rf"(?:[\s.\-]?\(0?\d{{0,4}}\))?(?:[\s.\-/]\d{{2,5}}){{2,5}}){_EXT}(?![\w-])",
            0.75,
        ),
        Rule("trunk-prefixed phone", r"(?<![\w.+/-])\(?0\d{2,4}\)?[\s-]\d{3,4}[\s-]?\d{3,4}(?![\w-]|\.\d)", 0.65),
        Rule(
            "10-digit NANP number without an id label",
            rf"(?<![\w.+/-])(?:\+?1)?[2-9]\d{{2}}[2-9]\d{{6}}{_EXT}(?![\w-]|\.\d)",
            0.65,
            check=lambda t, s, e: not _ID_LABEL_BEFORE.search(t[max(0, s - 30) : s]),
        ),
        Rule("local 7-digit phone", r"(?<![\w.+/-])\d{3}-\d{4}(?![\w-]|\.\d)", 0.6),
        Rule("internal d-dddd", rf"(?<![\w.+/:-])\d-\d{{4}}(?![\w-]|[./]\d|\s?{_UNITS}\b)", 0.6),
        Rule("extension after x", r"(?<![\w.])[xX]\s?(?P<p>\d{4,5})\b(?![.,]\d)", 0.6, "p"),
        Rule(
            "pager in parentheses",
            r"\((?P<p>\d{4,5})\)",
            0.55,
            "p",
            check=lambda t, s, e: not _YEARISH.match(t[s:e]),
        ),
        Rule(
            "10 digits after a phone word",
            r"(?i:\b(?:phone|ph|tel|telephone|fax|cell|mobile|pager|callback|call|contact|number|home|work|office))"
            r"\b[^\n\d]{0,12}(?P<p>(?:\+?1)?\d{10})(?!\d)",
            0.7,
            "p",
        ),
        Rule(
            "labelled phone/extension",
            r"(?i:\b(?:pager|beeper|bleep|ext|extension|phone|ph|tel|telephone|fax|cell|mobile|callback|call back|"
            r"voicemail|vm))\.?\s*(?:#|no\.?|number)?\s*[:=]?\s*(?P<p>\+?\(?\d[\d\s.\-()/]{2,}\d)(?![\w])",
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
        Rule("age/sex", r"(?i:\bage\s*/\s*(?:sex|gender)|\bage/sex)\s*[:=]?\s*(?P<a>9\d|1[01]\d)(?!\d)", 0.85, "a"),
        Rule(
            "age then sex",
            r"(?<![\w.:/-])(?:9\d|1[01]\d)(?:\s?(?i:yo|y/o|y\.o\.|y|yrs?|years?))?\s?/?\s?[MF]\b(?!-)",
            0.8,
        ),
        Rule("N years of age", r"(?i:\b(?:9\d|1[01]\d)[- ](?:years?|yrs?)[- ]of[- ]age)\b", 0.85),
        Rule("Ny", r"(?<![\w.:/-])(?:9\d|1[01]\d)(?i:y|yr|yrs)\b", 0.7),
        Rule(
            "spelled-out age after age / with years of age",
            r"(?i:\b(?:age|aged)[: ]+(?P<a>(?:ninety|one hundred(?: and)?)(?:[- ](?:one|two|three|four|five|six|seven|"
            r"eight|nine|ten|eleven|twelve))?)\b|\b(?P<b>(?:ninety|one hundred(?: and)?)(?:[- ](?:one|two|three|four|"
            r"five|six|seven|eight|nine))?[- ](?:years?|yrs?)[- ]of[- ]age)\b)",
            0.85,
            ("a", "b"),
        ),
    ],
    "STREET_ADDRESS": [
        Rule(
            "street address",
            rf"\b\d{{1,6}}[A-Z]? (?:(?:[NSEW]|N[EW]|S[EW])\.? )?"
            rf"(?:(?:[{UP}][{LO}'’-]+|\d+(?:st|nd|rd|th)|Jr\.|Sr\.|St\.) ){{1,5}}"
            rf"{STREET_TYPE}\.?(?: (?:[NSEW]|N[EW]|S[EW])\b\.?)?"
            rf"(?:,? (?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Flr|Bldg|Building|Room|Rm|Level|Lvl|#)\.? ?#?\w+)*"
            rf"(?:, {CITY}, [A-Z]{{2}}(?: \d{{5}}(?:-\d{{4}})?)?)?",
            0.8,
        ),
        Rule("PO box", r"(?i:\bP\.?O\.? Box) \d+\b", 0.8),
        Rule(
            "house number on a numbered route or highway",
            r"\b\d{1,6}[A-Z]? (?:(?:State|County|US|U\.S\.|Farm to Market|Ranch to Market|Farm|Ranch|FM|RM|Old|"
            r"Provincial|Rural) )?(?i:route|rte|highway|hwy|road|rd|interstate)\.? \d{1,4}[A-Z]?\b(?![.,/:-]?\d)",
            0.7,
        ),
        Rule(
            "rural route or highway contract box",
            r"\b(?:RR|R\.R\.|Rural Route|HC|HCR|RD|R\.D\.|RMB|RSD) ?#?\d{1,4},? (?i:box) \d{1,5}\b",
            0.75,
        ),
        Rule(
            "French, Spanish or Portuguese street type before the name",
            rf"\b\d{{1,5}}[A-Za-z]?,? (?i:rue|chemin|boulevard|boul\.|rang|montée|montee|côte|cote|allée|allee|impasse|"
            rf"promenade|route|avenue|av\.|paseo|camino|carretera|calle|avenida|travessa|largo|praça|praca|rua)"
            rf"(?: (?i:de la|de l'|de|du|des|del|de los|de las|da|do|dos|das|d'|l')?\s?"
            rf"[{UP}][{LO}'’-]+(?:-[{UP}][{LO}'’-]+)*)"
            rf"{{1,3}}",
            0.7,
        ),
        Rule(
            "unit after an address",
            r"(?<=\w)(?P<u>,? (?:Suite|Ste|Unit|Fl|Floor|Flr|Bldg|Building|Room|Rm|Apt)\.? ?#?\d+[A-Z]?)\b",
            0.5,
            "u",
            check=lambda t, s, e: _STREET_BEFORE.search(t[max(0, s - 60) : s]) is not None,
        ),
        Rule(
            "state and ZIP",
            rf"(?:[{UP}][\w.'’-]*(?: [{UP}][\w.'’-]*){{0,3}}, )?\b(?:{'|'.join(US_STATES_ZIP)}) \d{{5}}(?:-\d{{4}})?\b",
            0.7,
        ),
        Rule(
            "street of another country",
            rf"\b(?:[{UP}][{LO}]+(?:straße|strasse|str\.|weg|gasse|platz|laan|straat|vej|gatan|gade|allee|dijk|plein)"
            rf"|(?:Rue|Avenue|Av\.|Avda\.?|Via|Viale|Calle|Avenida|Rua|Plaza|Piazza|Corso|Chemin|Place|Carrer|Ulica|ul\.)"
            rf"(?: (?:de|del|della|di|da|do|dos|des|du|la|le|los|las|y|l'|d')?\s?[{UP}][{LO}'’-]+){{1,4}})"
            rf",? \d{{1,4}}[a-zA-Z]?\b|"
            rf"\b\d{{1,4}}[a-zA-Z]?,? (?:Rue|Avenue|Via|Viale|Calle|Rua|Piazza|Corso|Chemin|Place)"
            rf"(?: (?:de|del|della|di|da|do|dos|des|du|la|le|los|las|y|l'|d')?\s?[{UP}][{LO}'’-]+){{1,4}}",
            0.7,
        ),
    ],
    "LOCATION": [
        Rule("city, state", rf"\b{CITY}, (?:{'|'.join(_STATES_NO_ZIP)})\b(?: \d{{5}})?", 0.7),
        Rule(
            "in/from city, state",
            rf"(?i:\b(?:in|from|of|near|to|at)) (?P<l>{CITY}, (?:{'|'.join(US_STATES)}))\b",
            0.75,
            "l",
        ),
        Rule(
            "place after a residence/travel phrase",
            rf"(?i:\b(?:lives in|living in|resides in|resident of|moved (?:here )?(?:from|to)|transferred from|"
            rf"travel(?:l?ed)? (?:to|from)|visiting from|native of|born in|from the (?:town|city|village) of|"
            rf"from))\s+(?P<l>{NAME_TOKEN}(?: {NAME_TOKEN}){{0,2}})\b(?! (?:{FACILITY}|{FACILITY_WEAK})\b)",
            0.6,
            "l",
            check=lambda t, s, e: place_word(t[s:e]),
        ),
        Rule("city, state zip", rf"\b{CITY}, (?:{'|'.join(US_STATES_ZIP)}) \d{{5}}(?:-\d{{4}})?\b", 0.8),
        Rule(
            "city before a facility noun after 'at the'",
            rf"(?i:\b(?:at|to|from) the) (?P<l>{CITY}) (?:clinic|clinics|office|hospital|campus|site|practice|facility|"
            rf"location|center|centre|branch|satellite|outpatient|ED|ER)\b",
            0.6,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]),
        ),
        Rule(
            "city before a date",
            rf"\b(?:in|at) (?P<l>{CITY}) (?=(?:on|in) (?:\d|{MON}|{WEEKDAY}))",
            0.6,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]) and not _EPONYM_NEXT.match(t[e : e + 40]),
        ),
        Rule(
            "city between separators on an address line",
            rf"\|[ \t]*(?P<l>{CITY})[ \t]*(?=\||, ?[A-Z]{{2}}\b)(?=[^\n]*\b[A-Z]{{2}} \d{{5}}\b)",
            0.6,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]),
        ),
        Rule(
            "city before clinic/office",
            rf"\b(?P<l>{CITY}) (?:clinic|clinics|office|campus|satellite|branch|location|outpatient)\b",
            0.6,
            "l",
            check=lambda t, s, e: place_word(t[s:e]),
        ),
        Rule(
            "city in parentheses after a facility",
            rf"(?:{FACILITY}|{FACILITY_WEAK}|Clinic|Hospital|Klinikum)\s*\((?P<l>{CITY}(?:, [A-Z]{{2}})?)\)",
            0.7,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]),
        ),
        Rule(
            "city after a postcode or a street number",
            rf"(?:,\s*(?:[A-Z]{{1,2}}-)?\d{{4,5}}|[{LO}.] \d{{1,4}}[a-zA-Z]?,|\b\d{{4}} ?[A-Z]{{2}})"
            rf"[ \t]+(?P<l>{CITY})\b",  # same line only: not "2023\nAcquired on ..."
            0.65,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]),
        ),
        Rule(
            "city after an address or a facility",
            rf"(?:{STREET_TYPE}\.?|{FACILITY}|Klinikum|Hospital|Ospedale|Hôpital|Clínica|Krankenhaus),\s+(?P<l>{CITY})"
            rf"(?=\s*(?:$|[,.;)]|\n| \d))",
            0.6,
            "l",
            check=lambda t, s, e: loose_place(t[s:e]),
        ),
    ],
    "HOSPITAL": [
        Rule(
            "facility name",
            rf"\b{_FAC_PREFIX}{_FAC_JOIN}{{0,5}} {FACILITY}\b(?: of(?: the)?(?: {NAME_TOKEN}){{1,3}})?",
            0.75,
            check=distinctive_facility,
        ),
        Rule(
            "facility with a weak ending",
            rf"\b{_FAC_PREFIX}{_FAC_JOIN}{{0,4}} {FACILITY_WEAK}\b"
            rf"(?: (?:Group|Associates|Partners|Center|Centre|Institute|Network|System|Services|LLC|PC|PLLC))?",
            0.7,
            check=weak_facility,
        ),
        Rule(
            "facility of a place",
            rf"\b(?:Clinic|Hospital|Infirmary|Institute|Polyclinic|University|Medical Center|Health Center)"
            rf" (?:of|at|for) (?:the )?{NAME_TOKEN}(?: (?:of|the|and|{NAME_TOKEN})){{0,4}}",
            0.7,
            check=distinctive_facility,
        ),
        Rule(
            "facility in capitals",
            r"\b(?:(?:ST\.|SAINT|MT\.|[A-Z][A-Z'’-]+) ){1,4}"
            r"(?:HOSPITALS?|MEDICAL CENT(?:ER|RE)|HEALTH (?:CENTER|CENTRE|SYSTEM|CARE|SERVICES?)|"
            r"CLINIC|INFIRMARY|IMAGING CENT(?:ER|RE)|MEDICAL GROUP|HEALTHCARE|CANCER CENT(?:ER|RE)|"
            r"(?:SURGERY|SURGICAL|REHABILITATION|DIALYSIS|CARE) CENT(?:ER|RE)|(?:NURSING|CARE|REST|RESIDENTIAL) HOME|"
            r"AGED CARE|RETIREMENT (?:VILLAGE|HOME)|(?:ASSISTED|SENIOR) LIVING|(?:SKILLED )?NURSING FACILITY|LODGE|"
            r"MANOR|HOSPICE|(?:MEDICAL|FAMILY|GROUP) PRACTICE|(?:PRIMARY|URGENT) CARE|ORTHOPA?EDICS|"
            r"(?:RADIOLOGY|IMAGING|MEDICAL|ORTHOPA?EDIC) (?:GROUP|ASSOCIATES|PARTNERS|SPECIALISTS))\b",
            0.7,
            check=distinctive_facility,
        ),
        Rule(
            "facility named in another language",
            rf"\b(?:Hôpital|Hopital|Klinikum|Universitätsklinikum|Krankenhaus|Ospedale|Clínica|Clinica|Clinique|"
            rf"Hospital(?= (?:de|del|do|da|dos|das|Universitario|Universitari|Clínico|Clinico|São|Sao|Santa|Santo|San|"
            rf"Sant'|Saint|Sainte|St\.|Nossa|Nuestra)\b)|Centre Hospitalier|"
            rf"Centro Médico|Centro Medico|Ziekenhuis|Policlinico|Spital|"
            rf"Sjukhus|Szpital|Nemocnice|Istituto|Instituto)"
            rf"(?: (?:de|del|de la|des|du|di|della|degli|der|am|an|im|zum|zur|y|e|und|la|le|los|las|d'|l'|of)?"
            rf" ?(?:St\.|San|Santa|Sainte?|Sant'|[{UP}][{LO}'’-]+)){{1,5}}",
            0.7,
            check=lambda t, s, e: distinctive_facility(t, s, e) and any(c.isupper() for c in t[s + 3 : e]),
        ),
        Rule(
            "hospital acronym",
            r"(?i:\b(?:at|from|to|via|outside|transferred from|transfer from))\s+"
            r"(?P<h>(?!OSH\b)[A-Z]{1,4}(?:MC|H|HS|HC|MG))\b",
            0.65,
            "h",
        ),
    ],
}
# ---- formats of other English-speaking countries and of record systems -------------------------------------------
# Postcodes (UK, Irish Eircode, Canadian, Australian), Commonwealth street lines and unit prefixes, labelled fields
# whose label says what they hold, short bleep/pager numbers, day-first dates and dotted times, ages in parentheses
# after a birth date, facilities named after their type ("University Hospital Tregarne"), wards named after people,
# HL7 v2 segment fields, and transcription initials. Each is the published shape of a format, not a phrasing.


RULES["STREET_ADDRESS"] += [
    Rule("UK postcode", r"\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?) ?\d[ABD-HJLNP-UW-Z]{2}\b", 0.75),
    Rule("Irish Eircode", r"\b(?:[AC-FHKNPRTV-Y]\d{2}|D6W) (?=[A-Z0-9]{4}\b)(?=[A-Z0-9]*\d)[A-Z0-9]{4}\b", 0.75),
    Rule(
        "Canadian postal code",
        r"\b(?:(?:AB|BC|MB|NB|NL|NS|NT|NU|ON|PE|QC|SK|YT)[ ^]+)?[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d"
        r"[ABCEGHJ-NPRSTV-Z]\d\b",
        0.75,
    ),
    Rule(
        "Australian state and postcode",
        r"\b(?:NSW|VIC|QLD|SA|WA|TAS|NT|ACT|Vic|Qld|Tas)[ ^]{1,2}\d{4}\b(?![/.-]\d)",
        0.7,
    ),
    Rule("US state ^ ZIP (HL7)", rf"\b(?:{'|'.join(US_STATES_ZIP)})\^\d{{5}}(?:-\d{{4}})?\b", 0.7),
    Rule(
        "street line, any case, unit prefix",
        rf"(?:\b(?i:flat|unit|apt|apartment|suite|shop|lot)\.? ?[\w/]+,? )?"
        rf"\b\d{{1,6}}[A-Za-z]?(?:/\d{{1,5}}[A-Za-z]?)?,? (?:(?i:[NSEW]|N[EW]|S[EW])\.? )?"
        rf"(?:[^\W\d_][\w'’.-]* ){{1,4}}{STREET_TYPE_WIDE}\.?"
        rf"(?: (?i:apt|unit|suite|flat)\.? ?\w+)?{_ADDR_END}",
        0.7,
        check=_street_line,
    ),
    Rule(
        "address field",
        r"(?im)^[ \t]*(?:home |postal |residential |patient )?(?:address|addr)[ \t]*:[ \t]*(?P<a>[^\n]*\w)",
        0.8,
        "a",
    ),
    Rule(
        "HL7 PID-11 address",
        r"(?m)^PID\|(?:[^|\n]*\|){10}(?P<a>[^|\n]*[^\W_][^|\n]*)",
        0.85,
        "a",
    ),
]
RULES["PHONE_NUMBER"] += [
    Rule(
        "bleep or pager number",
        r"(?i:\b(?:bleep|bleeper|pager|beeper|ext|extn|extension|paged(?: at| on| to| via)?|bleeped(?: on| at)?)\b\.?:?"
        r"\s*(?:no\.?|number|#)?\s*)"
        r"(?P<p>\d(?:-?\d){2,5})(?![\d/.:])",
        0.7,
        "p",
    ),
    Rule(
        "Commonwealth phone (area code 0x)",
        r"(?<![\w+.-])(?:\+\d{1,3} ?(?:\(0\) ?)?\d{1,4}|\(0\d{1,4}\)|0\d{1,4})[ -]\d{3,4}[ -]?\d{3,4}(?![\w-]|\.\d)",
        0.6,
    ),
    Rule(
        "HL7 PID-13/14 phone",
        r"(?m)^PID\|(?:[^|\n]*\|){12}(?P<p>[^|\n]*\d[^|\n]*)",
        0.8,
        "p",
    ),
]
RULES["MEDICAL_ID"] += [
    Rule(
        "number after any 'No'/'#' label",
        r"(?i:\b[a-z][a-z./&]{0,14}[ \t]?(?:no\.?|number|num|#))[ \t]*[:#]?[ \t]*"
        r"(?P<id>[A-Z]{0,4}[ -]?\d[\d -]{2,}\d[A-Z]?\b|[A-Z0-9]*\d[A-Z0-9]*(?:[./-][A-Z0-9]+)+|[A-Z]{1,4}\d{3,}[A-Z]?)",
        0.7,
        "id",
        check=lambda t, s, e: sum(c.isdigit() for c in t[s:e]) >= 4,
    ),
    Rule(
        "number after a short capital label",
        r"(?<![\w.])(?P<label>[A-Z]{2,6})[ \t]*(?:#[ \t]*)?:?[ \t]+(?P<id>[A-Z]{0,4} ?\d[\d ]{3,}\d(?: ?[A-Z])?\b|"
        r"[A-Z]{1,4}\d{4,}[A-Z]?\b|\d{5,}[A-Z]?\b)",
        0.6,
        "id",
        check=lambda t, s, e: (
            sum(c.isdigit() for c in t[s:e]) >= 5
            and not _measure_label(re.findall(r"[A-Za-z]+", t[max(0, s - 12) : s])[-1])
            and not re.fullmatch(r"\d{1,2},? (?:19|20)\d\d", t[s:e])
        ),
    ),
    Rule(
        "accession with a slash or dashes",
        r"(?<![\w/.-])(?=[A-Z0-9/-]*\d{5})[A-Z]{1,4}\d{2}/\d{4,}\b|(?<![\w/.-])\d{2}-\d{2}-\d{2}-\d\b",
        0.6,
    ),
    Rule("HL7 PID-3 patient id", r"(?m)^PID\|[^|\n]*\|[^|\n]*\|(?P<id>[^|\n^]*\d[^|\n^]*)", 0.85, "id"),
    Rule(
        "HL7 XCN provider id",
        r"(?<=[|~])(?P<id>\d{3,})(?=\^[^\W\d_])",
        0.7,
        "id",
    ),
]
RULES["DATE_TIME"] += [
    Rule(
        "dotted or h time after at/time",
        r"(?i:(?:\b(?:at|time|until|from|by|around|approx\.?)\s*:?\s*|@\s*))"
        r"(?P<t>(?:[01]?\d|2[0-3])\.[0-5]\d(?:\s?(?:am|pm|a\.m\.|p\.m\.|h|hrs)\b)?)(?!\d|\.\d|\s?(?:cm|mm|x)\b)",
        0.65,
        "t",
    ),
    Rule(
        "dotted time after a date",
        rf"(?:\b\d{{1,4}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\b\d{{1,2}}(?:st|nd|rd|th)?(?: of)? {MON},? \d{{4}}|"
        rf"\b\d{{1,2}}-{MON}-\d{{2,4}}|\b{MON} \d{{1,2}},? \d{{4}})[ \t]+(?:at[ \t]+|@[ \t]*)?"
        rf"(?P<t>(?:[01]?\d|2[0-3])\.[0-5]\d)(?!\d|\.\d|\s?(?:cm|mm|x)\b)",
        0.65,
        "t",
    ),
    Rule(
        "weekday and day/month",
        rf"\b{WEEKDAY},? (?P<d>\d{{1,2}}[/.-]\d{{1,2}})(?![/.-]?\d)",
        0.7,
        check=lambda t, s, e: _valid_day_month(re.split(r"[ ,]+", t[s:e])[-1]),
    ),
    Rule(
        "month-year with a hyphen",
        rf"\b(?:{'|'.join(m[:3] for m in _MONTHS)}|Sept)-(?:\d{{2}}|\d{{4}})\b(?![-/]\d)",
        0.7,
    ),
    Rule("clock time with a/p", r"(?<![\d:.])(?:[01]?\d|2[0-3]):[0-5]\d[aApP]\b", 0.7),
]
RULES["AGE_OVER_89"] += [
    Rule(
        "age in parentheses after a birth date or name",
        r"\((?P<a>(?:9\d|1[01]\d)(?:\s?(?i:y|yo|yrs?|years?|Y))?)\)",
        0.7,
        "a",
        check=lambda t, s, e: (
            bool(re.search(r"(?i:y|yrs?|years?)$", t[s:e]))
            or bool(_AGE_CONTEXT.search(t[max(0, s - 45) : s - 1].split("\n")[-1]))
        ),
    ),
]


RULES["HOSPITAL"] += [
    Rule(
        "facility type, then its name",
        rf"\b{_FACILITY_FIRST}(?: (?:de|du|de la|of|of the))? (?P<n>{NAME_TOKEN}(?: {NAME_TOKEN})?)",
        0.7,
        check=lambda t, s, e: _named_after(t, _FACILITY_TYPE.match(t, s).end(), e),
    ),
    Rule(
        "care home, GP surgery or nursing station",
        rf"\b(?:{NAME_TOKEN} ){{1,3}}(?:{STREET_TYPE_WIDE} )?(?:Surgery|Medical Practice|Assisted Living|Nursing "
        rf"Station|Nursing and Rehab(?:ilitation)?(?: Cent(?:er|re))?|"
        rf"Rehab(?:ilitation)? and Nursing(?: Cent(?:er|re))?|"
        rf"Health Service|Multi Purpose Service|Care Home|"
        rf"Rest Home|Retirement (?:Home|Village)|Residential Care|Manor|Lodge|Aged Care|Family Health Team|"
        rf"Skilled Nursing(?: Facility)?|Internal Medicine|"
        rf"(?:Aboriginal )?Medical Service|Primary Care|Family Medicine|Health Centre|Health Center)\b",
        0.65,
        check=lambda t, s, e: rare_facility(t, s, e) or weak_facility(t, s, e),
    ),
    Rule(
        "a town's general hospital",
        rf"\b(?P<h>(?:[{UP}][{LO}'’-]+ ){{1,3}}(?:General|Private))"
        rf"(?=[ \t]*(?:$|\||\(|,|[.;)]|(?:Emergency|Radiology|Hospital|Imaging|ED)\b|"
        rf"(?:on|at|in|for|with|via|and|today|yesterday|dated|where)\b))",
        0.6,
        "h",
        check=lambda t, s, e: (
            any(fold(w) in place_lexicon() or not is_word(fold(w)) for w in t[s:e].split()[:-1])
            and not any(fold(w) in GENERIC_FACILITY_WORDS for w in t[s:e].split()[:-1])  # clinical words included
        ),
    ),
    Rule(
        "ward or unit named after a person or place",
        rf"\b(?:{NAME_TOKEN} ){{1,3}}(?:Ward|Unit|Wing|Pavilion|Suite)\b",
        0.6,
        check=_ward_name,
    ),
    Rule(
        "letterhead or footer line: a name in capitals, then a phone number",
        r"(?m)^(?P<h>[A-Z][A-Z'’&.-]+(?: (?:[A-Z][A-Z'’&.-]*|OF|AND|&)){0,5})[ \t]{2,}"
        r"(?=(?:Tel:?|Ph:?|Phone:?)?[ \t]*[+(\d][\d ().+/-]{6,}\d[ \t]*(?:$|\|))",
        0.6,
        "h",
        check=lambda t, s, e: _caps_letterhead(t[s:e]),
    ),
    Rule(
        "a saint's private or general hospital",
        rf"\b(?:St\.?|Saint|Ste\.?) {NAME_TOKEN}(?: (?:de|du|des|of|the|la|le|{NAME_TOKEN})){{0,3}}"
        rf" (?:Private|Public|General)\b",
        0.65,
    ),
    Rule(
        "Quebec health institution",
        rf"\b(?:CLSC|CHSLD|CIUSSS|CISSS|CSSS|CHU|CHUM|CHUS|CHUQ|GMF|UMF|CH|CRDS)"
        rf"(?: (?:de la|de l'|des|du|de|d')?\s?(?:[{UP}][{LO}'’-]+|[{UP}]{{2,}}[{UP}'’-]*)"
        rf"(?:-[{UP}][{LO}'’-]+)*){{1,4}}",
        0.65,
        check=lambda t, s, e: distinctive_facility(t, s, e) and len(t[s:e].split()) > 1,
    ),
    Rule(
        "health system and its district",
        rf"\b(?:Te Whatu Ora|Health New Zealand|Health NZ|NHS|Kaiser Permanente|VA|Veterans Affairs|Alberta Health "
        rf"Services|Queensland Health|NSW Health|SA Health|WA Health|Tasmanian Health Service|HSE)(?: [-–])?"
        rf"(?: (?:[{UP}][{LO}'’ā-ū-]+|[{UP}]{{2,}})){{1,3}}",
        0.6,
        check=lambda t, s, e: _health_district(t, s, e),
    ),
    Rule(
        "a saint's facility",
        r"\b(?:St\.?|Saint|Ste\.?|ST\.?|SAINT|STE\.?) (?:[A-Z][a-z]+|[A-Z]{2,})(?:[-][A-Z][A-Za-z]+)?['’][sS]\b",
        0.65,
        check=lambda t, s, e: (
            not re.match(r"\s*(?:[A-Z][a-z]+ )?(?i:disease|syndrome|sign|dance|fire|wort|day|eve|feast)\b", t[e:])
        ),
    ),
    Rule(
        "ward, unit or source named in a header field",
        rf"(?m)(?:^|[ \t]{{2,}}|\t|\|[ \t]*)(?i:ward|source|location|loc|unit|bed location)[ \t]*:[ \t]*"
        rf"(?P<w>{_FIELD_VALUE})(?=[ \t]*(?:$|,|\||[ \t]{{2,}}|\t))",
        0.6,
        "w",
        check=lambda t, s, e: _field_ward(t[s:e]),
    ),
    Rule(
        "ward or practice after a requesting clinician",
        rf"(?m)\b(?i:requested by|requesting(?: clinician| doctor)?|referrer|referred by|"
        rf"referring(?: clinician| doctor)?)[ \t]*:?[ \t]*"
        rf"(?:(?i:dr|mr|mrs|ms|miss|prof)\.?[ \t]+)?(?:{NAME}|{NAME_CAPS}|{NAME_UPPER}|{_UPW})"
        rf"(?:[ \t]*(?:,|\|)[ \t]*|[ \t]{{2,}})(?P<w>{_FIELD_VALUE})(?=[ \t]*(?:$|\||,|[ \t]{{2,}}|\t))",
        0.6,
        "w",
        check=lambda t, s, e: _field_ward(t[s:e]) and not _given_after_comma(t, s, e),
    ),
    Rule(
        "facility before its department",
        rf"(?m)(?:^|(?<=[-–:] ))(?P<h>(?:St\.? |Saint )?{NAME_TOKEN}(?: (?:{NAME_TOKEN}|of|the|and|&)){{0,4}})"
        rf" (?=(?:Emergency|Radiology|Medical Imaging|Imaging|X-[Rr]ay) Department\b|Department of Radiology\b)",
        0.6,
        "h",
        check=lambda t, s, e: (
            rare_facility(t, s, e)
            or any(fold(w) in place_lexicon() and fold(w) not in GENERIC_FACILITY_WORDS for w in t[s:e].split())
        ),
    ),
    Rule(
        "HL7 MSH-4/6 facility and PV1-3 location",
        r"(?m)^MSH\|[^|\n]*\|[^|\n]*\|(?P<a>[^|\n]*[^\W\d_][^|\n]*)\|[^|\n]*\|(?P<b>[^|\n]*[^\W\d_][^|\n]*)|"
        r"^PV1\|[^|\n]*\|[^|\n]*\|(?P<c>[^|\n^]*[^\W\d_][^|\n^]*)",
        0.8,
        ("a", "b", "c"),
    ),
]


RULES["EMAIL_ADDRESS"] = [
    # Presidio's own e-mail recognizer checks the domain against its public-suffix snapshot and misses some
    # ("...@sa.gov.au"); an address shape is an identifier whatever its suffix.
    Rule("e-mail address", r"(?<![\w.+-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}\b", 0.8),
]
RULES["LOCATION"] += [
    Rule(
        "known place after in/from/near",
        rf"(?i:\b(?:in|from|near))\s+(?P<l>[{UP}][{LO}'’-]+(?: [{UP}][{LO}'’-]+)?)(?![\w'’-])",
        0.6,
        "l",
        check=lambda t, s, e: _known_place(t, s, e),
    ),
    Rule(
        "Irish county",
        r"\b(?:Co\.|County) (?:[A-Z][a-z]+)\b",
        0.65,
        check=lambda t, s, e: fold(t[s:e].split()[-1]) in place_lexicon(),
    ),
]


RULES["PERSON"] += [
    Rule(
        "name heading a line before a birth date",
        r"(?m)^[ \t]*(?P<n>[^\W\d_][\w'’-]*(?:,? ?[^\W\d_][\w'’-]*){1,3})"
        r"(?=[ \t]*(?:\||[ \t]{2,}|\t)[ \t]*(?:\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}|(?i:mrn|mr ?#|mr no|dob|d\.o\.b|"
        r"nhs|nhi|chi|urn|ur no|hosp(?:ital)? (?:no|number|id)|case no|patient id)\b))",
        0.7,
        "n",
        check=_header_name,
    ),
    Rule(
        "capital name after a care role",
        r"(?i:\b(?:radiographer|sonographer|technologist|tech|nurse|sister|matron|midwife|porter|physio|"
        r"physiotherapist|chaperone|interpreter|carer|nok|kin))\s+(?P<n>[A-Z][A-Z'’-]{2,}(?: [A-Z][A-Z'’-]{2,})?)\b",
        0.6,
        "n",
        check=_role_name,
    ),
    Rule(
        "HL7 XCN name after its id",
        r"(?<=[|~])\d{3,}\^(?P<n>[^\W\d_][^|^\n]*\^[^|^\n]*(?:\^[^|^\n]*)?)",
        0.8,
        "n",
    ),
    Rule(
        "transcription initials",
        r"(?m)^(?P<a>[A-Z]{2,4})[:/](?P<b>[a-z]{2,4})\b",
        0.6,
        ("a", "b"),
        check=_transcription_initials,
    ),
    Rule(
        "initials after a typing/transcription label",
        r"(?i:\b(?:typed|transcribed|typist|transcriptionist|scribe|dictated|secretary)(?: by)?)\s*:?\s*"
        r"(?P<n>[A-Z]{2,3})\b",
        0.6,
        "n",
        check=lambda t, s, e: fold(t[s:e]) not in _CLINICAL_ACRONYMS,
    ),
]

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
