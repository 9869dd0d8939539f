"""Corpus C generator base: its constants, data files (read once), people and the report state that the slot
fillers in corpus_c_people / corpus_c_ids / corpus_c_places read (radtune.deid.corpora.corpus_c assembles them)."""

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

from radtune.deid.corpora.heldout import Part, SeededPicker

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
    codes: dict[str, Any]


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
        codes=_json("codes.json"),
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


class _GenBase(SeededPicker):
    """Report state, slot dispatch and name making; the slot fillers (s_<slot>) are in the mixins of _Gen."""

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
