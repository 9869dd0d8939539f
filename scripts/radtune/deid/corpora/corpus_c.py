"""Corpus C: a third, blind de-identification evaluation corpus of seeded radiology reports with planted identifiers.

WRITTEN BLIND, NEVER TUNE AGAINST IT. This generator was written from a style description and general knowledge of
hospital reports without reading radtune.deid.recognizers, radtune.deid.engine, their tests or the allow-list, and it
has never
been run through the de-identifier. The recognizer owner measures it once; after that, as with corpus B
(radtune.deid.corpora.heldout): do not print its missed strings into recognizer work, do not add its frames, names or
places to recognizer tests or to the allow-list, and if it is ever used for tuning it stops being blind: write a new
one. Its word lists and sentence frames are data files under corpus_c_data/ (see README.md there), not code.

    texts, gold = generate_corpus_c(600)   # gold[i]: GoldSpan(start, end, kind) in texts[i]

Style: each report is one of three settings, so that formats differ from corpora A and B.
- cw: a UK / Irish / Australian / New Zealand / Canadian teaching hospital: NHS, CHI, Medicare, IHI, NHI, PPSN and
  provincial health-card numbers, "Hosp No" / "Unit No" / "K number" / "UR", dd/mm dates, "Consultant
  Radiologist", "Specialist Registrar", bleeps, GP surgeries, care homes, named wards, postcodes and Eircodes.
- us: a US community-hospital ED / inpatient report with speech-recognition artefacts: lower-case lines (names
  included), "period" for full stops, dropped punctuation, a few mis-heard words, "new paragraph" headers,
  m/d dates and month/day without a year ("the 4/17 study", "seen on 11-2", "since 3.14"), DD/DT stamps and
  "JT/mk" initials.
- ris: a legacy RIS export: capital headers (often the whole report in capitals), pipe- and tab-separated header
  lines, DICOM "FAMILY^GIVEN^MIDDLE" person names, HL7-like MSH/PID/PV1/OBR/OBX fragments, yyyymmdd stamps.
Names come from hand-written given and family lists by origin (Yoruba, Igbo, Hausa, Tamil, Telugu, Malayalam,
Bengali, Somali, Amharic/Tigrinya, Pashto/Dari, Filipino, Samoan, Tongan, Maori, Hmong, Khmer, Lao, Thai,
Armenian, Georgian, Haitian, Indigenous Australian, First Nations and Inuit, Scottish, Welsh, Cornish, Irish,
Dutch/Flemish/Afrikaans, Portuguese/Brazilian, Quechua, Polish, Czech, Hungarian, Romanian, Vietnamese, Malay,
uncommon English surnames, and given names that are ordinary words such as Hope, Will, Grant or Pearl) and from a
seeded generator that joins morphemes of the same origin, so a full name is about as rare across reports as in a
hospital. The clinical text is exam-specific (21 examinations) with eponyms, scores, vertebral levels, ratios,
clock-face positions and device names, so that over-redaction is measured on realistic text.

Kinds (as corpus B): PERSON, DATE, ID, PHONE, EMAIL, URL, ADDRESS, LOCATION, HOSPITAL, AGE. Conventions:
- PERSON: the name only, never a title ("Dr", "Sister"), a role or kinship word, a credential or a possessive "'s";
  a given name alone after a kinship or role word, initials ("JT/mk"), DICOM and lower-case names all count.
- DATE: any date more specific than a year (with its year when written), month-year, month/day without a year,
  a weekday when it is written as part of a date, any time of day, date-time stamps. A date and a time separated by
  a space or a word are two spans. Not annotated: a year alone ("since 2015"), relative phrases ("yesterday",
  "earlier today", "last Tuesday"), durations, clock-face positions ("at 2 o'clock" in a breast), unit words after
  a time ("1430 hrs": only "1430").
- ID: national and hospital numbers, accession, visit, order, message and job numbers, insurance member numbers,
  registration numbers (GMC, AHPRA, NPI), provider ids, device serial numbers, DICOM UIDs.
- PHONE: phone, mobile, fax, extension and bleep/pager numbers (the digits, not "bleep" or "ext").
- ADDRESS: a street line (flat/unit included), a postcode or Eircode, and a US/Australian/Canadian state or
  province written with its ZIP/postcode ("LA 70570", "NSW 2750") as one span.
- LOCATION: a town or suburb, and an Irish county with its "Co." ("Co. Clare").
- HOSPITAL: the reporting hospital, outside hospitals, GP surgeries, clinics and care homes, and NAMED wards: a
  ward named after a person, bird, tree or river ("Nightingale Ward", "Kingfisher") is a HOSPITAL identifier, with
  the word "Ward" when written; numbered or functional wards ("Ward 7B", "AMU", "ICU", "A&E Resus") are plain text.
- AGE: 90 and over only (the number or number words, not "yo" / "year old"); younger ages are plain text.
Deterministic per seed: one random.Random, data read in file order, no set or hash iteration order.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from radtune.deid.corpora.heldout import KINDS, GoldSpan, Part, SeededPicker, render

__all__ = ["CORPUS_C_SEED", "KINDS", "GoldSpan", "Part", "generate_corpus_c", "render"]

# differs from corpus B's and from the seeds used with radtune.deid.corpora.synthetic; change with a new version
CORPUS_C_SEED = 905_113
DATA_DIR = Path(__file__).with_name("corpus_c_data")
SETTINGS = ("cw", "us", "ris")
SETTING_WEIGHTS = (0.42, 0.34, 0.24)
CW_COUNTRIES = ("uk", "uk", "uk", "uk", "ie", "au", "au", "nz", "ca")
RIS_COUNTRIES = ("us", "us", "uk", "au", "ca")

_MONTHS = "January February March April May June July August September October November December".split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_ONES = "zero one two three four five six seven eight nine".split()
_UPPER = "ABCDEFGHJKLMNPRSTUVWXYZ"
_SLOT = re.compile(r"\{(\w+)\}")
_ZIP_FIRST = (  # US states by the first digit of their ZIP codes
    "CT MA ME NH NJ RI VT",
    "DE NY PA",
    "DC MD NC SC VA WV",
    "AL FL GA MS TN",
    "IN KY MI OH",
    "IA MN MT ND SD WI",
    "IL KS MO NE",
    "AR LA OK TX",
    "AZ CO ID NM NV UT WY",
    "AK CA HI OR WA",
)


# ---- data files ---------------------------------------------------------------------------------------------------
def _groups(name: str) -> dict[str, list[str]]:
    """A text file of "[group]" headers and one item a line ('#' comments and blank lines skipped)."""
    out: dict[str, list[str]] = {}
    group = ""
    for raw in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1]
            out.setdefault(group, [])
        else:
            out.setdefault(group, []).append(line)
    return out


def _lines(name: str) -> list[str]:
    return _groups(name)[""]


def _json(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class _Data:
    given: dict[str, list[str]]
    family: dict[str, list[str]]
    morphemes: dict[str, list[list[str]]]
    towns: dict[str, list[tuple[str, str]]]
    streets: dict[str, list[str]]
    facilities: dict[str, Any]
    places: dict[str, list[str]]
    wards: list[str]
    web: dict[str, Any]
    frames: dict[str, Any]
    exams: list[dict[str, Any]]
    impression_extra: dict[str, list[str]]


@cache
def _data() -> _Data:
    towns = {
        country: [(t.split("|")[0], t.split("|")[1] if "|" in t else "") for t in items]
        for country, items in _groups("towns.txt").items()
    }
    morphemes = {k: v for k, v in _json("family_morphemes.json").items() if not k.startswith("_")}
    clinical = _json("clinical.json")
    return _Data(
        given=_groups("given_names.txt"),
        family=_groups("family_names.txt"),
        morphemes=morphemes,
        towns=towns,
        streets=_groups("streets.txt"),
        facilities=_json("facilities.json"),
        places=_groups("facility_places.txt"),
        wards=_lines("wards.txt"),
        web=_json("web.json"),
        frames=_json("frames.json"),
        exams=clinical["exams"],
        impression_extra=clinical["impression_extra"],
    )


# ---- people -------------------------------------------------------------------------------------------------------
@dataclass
class _Person:
    given: str
    middle: str
    family: str
    origin: str

    @property
    def gi(self) -> str:
        return self.given[0].upper()

    @property
    def mi(self) -> str:
        return self.middle[0].upper() if self.middle else ""


def _ascii(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and c.isalnum()).lower()


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _luhn_digit(body: str) -> str:
    total = 0
    for i, c in enumerate(reversed(body)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


def _number_words(n: int) -> str:
    if n < 100:
        return "ninety" + ("" if n == 90 else "-" + _ONES[n - 90])
    return "one hundred" + ("" if n == 100 else " and " + _ONES[n - 100])


class _Gen(SeededPicker):
    """Slot fillers (s_<slot>) and report state; every method returns a list of (text, kind) parts."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.d = _data()
        origins = list(self.d.family)
        self.origins = origins
        weights = [0.10 if o == "anglo" else 0.05 if o == "english_word" else 1.0 for o in origins]
        rest = sum(w for o, w in zip(origins, weights, strict=True) if o not in ("anglo", "english_word"))
        self.origin_weights = [
            w if o in ("anglo", "english_word") else 0.85 * w / rest for o, w in zip(origins, weights, strict=True)
        ]
        self.shown_full: list[tuple[str, str]] = []  # (given, family) of every person rendered with both names
        self.shown_family: list[str] = []  # family name of every person rendered with it
        self.setting = "cw"
        self.country = "uk"

    # -- helpers (pick, chance, digits, letters): radtune.deid.corpora.heldout.SeededPicker
    def fill(self, frame: str) -> list[Part]:
        parts: list[Part] = []
        for i, piece in enumerate(_SLOT.split(frame)):
            if i % 2 == 0:
                if piece:
                    parts.append((piece, None))
            else:
                parts.extend(self.slot(piece))
        return parts

    def slot(self, name: str) -> list[Part]:
        case: Callable[[str], str] | None = None
        if name.endswith("_upper"):
            name, case = name[: -len("_upper")], str.upper
        elif name.endswith("_lower"):
            name, case = name[: -len("_lower")], str.lower
        fn = getattr(self, "s_" + name, None)
        if fn is None:
            raise KeyError(f"corpus C frame uses an unknown slot {{{name}}}")
        parts = fn()
        return [(case(t), k) for t, k in parts] if case else parts

    # -- names
    def _generated_family(self, origin: str) -> str:
        name = "".join(self.pick(part) for part in self.d.morphemes[origin])
        return name if name[:1].islower() else name[:1].upper() + name[1:]

    def _simple_family(self, origin: str) -> str:
        if origin in self.d.morphemes and self.chance(0.55):
            return self._generated_family(origin)
        return self.pick(self.d.family[origin])

    def family_name(self, origin: str) -> str:
        """A family name of that origin; now and then double-barrelled (hyphen), or two surnames with a space
        where the origin writes them so (Andean, Portuguese, Filipino)."""
        name = self._simple_family(origin)
        if origin != "english_word" and self.chance(0.07) and " " not in name and name[:1].isupper():
            spaced = origin in ("quechua", "lusophone", "filipino") and self.chance(0.6)
            other = self._simple_family(origin if spaced or self.chance(0.7) else self.pick(self.origins))
            if " " not in other and other[:1].isupper() and other != name:
                name = f"{name}{' ' if spaced else '-'}{other}"
        return name

    def given_name(self, origin: str) -> str:
        if origin in self.d.given and (origin == "malay" or self.chance(0.85)):
            return self.pick(self.d.given[origin])
        pool = self.pick(["anglo", "english_word", self.pick(list(self.d.given))])
        return self.pick(self.d.given[pool])

    def person(self, origin: str | None = None) -> _Person:
        if origin is None:
            origin = self.r.choices(self.origins, self.origin_weights)[0]
        given = self.given_name(origin)
        middle = self.given_name(origin) if self.chance(0.35) else ""
        if middle == given or " " in given:
            middle = ""
        return _Person(given, middle, self.family_name(origin), origin)

    def _shown(self, p: _Person, given: bool, family: bool) -> None:
        if family:
            self.shown_family.append(p.family)
        if given and family:
            self.shown_full.append((p.given, p.family))

    def initials(self, p: _Person, n: int = 2) -> str:
        """Two or three capital initials that never read as a clinical abbreviation or credential."""
        bad = self.d.frames["not_initials"]
        cands = [p.gi + p.family.lstrip("'").split()[-1][0].upper()]
        if p.middle:
            cands.insert(0 if n == 3 else 1, p.gi + p.mi + p.family.split()[-1][0].upper())
        cands.append(p.gi + self.pick(_UPPER) + p.family.split()[-1][0].upper())
        for c in cands:
            if c not in bad:
                return c
        return cands[-1]

    def name_parts(self, p: _Person, style: str) -> list[Part]:
        """One rendering of a person; the PERSON span never includes a title, role or credential."""
        g, m, f = p.given, p.middle, p.family
        given, family = True, True
        if style == "gf":
            s = f"{g} {f}"
        elif style == "gmf":
            s = f"{g} {p.mi}. {f}" if m and self.chance(0.6) else f"{g} {m + ' ' if m else ''}{f}"
        elif style == "f,g":
            s = f"{f}, {g}"
        elif style == "f,gm":
            s = f"{f}, {g}{' ' + p.mi if m else ''}"
        elif style == "F,g":
            s = f"{f.upper()}, {g}"
        elif style == "F,G":
            s = f"{f.upper()}, {g.upper()}" if self.chance(0.7) else f"{f.upper()},{g.upper()}"
        elif style == "F g":
            s = f"{f.upper()} {g}"
        elif style == "g F":
            s = f"{g} {f.upper()}"
        elif style == "G.f":
            s = f"{p.gi}. {f}" if self.chance(0.6) else f"{p.gi}.{p.mi + '.' if m else ''} {f}"
            given = False
        elif style == "f G":
            s = f"{f} {p.gi}{p.mi}"
            given = False
        elif style == "GF":
            s = f"{g} {f}".upper()
        elif style == "dicom":
            s = f"{f}^{g}".upper() + (f"^{m}".upper() if m and self.chance(0.5) else "")
        elif style == "f":
            s, given = f, False
        elif style == "g":
            s, family = g, False
        elif style == "ini":
            s, given, family = self.initials(p, 3 if self.chance(0.3) else 2), False, False
            if self.chance(0.3):
                s = ".".join(s) + "."
        else:
            raise ValueError(style)
        self._shown(p, given, family)
        return [(s, "PERSON")]

    def styled(self, p: _Person, styles: Sequence[str], weights: Sequence[float]) -> list[Part]:
        return self.name_parts(p, self.r.choices(list(styles), list(weights))[0])

    def _title_doctor(self) -> str:
        return self.pick(self.d.frames["doctor_titles"][self.setting])

    # -- report-level state
    def start_report(self) -> None:
        self.setting = self.r.choices(SETTINGS, SETTING_WEIGHTS)[0]
        self.country = {"cw": self.pick(CW_COUNTRIES), "us": "us", "ris": self.pick(RIS_COUNTRIES)}[self.setting]
        self.exam = self.pick(self.d.exams)
        self.side = self.pick(["left", "right"])
        if self.exam["key"] == "mammo":
            self.sex = "F"
        elif self.exam["key"] == "prostate":
            self.sex = "M"
        else:
            self.sex = self.pick(["F", "M"])
        if self.exam["key"] == "paeds":
            self.age = self.r.randrange(1, 17)
        elif self.chance(0.3):
            self.age = self.r.randrange(90, 104) if self.chance(0.93) else self.r.randrange(104, 109)
        else:
            self.age = self.r.randrange(19, 90)
        self.exam_day = dt.date(2004, 1, 1) + dt.timedelta(days=self.r.randrange(7_900))
        self.exam_hm = (self.r.randrange(24), self.r.randrange(60))
        e = self.exam_day
        day = min(e.day, 28) if e.month == 2 else e.day
        latest = dt.date(e.year - self.age, e.month, day)  # born on or before: aged self.age at the exam
        earliest = dt.date(e.year - self.age - 1, e.month, day) + dt.timedelta(days=1)
        self.dob = earliest + dt.timedelta(days=self.r.randrange((latest - earliest).days + 1))
        self.patient = self.person()
        self.rad = self.person()
        self.reg = self.person()
        self.home_name, self.home_short = self._facility("home")

    # -- persons (slots)
    def s_pt(self) -> list[Part]:
        p = self.patient
        if self.setting == "cw":
            if self.chance(0.12):
                return [(self.pick(self.d.frames["patient_titles"]) + " ", None), *self.name_parts(p, "gf")]
            return self.styled(p, ["F,g", "f,g", "g F", "F g", "gf", "F,G"], [35, 20, 15, 10, 10, 10])
        if self.setting == "us":
            return self.styled(p, ["f,gm", "F,G", "gmf", "gf", "f,g"], [40, 20, 15, 15, 10])
        return self.styled(p, ["F,G", "GF", "F g"], [50, 30, 20])

    def s_pt_given(self) -> list[Part]:
        return self.name_parts(self.patient, "g")

    def s_pt_sur(self) -> list[Part]:
        return self.name_parts(self.patient, "f")

    def s_pt_ref(self) -> list[Part]:
        if self.chance(0.2):
            return self.name_parts(self.patient, "g")
        title = self.pick(["Mr", "Mr."]) if self.sex == "M" else self.pick(["Mrs", "Ms", "Miss", "Mrs."])
        return [(title + " ", None), *self.name_parts(self.patient, "f")]

    def s_pt_dicom(self) -> list[Part]:
        return self.name_parts(self.patient, "dicom")

    def s_dr(self) -> list[Part]:
        p = self.person()
        title = self._title_doctor()
        return [(title + " ", None), *self.styled(p, ["f", "G.f", "gf", "f G"], [35, 15, 40, 10])]

    def s_dr_poss(self) -> list[Part]:
        p = self.person()
        return [(self._title_doctor() + " ", None), *self.name_parts(p, "f"), ("'s", None)]

    def s_doc(self) -> list[Part]:
        styles = ["gf", "G.f", "gmf", "f G", "F g", "g F", "GF", "f,g"]
        return self.styled(self.person(), styles, [35, 15, 10, 10, 5, 5, 5, 15])

    def s_doc_inv(self) -> list[Part]:
        return self.styled(self.person(), ["f,g", "F,g", "f,gm"], [50, 25, 25])

    def s_doc_dicom(self) -> list[Part]:
        return [*self.name_parts(self.person(), "dicom"), (self.pick(["", "^^DR", "^^^MD", "^^^^MD"]), None)]

    def s_docid(self) -> list[Part]:
        return [(self.digits(self.r.choice([5, 6, 7])), "ID")]

    def s_staff(self) -> list[Part]:
        p = self.person()
        title = self.pick(self.d.frames["staff_titles"])
        if title == "RN":
            return [*self.name_parts(p, "gf"), (", RN", None)]
        style = "g" if title == "tech" else self.r.choices(["g", "f", "gf"], [25, 30, 45])[0]
        return [(title + " ", None), *self.name_parts(p, style)]

    def s_kin(self) -> list[Part]:
        p = self.person()
        word = self.pick(self.d.frames["kin_words"])
        k = self.r.random()
        if k < 0.55:
            return [(word + " ", None), *self.name_parts(p, "g")]
        if k < 0.75:
            return [*self.name_parts(p, "g"), (f" ({word})", None)]
        return [(word + " ", None), *self.name_parts(p, "gf")]

    def s_nok(self) -> list[Part]:
        p = self.person()
        word = self.pick(self.d.frames["kin_words"][:16])
        return [*self.styled(p, ["gf", "g", "F,g"], [50, 30, 20]), (f" ({word}) ", None), *self.s_mobile()]

    def s_given(self) -> list[Part]:
        return self.name_parts(self.person(), "g")

    def s_sur(self) -> list[Part]:
        return self.name_parts(self.person(), "f")

    def s_reg(self) -> list[Part]:
        return [(self.pick(["Dr ", "Dr ", ""]), None), *self.styled(self.reg, ["gf", "G.f", "f"], [60, 25, 15])]

    def s_reg_ref(self) -> list[Part]:
        return [("Dr ", None), *self.name_parts(self.reg, "f"), (self.pick([" (SpR)", " (registrar)", ""]), None)]

    def s_rad(self) -> list[Part]:
        p = self.rad
        if self.setting == "cw":
            title = self.pick(["Dr ", "Dr ", "Dr ", "Prof ", ""])
            return [(title, None), *self.styled(p, ["gf", "G.f", "g F", "gmf"], [50, 20, 15, 15])]
        if self.setting == "us":
            return self.styled(p, ["gmf", "gf", "G.f"], [50, 35, 15])
        return self.styled(p, ["GF", "F,G"], [60, 40])

    def s_rad_title(self) -> list[Part]:
        return [(self.pick(["Dr ", "Dr ", "Prof "]), None), *self.styled(self.rad, ["f", "G.f", "gf"], [30, 30, 40])]

    def s_rad_ini(self) -> list[Part]:
        return [(self.initials(self.rad), "PERSON")]

    def s_rad_inv(self) -> list[Part]:
        return self.styled(self.rad, ["f,g", "F,g", "f,gm"], [40, 30, 30])

    def s_rad_dicom(self) -> list[Part]:
        return [*self.name_parts(self.rad, "dicom"), (self.pick(["", "^^DR", "^^^MD"]), None)]

    def s_ini(self) -> list[Part]:
        return self.name_parts(self.person(), "ini")

    def s_typist(self) -> list[Part]:
        p = self.person()
        return [(self.initials(p).lower(), "PERSON")]

    def s_typist_full(self) -> list[Part]:
        return self.styled(self.person(), ["gf", "G.f"], [60, 40])

    # -- dates and times (slots)
    def _near(self, back: int = 1500) -> dt.date:
        return self.exam_day - dt.timedelta(days=self.r.randrange(1, back))

    def _numeric(self, d: dt.date) -> str:
        y, m, dd, yy = d.year, d.month, d.day, d.year % 100
        if self.country == "us":
            forms = [
                f"{m}/{dd}/{y}",
                f"{m:02d}/{dd:02d}/{y}",
                f"{m}/{dd}/{yy:02d}",
                f"{m}-{dd}-{y}",
                f"{m:02d}-{dd:02d}-{yy:02d}",
            ]
        elif self.country == "ca" and self.chance(0.4):
            forms = [f"{y}-{m:02d}-{dd:02d}", f"{y}/{m:02d}/{dd:02d}"]
        else:
            forms = [
                f"{dd:02d}/{m:02d}/{y}",
                f"{dd}/{m}/{y}",
                f"{dd:02d}/{m:02d}/{yy:02d}",
                f"{dd:02d}.{m:02d}.{yy:02d}",
            ]
            forms += [f"{dd}.{m}.{y}", f"{y}-{m:02d}-{dd:02d}", f"{dd:02d}-{m:02d}-{y}"]
        return self.pick(forms)

    def _named(self, d: dt.date, year: bool = True) -> str:
        mon = _MONTHS[d.month - 1]
        ab = "Sept" if mon == "September" and self.chance(0.3) else mon[:3]
        y = d.year
        if self.country == "us" or (self.country == "ca" and self.chance(0.5)):
            forms = [
                f"{mon} {d.day}, {y}",
                f"{ab} {d.day}, {y}",
                f"{ab}. {d.day}, {y}",
                f"{mon} {_ordinal(d.day)}, {y}",
            ]
            short = [f"{ab} {d.day}", f"{mon} {_ordinal(d.day)}", f"{mon} {d.day}"]
        else:
            forms = [
                f"{d.day} {mon} {y}",
                f"{_ordinal(d.day)} {mon} {y}",
                f"{d.day} {ab} {y}",
                f"{d.day:02d}-{ab.upper()}-{y}",
            ]
            forms += [f"{_ordinal(d.day)} of {mon} {y}", f"{d.day} {ab} {y % 100:02d}"]
            short = [f"{_ordinal(d.day)} of {mon}", f"{d.day} {mon}", f"{_ordinal(d.day)} {mon}", f"{d.day} {ab}"]
        return self.pick(forms if year else short)

    def _date_str(self, d: dt.date) -> str:
        if self.setting == "ris":
            y, m, dd = d.year, d.month, d.day
            return self.pick(
                [
                    f"{dd:02d}-{_MONTHS[m - 1][:3].upper()}-{y}",
                    f"{dd:02d}{_MONTHS[m - 1][:3].upper()}{y % 100:02d}",
                    f"{y}-{m:02d}-{dd:02d}",
                    f"{y}/{m:02d}/{dd:02d}",
                    self._numeric(d),
                ]
            )
        return self._numeric(d) if self.chance(0.7) else self._named(d)

    def _time_str(self, hm: tuple[int, int] | None = None) -> tuple[str, str]:
        """(time, unit word after it): the unit word is plain text."""
        h, m = hm if hm is not None else (self.r.randrange(24), self.r.randrange(60))
        h12, ap = h % 12 or 12, "am" if h < 12 else "pm"
        if self.country == "us":
            forms = [
                (f"{h12}:{m:02d} {ap.upper()}", ""),
                (f"{h12}:{m:02d} {ap}", ""),
                (f"{h12}:{m:02d}{ap[0]}", ""),
                (f"{h:02d}{m:02d}", " hours"),
                (f"{h:02d}:{m:02d}", ""),
                (f"{h12}{ap}", ""),
            ]
        elif self.setting == "ris":
            forms = [
                (f"{h:02d}:{m:02d}", ""),
                (f"{h:02d}{m:02d}", ""),
                (f"{h:02d}:{m:02d}:{self.r.randrange(60):02d}", ""),
            ]
        else:
            forms = [
                (f"{h:02d}{m:02d}", ""),
                (f"{h:02d}{m:02d}", " hrs"),
                (f"{h:02d}:{m:02d}", "h"),
                (f"{h:02d}:{m:02d}", ""),
                (f"{h:02d}.{m:02d}", ""),
                (f"{h12}.{m:02d}{ap}", ""),
                (f"{h12}:{m:02d} {ap}", ""),
            ]
            if self.country == "ca":
                forms.append((f"{h}h{m:02d}", ""))
        return self.pick(forms)

    def _time_parts(self, hm: tuple[int, int] | None = None) -> list[Part]:
        t, unit = self._time_str(hm)
        return [(t, "DATE")] + ([(unit, None)] if unit else [])

    def s_date(self) -> list[Part]:
        return [(self._date_str(self._near()), "DATE")]

    def s_date_named(self) -> list[Part]:
        return [(self._named(self._near()), "DATE")]

    def s_exam_date(self) -> list[Part]:
        return [(self._date_str(self.exam_day), "DATE")]

    def s_exam_time(self) -> list[Part]:
        return self._time_parts(self.exam_hm)

    def s_exam_dt(self) -> list[Part]:
        return [
            (self._date_str(self.exam_day), "DATE"),
            (self.pick([" ", "  ", " at ", " @ "]), None),
            *self._time_parts(self.exam_hm),
        ]

    def s_recent(self) -> list[Part]:  # an admission or visit shortly before the examination
        return [(self._date_str(self.exam_day - dt.timedelta(days=self.r.randrange(0, 10))), "DATE")]

    def s_rdate(self) -> list[Part]:  # the report date: the day of the examination or shortly after
        return [(self._date_str(self.exam_day + dt.timedelta(days=self.r.choice([0, 0, 0, 1, 2]))), "DATE")]

    def s_dt(self) -> list[Part]:
        d = self.exam_day + dt.timedelta(days=self.r.choice([0, 0, 1]))
        return [(self._date_str(d), "DATE"), (self.pick([" ", " ", " at "]), None), *self._time_parts()]

    def s_time(self) -> list[Part]:
        return self._time_parts()

    def s_dob(self) -> list[Part]:
        if self.setting == "ris" and self.chance(0.3):
            return [(f"{self.dob.year}{self.dob.month:02d}{self.dob.day:02d}", "DATE")]
        return [(self._numeric(self.dob) if self.chance(0.85) else self._named(self.dob), "DATE")]

    def s_ymd(self) -> list[Part]:
        return [(f"{self.dob.year}{self.dob.month:02d}{self.dob.day:02d}", "DATE")]

    def s_md(self) -> list[Part]:
        d = self._near(200)
        if self.chance(0.35):
            return [(self._named(d, year=False), "DATE")]
        sep = self.pick(["/", "/", "-", "."])
        if self.country == "us" or (self.country == "ca" and self.chance(0.5)):
            return [(f"{d.month}{sep}{d.day}", "DATE")]
        return [(f"{d.day}{sep}{d.month}", "DATE")]

    def s_wdate(self) -> list[Part]:
        d = self._near(60)
        wd = _WEEKDAYS[d.weekday()]
        short = wd[:3]
        if self.country == "us":
            forms = [
                f"{wd}, {self._named(d)}",
                f"{short} {d.month}/{d.day}",
                f"{wd} {d.month}/{d.day}/{d.year}",
                f"{short}, {_MONTHS[d.month - 1][:3]} {d.day}",
            ]
        else:
            forms = [
                f"{wd} {_ordinal(d.day)} {_MONTHS[d.month - 1]}",
                f"{short} {d.day:02d}/{d.month:02d}",
                f"{wd} {d.day:02d}/{d.month:02d}/{d.year}",
                f"{wd} the {_ordinal(d.day)} of {_MONTHS[d.month - 1]}",
                f"{short} {d.day} {_MONTHS[d.month - 1][:3]}",
            ]
        return [(self.pick(forms), "DATE")]

    def s_my(self) -> list[Part]:
        d = self._near(3000)
        mon = _MONTHS[d.month - 1]
        return [
            (
                self.pick(
                    [
                        f"{mon} {d.year}",
                        f"{mon[:3]} {d.year}",
                        f"{d.month:02d}/{d.year}",
                        f"{mon[:3]}-{d.year % 100:02d}",
                    ]
                ),
                "DATE",
            )
        ]

    def s_year(self) -> list[Part]:  # a year alone is plain text (HIPAA Safe Harbor keeps years)
        return [(str(self.exam_day.year - self.r.randrange(1, 25)), None)]

    def s_stamp(self) -> list[Part]:
        d, (h, m), s = self.exam_day, self.exam_hm, self.r.randrange(60)
        mon = _MONTHS[d.month - 1][:3].upper()
        k = self.r.randrange(6)
        if k == 0:
            return [(f"{d.day:02d}-{mon}-{d.year}", "DATE"), (" ", None), (f"{h:02d}:{m:02d}", "DATE")]
        if k == 1:
            return [(f"{d.year}-{d.month:02d}-{d.day:02d}", "DATE"), (" ", None), (f"{h:02d}:{m:02d}:{s:02d}", "DATE")]
        if k == 2:
            return [(f"{d.year}{d.month:02d}{d.day:02d}{h:02d}{m:02d}", "DATE")]
        if k == 3:
            return [(f"{d.year}-{d.month:02d}-{d.day:02d}T{h:02d}:{m:02d}:{s:02d}", "DATE")]
        if k == 4:
            return (
                [(f"{d.day:02d}{mon}{d.year} {h:02d}{m:02d}", "DATE")]
                if self.chance(0.3)
                else [(f"{d.day:02d}{mon}{d.year}", "DATE"), (" ", None), (f"{h:02d}{m:02d}", "DATE")]
            )
        return [(self._numeric(d), "DATE"), (" ", None), (f"{h:02d}:{m:02d}", "DATE")]

    def s_hl7ts(self) -> list[Part]:
        d, (h, m) = self.exam_day, self.exam_hm
        return [
            (
                f"{d.year}{d.month:02d}{d.day:02d}{h:02d}{m:02d}"
                + (f"{self.r.randrange(60):02d}" if self.chance(0.6) else ""),
                "DATE",
            )
        ]

    # -- ages
    def _age_words(self) -> bool:
        return self.age >= 90 and self.chance(0.15)

    def s_age_any(self) -> list[Part]:
        kind = "AGE" if self.age >= 90 else None
        unit = self.pick(["", "", "y", "Y", " yrs", " years"])
        return [(str(self.age), kind)] + ([(unit, None)] if unit else [])

    def s_age_p(self) -> list[Part]:
        kind = "AGE" if self.age >= 90 else None
        a = str(self.age)
        if self._age_words():
            w = _number_words(self.age)
            w = w.capitalize() if self.chance(0.3) else w
            return [(w, kind), (self.pick([" year old", "-year-old", " years old", "-year old"]), None)]
        k = self.r.randrange(10)
        if k == 0:
            return [("aged ", None), (a, kind)]
        if k == 1:
            return [("a ", None), (a, kind), ("-year-old", None)]
        return [
            (a, kind),
            (
                self.pick(["yo", " yo", " y/o", "-year-old", " year old", " yr old", "y.o.", " YO"]),
                None,
            ),
        ]

    def s_sex(self) -> list[Part]:
        return [(self.sex, None)]

    def s_sexword(self) -> list[Part]:
        if self.sex == "F":
            return [(self.pick(["female", "woman", "lady", "F"]), None)]
        return [(self.pick(["male", "man", "gentleman", "M"]), None)]

    # -- identifiers
    def _nhs(self) -> str:
        while True:
            body = [self.r.randrange(10) for _ in range(9)]
            check = 11 - sum(d * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
            check = 0 if check == 11 else check
            if check != 10:
                s = "".join(map(str, body)) + str(check)
                return self.pick(
                    [f"{s[:3]} {s[3:6]} {s[6:]}", f"{s[:3]} {s[3:6]} {s[6:]}", s, f"{s[:3]}-{s[3:6]}-{s[6:]}"]
                )

    def _natid(self) -> tuple[str, str]:
        c = self.country
        if c == "uk":
            if self.chance(0.25):
                d = self.dob
                s = f"{d.day:02d}{d.month:02d}{d.year % 100:02d}{self.digits(4)}"
                return self.pick(["CHI No: ", "CHI: ", "CHI number "]), self.pick([s, f"{s[:6]} {s[6:]}"])
            return self.pick(["NHS No: ", "NHS Number: ", "NHS: ", "NHS no. "]), self._nhs()
        if c == "ie":
            if self.chance(0.5):
                return self.pick(["PPSN: ", "PPS No: "]), self.digits(7) + self.pick(_UPPER) + self.pick(
                    ["", "", "A", "W"]
                )
            return self.pick(["IHI: ", "Medical Card No: "]), self.digits(9)
        if c == "au":
            k = self.r.random()
            if k < 0.55:
                body = str(self.r.randrange(2, 7)) + self.digits(7)
                check = sum(int(x) * w for x, w in zip(body, [1, 3, 7, 9, 1, 3, 7, 9], strict=True)) % 10
                s = f"{body}{check}{self.r.randrange(1, 6)}"
                return self.pick(["Medicare No: ", "Medicare: ", "MCN "]), self.pick([f"{s[:4]} {s[4:9]} {s[9]}", s])
            if k < 0.85:
                body = "800360" + self.digits(9)
                s = body + _luhn_digit(body)
                return "IHI: ", f"{s[:4]} {s[4:8]} {s[8:12]} {s[12:]}"
            return "DVA No: ", self.pick(["N", "V", "Q", "W"]) + self.pick(["X", "SS", ""]) + self.digits(6)
        if c == "nz":
            s = "".join(self.pick("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(3))
            tail = (
                self.digits(4)
                if self.chance(0.7)
                else self.digits(2) + "".join(self.pick("ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(2))
            )
            return self.pick(["NHI: ", "NHI No: ", "NHI "]), s + tail
        if c == "ca":
            if self.chance(0.35):
                fam = _ascii(self.patient.family).upper()[:3].ljust(3, "X")
                d = self.dob
                mm = d.month + (50 if self.sex == "F" else 0)
                first = _ascii(self.patient.given).upper()[:1] or "X"
                return "RAMQ: ", f"{fam}{first} {d.year % 100:02d}{mm:02d} {d.day:02d}{self.digits(2)}"
            body = self.digits(9)
            s = body + _luhn_digit(body)
            return self.pick(["Health Card No: ", "HCN: ", "PHN: "]), self.pick(
                [f"{s[:4]}-{s[4:7]}-{s[7:]}-{self.letters(2)}", f"{s[:4]} {s[4:7]} {s[7:]}", s]
            )
        # US: an insurance member number stands in for a national id
        return self._ins()

    def s_l_natid(self) -> list[Part]:
        label, value = self._natid()
        return [(label, None), (value, "ID")]

    def _hospno(self) -> tuple[str, str]:
        c = self.country
        if c == "au":
            return self.pick(["UR: ", "URN: ", "UR No: ", "MRN: "]), self.pick(
                [self.digits(6), self.digits(7), "00" + self.digits(6)]
            )
        if c == "nz":
            return self.pick(["Hosp No: ", "Patient ID: "]), self.letters(3) + self.digits(4)
        forms = [
            ("K number: ", "K" + self.digits(7)),
            ("Hosp No: ", self.letters(1) + self.digits(6)),
            ("Hosp No: ", self.letters(3) + self.digits(7)),
        ]
        forms += [
            ("Unit No: ", self.digits(6)),
            ("Unit No: ", self.digits(2) + "-" + self.digits(2) + "-" + self.digits(2)),
            ("RIS No: ", "RIS" + self.digits(7)),
        ]
        forms += [
            ("Hospital Number: ", self.letters(1) + self.digits(7) + self.letters(1)),
            ("MRN: ", self.digits(7)),
            ("H/N ", "H" + self.digits(6)),
            ("Case No. ", self.digits(8)),
        ]
        return self.pick(forms)

    def s_l_hospno(self) -> list[Part]:
        label, value = self._hospno()
        return [(label, None), (value, "ID")]

    def s_hospno(self) -> list[Part]:
        return [(self._hospno()[1], "ID")]

    def s_acc(self) -> list[Part]:
        y = self.exam_day.year % 100
        mod = self.pick(["CT", "MR", "XR", "US", "CR", "NM", "MG", "RF"])
        forms = [
            f"{mod}{y:02d}{self.digits(6)}",
            f"{self.letters(3)}{mod}{y:02d}{self.digits(5)}",
            f"{y:02d}R{self.digits(7)}",
            f"{mod}{y:02d}/{self.digits(6)}",
        ]
        forms += [
            "AC" + self.digits(8),
            self.digits(9),
            f"{self.digits(7)}.{self.digits(4)}",
            f"RAD-{self.digits(3)}-{self.digits(4)}-{self.letters(1)}",
        ]
        return [(self.pick(forms), "ID")]

    def s_l_acc(self) -> list[Part]:
        return [
            (
                self.pick(["Acc No: ", "Accession: ", "Acc# ", "Exam No: ", "Request No: ", "RIS No: ", "Order No. "]),
                None,
            ),
            *self.s_acc(),
        ]

    def s_mrn(self) -> list[Part]:
        letter = self.pick("ABCDEFGHJKLMNPRTVWXYZ")
        forms = [
            "00" + self.digits(6),
            f"{self.digits(7)}-{letter}",
            "M" + self.digits(9),
            f"{self.digits(2)}-{self.digits(2)}-{self.digits(2)}-{self.digits(1)}",
            "E" + self.digits(7),
            self.digits(8) + letter,
            self.digits(10),
        ]
        return [(self.pick(forms), "ID")]

    def s_l_mrn(self) -> list[Part]:
        return [(self.pick(["MRN: ", "MR#: ", "Med Rec No: ", "MRN ", "Hosp ID: "]), None), *self.s_mrn()]

    def s_visit(self) -> list[Part]:
        return [
            (
                self.pick(
                    [
                        "V" + self.digits(11),
                        self.digits(10),
                        "A" + self.digits(8),
                        f"ENC-{self.digits(4)}-{self.digits(5)}",
                        self.digits(12),
                    ]
                ),
                "ID",
            )
        ]

    def s_l_visit(self) -> list[Part]:
        return [
            (self.pick(["Visit #: ", "Acct/Visit: ", "Encounter No: ", "Adm #: ", "Episode No: "]), None),
            *self.s_visit(),
        ]

    def _ins(self) -> tuple[str, str]:
        mbi = f"{self.r.randrange(1, 10)}{self.letters(2)}{self.digits(1)}{self.letters(2)}{self.digits(1)}"
        mbi += f"{self.letters(2)}{self.digits(2)}"  # Medicare beneficiary identifier shape
        forms = [
            ("Member ID: ", self.letters(3) + self.digits(9)),
            ("Medicaid #: ", self.digits(8) + self.letters(1)),
            ("MBI: ", mbi),
        ]
        forms += [
            ("Policy No: ", f"{self.letters(1)}{self.digits(8)}-{self.digits(2)}"),
            ("Ins ID: ", "W" + self.digits(9)),
            ("Subscriber #: ", f"{self.letters(3)} {self.digits(9)} {self.digits(2)}"),
        ]
        return self.pick(forms)

    def s_ins(self) -> list[Part]:
        return [(self._ins()[1], "ID")]

    def s_l_ins(self) -> list[Part]:
        label, value = self._ins()
        return [(label, None), (value, "ID")]

    def s_serial(self) -> list[Part]:
        forms = [
            self.letters(3) + self.digits(6) + self.letters(1),
            f"{self.digits(4)}-{self.digits(4)}-{self.digits(4)}",
            self.letters(2) + self.digits(8),
            f"SN{self.digits(7)}",
            f"{self.letters(1)}{self.digits(2)}{self.letters(1)}{self.digits(5)}",
        ]
        return [(self.pick(forms), "ID")]

    def s_l_regno(self) -> list[Part]:
        c = self.country
        if c == "uk":
            label, value = self.pick(["GMC No: ", "GMC ", "GMC number: "]), self.digits(7)
        elif c == "ie":
            label, value = "MCRN: ", self.digits(6)
        elif c == "au":
            label, value = "AHPRA: ", "MED000" + self.digits(7)
        elif c == "nz":
            label, value = "MCNZ: ", self.digits(5)
        elif c == "ca":
            label, value = self.pick(["CPSO #: ", "CMQ: ", "CPSS: "]), self.digits(5)
        else:
            body = self.pick(["1", "2"]) + self.digits(8)
            label, value = self.pick(
                [("NPI: ", body + _luhn_digit("80840" + body)), ("Lic #: ", self.letters(1) + self.digits(5))]
            )
        return [(label, None), (value, "ID")]

    def s_job(self) -> list[Part]:
        return [(self.pick([self.digits(7), "D" + self.digits(6), self.digits(5) + "-" + self.digits(2)]), "ID")]

    def s_order(self) -> list[Part]:
        return [(self.pick(["ORD" + self.digits(7), self.digits(9), f"{self.letters(2)}{self.digits(6)}"]), "ID")]

    def s_msgid(self) -> list[Part]:
        return [(self.pick(["MSG" + self.digits(8), self.digits(12), f"{self.letters(3)}{self.digits(10)}"]), "ID")]

    def s_idsys(self) -> list[Part]:
        return [(self.pick(["RIS", "PAS", "HIS", "MR"]), None)]

    def s_uid(self) -> list[Part]:
        root = self.pick(["1.2.826.0.1.3680043.2", "1.3.12.2.1107.5.1.4", "1.2.392.200036.9116.2", "1.2.840.113619.2"])
        tail = ".".join(str(self.r.randrange(1, 10 ** self.r.randrange(2, 9))) for _ in range(self.r.randrange(3, 6)))
        return [(f"{root}.{tail}", "ID")]

    # -- phones
    def _phone(self, mobile: bool = False) -> str:
        c, d = self.country, self.digits
        if c == "uk":
            if mobile:
                return self.pick([f"07{d(3)} {d(6)}", f"07{d(3)} {d(3)} {d(3)}", f"+44 7{d(3)} {d(6)}", f"07{d(9)}"])
            area = self.pick(
                [
                    "01872",
                    "01326",
                    "01792",
                    "01286",
                    "01463",
                    "01851",
                    "01595",
                    "01228",
                    "01706",
                    "0113",
                    "0161",
                    "0131",
                    "0141",
                    "029",
                    "028",
                    "020",
                ]
            )
            if len(area) == 5:
                return self.pick(
                    [f"{area} {d(6)}", f"({area}) {d(6)}", f"{area} {d(3)} {d(3)}", f"+44 (0){area[1:]} {d(6)}"]
                )
            if len(area) == 4:
                return self.pick([f"{area} {d(3)} {d(4)}", f"({area}) {d(3)} {d(4)}", f"+44 {area[1:]} {d(3)} {d(4)}"])
            return self.pick([f"{area} {d(4)} {d(4)}", f"({area}) {d(4)} {d(4)}", f"+44 {area[1:]} {d(4)} {d(4)}"])
        if c == "ie":
            if mobile:
                return self.pick([f"08{self.pick('35679')} {d(3)} {d(4)}", f"+353 8{self.pick('35679')} {d(3)} {d(4)}"])
            area = self.pick(["01", "021", "091", "061", "065", "094", "074", "066", "057"])
            return self.pick([f"({area}) {d(3)} {d(4)}", f"{area} {d(3)} {d(4)}", f"+353 {area[1:]} {d(3)} {d(4)}"])
        if c == "au":
            if mobile:
                return self.pick([f"04{d(2)} {d(3)} {d(3)}", f"04{d(8)}", f"+61 4{d(2)} {d(3)} {d(3)}"])
            area = self.pick(["02", "03", "07", "08"])
            return self.pick(
                [f"({area}) {d(4)} {d(4)}", f"{area} {d(4)} {d(4)}", f"+61 {area[1]} {d(4)} {d(4)}", f"{area}{d(8)}"]
            )
        if c == "nz":
            if mobile:
                return self.pick([f"02{self.pick('127')} {d(3)} {d(4)}", f"+64 2{self.pick('127')} {d(3)} {d(4)}"])
            area = self.pick(["09", "07", "06", "04", "03"])
            return self.pick([f"({area}) {d(3)} {d(4)}", f"{area} {d(3)} {d(4)}", f"+64 {area[1]} {d(3)} {d(4)}"])
        a, e, n = str(self.r.randrange(201, 990)), str(self.r.randrange(200, 1000)), d(4)
        return self.pick(
            [
                f"({a}) {e}-{n}",
                f"{a}-{e}-{n}",
                f"{a}.{e}.{n}",
                f"{a} {e} {n}",
                f"1-{a}-{e}-{n}",
                f"+1 {a} {e} {n}",
                f"{a}/{e}-{n}",
            ]
        )

    def s_phone(self) -> list[Part]:
        return [(self._phone(), "PHONE")]

    def s_mobile(self) -> list[Part]:
        return [(self._phone(mobile=True), "PHONE")]

    def s_bleep(self) -> list[Part]:
        return [
            (self.pick([self.digits(4), self.digits(4), self.digits(3), f"{self.digits(1)}-{self.digits(4)}"]), "PHONE")
        ]

    def s_pager(self) -> list[Part]:
        return [(self.pick([self.digits(4), f"{self.digits(1)}-{self.digits(4)}", self._phone()]), "PHONE")]

    def s_ext(self) -> list[Part]:
        return [(self.digits(self.pick([4, 4, 5])), "PHONE")]

    # -- e-mail, URL
    def s_email(self) -> list[Part]:
        domain = self.pick(self.d.web["email_domains"][self.country])
        p = self.person()
        g, f = _ascii(p.given) or "x", _ascii(p.family) or "x"
        user = self.pick(
            [
                f"{g}.{f}",
                f"{g}.{f}",
                f"{g[0]}{f}",
                f"{f}.{g[0]}",
                f"{g}{f}{self.digits(2)}",
                f"{f}{self.digits(1)}",
                "radiology.secretaries",
                "imaging.bookings",
            ]
        )
        return [(f"{user}@{domain}", "EMAIL")]

    def s_url(self) -> list[Part]:
        host = self.pick(self.d.web["hosts"][self.country])
        t = self.pick(self.d.web["url_templates"])
        return [
            (t.replace("{host}", host).replace("{n}", self.digits(8)).replace("{a}", self.letters(3).lower()), "URL")
        ]

    # -- places
    def _town(self) -> tuple[str, str]:
        return self.pick(self.d.towns[self.country])

    def s_town(self) -> list[Part]:
        return [(self._town()[0], "LOCATION")]

    def _postcode(self, region: str) -> str:
        c, d = self.country, self.digits
        if c == "uk":
            area = self.pick(
                [
                    "TR",
                    "PL",
                    "EX",
                    "KY",
                    "FK",
                    "G",
                    "EH",
                    "LL",
                    "SA",
                    "CF",
                    "BT",
                    "LA",
                    "CA",
                    "HX",
                    "OL",
                    "WN",
                    "PR",
                    "IV",
                    "KW",
                    "ZE",
                    "HS",
                    "PA",
                    "AB",
                    "DD",
                    "PH",
                    "TD",
                    "DG",
                    "ML",
                    "SY",
                    "LD",
                    "TA",
                    "GL",
                    "SN",
                    "DT",
                    "TQ",
                ]
            )
            inward = self.pick("ABDEFGHJLNPQRSTUWXYZ") + self.pick("ABDEFGHJLNPQRSTUWXYZ")
            return f"{area}{self.r.randrange(1, 30)} {self.r.randrange(10)}{inward}"
        if c == "ie":
            key = self.pick(["D02", "D08", "T12", "T23", "H91", "V94", "F23", "A92", "P72", "R32", "E45"])
            return f"{key} {''.join(self.pick('0123456789ACDEFHKNPRTVWXY') for _ in range(4))}"
        if c == "au":
            base = {"NSW": 2000, "VIC": 3000, "QLD": 4000, "SA": 5000, "WA": 6000, "TAS": 7000, "NT": 800, "ACT": 2600}[
                region
            ]
            span = 20 if region == "ACT" else 99 if region == "NT" else 999
            return f"{region} {base + self.r.randrange(span):04d}"
        if c == "nz":
            return f"{self.r.randrange(110, 9894):04d}"
        if c == "ca":
            first = {
                "SK": "S",
                "AB": "T",
                "MB": "R",
                "QC": "GHJ",
                "NT": "X",
                "NU": "X",
                "ON": "KLMNP",
                "BC": "V",
                "NS": "B",
                "NL": "A",
                "NB": "E",
            }[region]
            ok = "ABCEGHJKLMNPRSTVWXYZ"
            return f"{region} {self.pick(first)}{d(1)}{self.pick(ok)} {d(1)}{self.pick(ok)}{d(1)}"
        zip_first = next(str(i) for i, states in enumerate(_ZIP_FIRST) if region in states.split())
        return f"{region} {zip_first}{d(4)}" + (f"-{d(4)}" if self.chance(0.2) else "")

    def s_townline(self) -> list[Part]:
        town, region = self._town()
        c = self.country
        parts: list[Part] = [(town, "LOCATION")]
        if c == "uk":
            parts += [(self.pick([" ", ", ", "  "]), None), (self._postcode(region), "ADDRESS")]
        elif c == "ie":
            parts += [(", ", None), (region, "LOCATION")]
            if self.chance(0.6):
                parts += [(", ", None), (self._postcode(region), "ADDRESS")]
        elif c == "nz":
            parts += [(" ", None), (self._postcode(region), "ADDRESS")]
        else:
            parts += [(self.pick([" ", ", "]) if c == "au" else ", ", None), (self._postcode(region), "ADDRESS")]
        return parts

    def _street(self) -> str:
        c = self.country
        s = self.d.streets
        if self.chance(0.15):
            whole = self.pick(s[c + "_whole"])
            return whole if c != "us" else whole + " "  # a trailing space marks a whole US road name: no direction
        stem = self.pick(s[c])
        if stem.split()[0] in ("Rue", "Boulevard", "Chemin", "Rang"):
            return stem
        return f"{stem} {self.pick(s[c + '_types'])}"

    def s_addr(self) -> list[Part]:
        c, n, k = self.country, str(self.r.randrange(1, 240)), self.r.random()
        street = self._street()
        if c == "uk":
            house = self.pick(["Rose Cottage", "Ty Gwyn", "The Old Rectory", "Bryn Awel", "Hillview", "Chy an Mor"])
            flat, glasgow = f"Flat {self.r.randrange(1, 20)}", f"Flat {self.r.randrange(0, 4)}/{self.r.randrange(1, 4)}"
            s = self.pick(
                [
                    f"{n} {street}",
                    f"{n} {street}",
                    f"{flat}, {n} {street}",
                    f"{glasgow}, {n} {street}",
                    f"{house}, {street}",
                ]
            )
        elif c == "ie":
            s = self.pick([f"{n} {street}", f"Apt {self.r.randrange(1, 40)}, {street}", f"{n} {street}"])
        elif c in ("au", "nz"):
            unit = self.r.randrange(1, 12)
            s = self.pick([f"{n} {street}", f"{unit}/{n} {street}", f"Unit {unit}, {n} {street}", f"{n} {street}"])
        elif c == "ca":
            french = street.split()[0] in ("Rue", "Boulevard", "Chemin", "Rang")
            s = f"{n}, {street[0].lower() + street[1:] if self.chance(0.4) else street}" if french else f"{n} {street}"
            if k < 0.2:
                s = f"{self.r.randrange(1, 40)}-{s}"
        elif street.strip() == "Rural Route 2":
            s = f"RR {self.r.randrange(1, 9)} Box {self.digits(3)}"
        else:
            num = str(self.r.randrange(10, 99999))
            direction = "" if street.endswith(" ") else self.pick(["", "", "", "N ", "S ", "E ", "W ", "NE "])
            street = street.strip()
            s = f"{num} {direction}{street}"
            if k < 0.25:
                s += self.pick([" Apt ", " Apt. ", ", Unit ", " #", " Lot "])
                s += self.pick([self.digits(1), self.digits(3), self.digits(1) + self.pick("ABCD")])
            elif k < 0.3:
                s = f"PO Box {self.digits(4)}"
        return [(s, "ADDRESS")]

    def s_hl7addr(self) -> list[Part]:
        town, region = self._town()
        post = self._postcode(region)
        if " " in post and self.country in ("us", "au", "ca"):
            post = post.replace(" ", "^", 1)
        return [
            *[(t.upper(), k) for t, k in self.s_addr()],
            ("^^", None),
            (town.upper(), "LOCATION"),
            ("^" if "^" in post else "^^", None),
            (post.upper(), "ADDRESS"),
        ]

    def _facility(self, kind: str) -> tuple[str, str]:
        fac = self.d.facilities
        pattern = self.pick(fac[self.country][kind])
        place = self.pick(self.d.places[self.country])
        town = self._town()[0]
        name = pattern.replace("{place}", place).replace("{saint}", self.pick(fac["saints"])).replace("{town}", town)
        initials = "".join(w[0] for w in name.split() if w[0].isalpha()).upper()
        short = place if "{place}" in pattern else town if "{town}" in pattern else initials
        return name, short

    def s_home(self) -> list[Part]:
        return [(self.home_name, "HOSPITAL")]

    def s_home_code(self) -> list[Part]:
        return [(_ascii(self.home_short).upper()[:10] or "HOSP", "HOSPITAL")]

    def s_hosp(self) -> list[Part]:
        return [(self._facility("outside")[0], "HOSPITAL")]

    def s_gp(self) -> list[Part]:
        return [(self._facility("gp")[0], "HOSPITAL")]

    def s_care(self) -> list[Part]:
        return [(self._facility("care")[0], "HOSPITAL")]

    def s_wardtxt(self) -> list[Part]:
        if self.country == "us":
            return self.s_room()
        if self.chance(0.5):
            return [(self.pick(self.d.frames["generic_wards"]), None)]
        w = self.pick(self.d.wards)
        return [(self.pick([f"{w} Ward", f"{w} Ward", w, f"{w} Unit"]), "HOSPITAL")]

    def s_ward_hl7(self) -> list[Part]:
        if self.chance(0.5):
            return [(self.pick(["AMU", "ED", "ICU", "W12", "4N", "MAU", "OPD"]), None)]
        return [(_ascii(self.pick(self.d.wards)).upper()[:12], "HOSPITAL")]

    def s_bed(self) -> list[Part]:
        return [(f"{self.r.randrange(1, 30):02d}", None)]

    def s_room(self) -> list[Part]:
        return [(self.pick(self.d.frames["us_rooms"]), None)]

    # -- clean text
    def s_exam(self) -> list[Part]:
        return self.fill(self.pick(self.exam["title"][self.setting]))

    def s_indication(self) -> list[Part]:
        return self.fill(self.pick(self.exam["indication"]))

    def s_language(self) -> list[Part]:
        return [(self.pick(self.d.frames["languages"]), None)]

    def s_side(self) -> list[Part]:
        return [(self.side, None)]

    def s_Side(self) -> list[Part]:  # noqa: N802 - slot name: capitalised side
        return [(self.side.capitalize(), None)]

    def s_age(self) -> list[Part]:
        a = self.r.randrange(22, 89)
        return [(self.pick([f"{a}-year-old", f"{a}M", f"{a}F", f"{a} yo", f"aged {a}"]), None)]

    def _num(self, lo: int, hi: int) -> list[Part]:
        return [(str(self.r.randrange(lo, hi)), None)]

    def s_mm(self) -> list[Part]:
        return self._num(3, 35)

    def s_mm2(self) -> list[Part]:
        return self._num(4, 40)

    def s_cm(self) -> list[Part]:
        return [(f"{self.r.randrange(1, 12)}.{self.r.randrange(10)}", None)]

    def s_cmx(self) -> list[Part]:
        a, b = self.r.randrange(1, 12), self.r.randrange(1, 12)
        return [(f"{a}.{self.r.randrange(10)} x {b}.{self.r.randrange(10)} cm", None)]

    def s_level(self) -> list[Part]:
        return [(self.pick(["L4-L5", "L5-S1", "L3-4", "L4/5", "L2-3", "T12/L1", "C5-6", "L3/L4"]), None)]

    def s_pct(self) -> list[Part]:
        return self._num(20, 80)

    def s_hu(self) -> list[Part]:
        return self._num(-20, 60)

    def s_series(self) -> list[Part]:
        return self._num(2, 12)

    def s_image(self) -> list[Part]:
        return self._num(12, 420)

    def s_ml(self) -> list[Part]:
        return [(self.pick(["60", "75", "80", "90", "100"]), None)]

    def s_dlp(self) -> list[Part]:
        return self._num(90, 1400)

    def s_ctdi(self) -> list[Part]:
        return [(f"{self.r.randrange(2, 70)}.{self.r.randrange(10)}", None)]

    def s_bp(self) -> list[Part]:
        return [(f"{self.r.randrange(85, 190)}/{self.r.randrange(45, 110)}", None)]

    def s_grade(self) -> list[Part]:
        return self._num(1, 4)


# ---- report assembly ------------------------------------------------------------------------------------------------
def _block(g: _Gen, lines: list[str]) -> list[list[Part]]:
    out = []
    for line in lines:
        if line.startswith("? "):
            if g.chance(0.5):
                continue
            line = line[2:]
        out.append(g.fill(line))
    return out


def _with_label(g: _Gen, label: str, parts: list[Part]) -> list[Part]:
    return ([(label + " ", None)] if label else []) + parts


_TITLE_WORDS = ("dr", "mr", "mrs", "ms", "st", "prof", "vs", "no", "approx")


def _spoken_period(m: re.Match[str]) -> str:
    word = m.group(1)
    return m.group(0) if word.lower() in _TITLE_WORDS or word.isdigit() else f"{word} period"


def _dictate(g: _Gen, line: list[Part]) -> list[Part]:
    """Speech-recognition artefacts on one dictated line: lower case (names too), spoken punctuation, dropped
    punctuation, mis-heard words. Only the text of each part changes, so spans stay on their identifiers."""
    out = line
    if g.chance(0.35):
        out = [(t.lower(), k) for t, k in out]
    k = g.r.random()
    if k < 0.3:
        out = [
            (t if kind else re.sub(r"(\w*)\.(?=\s|$)", _spoken_period, re.sub(r",(?=\s)", " comma", t)), kind)
            for t, kind in out
        ]
    elif k < 0.6:
        out = [
            (t if kind else re.sub(r"(?<![\d.]\w)(?<!\b[DdMm]r)(?<!\bMs)[.,;](?=\s|$)", "", t), kind) for t, kind in out
        ]
    if g.chance(0.15):
        mishears = g.d.frames["mishears"]
        out = [(t if kind else _replace_first(t, mishears), kind) for t, kind in out]
    return out


def _replace_first(text: str, table: dict[str, str]) -> str:
    for a, b in table.items():
        if a in text:
            return text.replace(a, b, 1)
    return text


def _report(g: _Gen) -> list[list[Part]]:
    g.start_report()
    fr = g.d.frames[g.setting]
    dictated = g.setting == "us" and g.chance(0.65)
    labels = {k: [x for x in v if dictated or not (" colon" in x or "paragraph" in x)] for k, v in fr["labels"].items()}
    ex = g.exam
    lines: list[list[Part]] = []
    lines += _block(g, g.pick(fr["header"]))
    lines.append(g.fill(g.pick(fr["exam"])))
    body: list[list[Part]] = []  # dictated lines
    body.append(_with_label(g, g.pick(labels["history"]), g.fill(g.pick(fr["history"]))))
    if g.chance(0.65):
        body.append(_with_label(g, g.pick(labels["technique"]), g.fill(g.pick(ex["technique"]))))
    body.append(_with_label(g, g.pick(labels["comparison"]), g.fill(g.pick(fr["comparison"]))))
    findings = [g.fill(f) for f in g.r.sample(ex["findings"], min(len(ex["findings"]), g.r.randint(3, 7)))]
    for _ in range(g.r.choice([0, 0, 1, 1, 2])):
        findings.insert(g.r.randrange(len(findings) + 1), g.fill(g.pick(fr["body"])))
    label = g.pick(labels["findings"])
    if g.chance(0.4):  # one paragraph
        para: list[Part] = [(label + " ", None)]
        for i, f in enumerate(findings):
            para += ([(" ", None)] if i else []) + f
        body.append(para)
    else:
        body.append([(label, None)])
        body += findings
    body.append([(g.pick(labels["impression"]), None)])
    impressions = [g.pick(ex["impression"])]
    if g.chance(0.35):
        impressions.append(g.pick(g.d.impression_extra[g.setting]))
    numbered = len(impressions) > 1 and g.chance(0.6)
    for i, imp in enumerate(impressions, 1):
        body.append(([(f"{i}. ", None)] if numbered else []) + g.fill(imp))
    for c in g.r.sample(fr["comms"], g.r.choice([0, 1, 1, 2])):
        body.append(g.fill(c))
    if dictated:
        body = [_dictate(g, line) for line in body]
    if g.setting == "ris" and g.chance(0.25):  # body as HL7 OBX segments
        body = [[(f"OBX|{i}|TX|||", None), *line, ("||||||F", None)] for i, line in enumerate(body, 1)]
    lines += body
    lines += _block(g, g.pick(fr["footer"]))
    if g.chance(0.4):
        lines.append([(g.pick(g.d.frames["closing"][g.setting]), None)])
    if g.setting == "ris":
        upper_all = g.chance(0.45)
        lines = [[(t.upper(), k) for t, k in line] if upper_all or i < 4 else line for i, line in enumerate(lines)]
    return lines


def _generate(n: int, seed: int) -> tuple[list[str], list[list[GoldSpan]], _Gen]:
    g = _Gen(seed)
    texts: list[str] = []
    gold: list[list[GoldSpan]] = []
    for _ in range(n):
        parts: list[Part] = []
        for i, line in enumerate(_report(g)):
            if i:
                parts.append(("\n", None))
            parts.extend(line)
        text, spans = render([(t, k) for t, k in parts if t])
        texts.append(text)
        gold.append(spans)
    return texts, gold, g


def generate_corpus_c(n: int, seed: int = CORPUS_C_SEED) -> tuple[list[str], list[list[GoldSpan]]]:
    """`n` reports (lines joined by newlines) and their gold spans; deterministic per seed."""
    texts, gold, _ = _generate(n, seed)
    return texts, gold
