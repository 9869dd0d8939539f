"""Corpus B (radtune.deid.corpora.heldout) generator base: constants, GoldSpan/Part, data files, SeededPicker, names."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

HELDOUT_SEED = (
    480_317  # different from every seed used with radtune.deid.corpora.synthetic; change only with a new corpus version
)
KINDS = ("PERSON", "DATE", "ID", "PHONE", "EMAIL", "URL", "ADDRESS", "LOCATION", "HOSPITAL", "AGE")


class GoldSpan(NamedTuple):
    """One planted identifier: characters [start, end) of its text."""

    start: int
    end: int
    kind: str


Part = tuple[str, str | None]  # (text, kind) — kind None: not an identifier


# ---- data files (heldout_data/, see README.md there): read once, at import ------------------------------------
DATA_DIR = Path(__file__).with_name("heldout_data")


@cache
def _json(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


_NAMES, _PLACES, _CLEAN, _FRAMES = (_json(f"{n}.json") for n in ("names", "places", "clean", "frames"))
GIVEN: list[str] = _NAMES["given"]  # person names, written by hand, grouped by origin (no Faker, no corpus A lists)
FAMILY: list[str] = _NAMES["family"]
_ONSET, _VOWEL, _CODA, _FAM_END = (_NAMES["syllables"][k] for k in ("onset", "vowel", "coda", "family_end"))
CITIES: list[str] = _PLACES["cities"]
STATES: list[str] = _PLACES["states"]
STREET_NAMES: list[str] = _PLACES["street_names"]
STREET_TYPES: list[str] = _PLACES["street_types"]
FAC_PLACE: list[str] = _PLACES["facility_places"]
FAC_TYPE: list[str] = _PLACES["facility_types"]
FAC_PREFIX: list[str] = _PLACES["facility_prefixes"]
EMAIL_DOMAINS: list[str] = _PLACES["email_domains"]
URL_HOSTS: list[str] = _PLACES["url_hosts"]
# clean, identifier-free text: eponyms, anatomy, devices, capitalised headers, numbers
EXAMS: list[str] = _CLEAN["exams"]
INDICATION_CLEAN: list[str] = _CLEAN["indication"]
TECHNIQUE_CLEAN: list[str] = _CLEAN["technique"]
COMPARISON_CLEAN: list[str] = _CLEAN["comparison"]
FINDINGS_CLEAN: list[str] = _CLEAN["findings"]
IMPRESSION_CLEAN: list[str] = _CLEAN["impression"]
HEADERS_CLEAN: list[str] = _CLEAN["headers"]
FOOTERS_CLEAN: list[str] = _CLEAN["footers"]
RELATIONS: list[str] = _CLEAN["relations"]
ROLES: list[str] = _CLEAN["roles"]
# frames with identifiers: {slot} is filled by _Gen.<slot>()
HEADER_FRAMES: list[str] = _FRAMES["header"]
HISTORY_FRAMES: list[str] = _FRAMES["history"]
FINDING_FRAMES: list[str] = _FRAMES["finding"]
COMM_FRAMES: list[str] = _FRAMES["comm"]
FOOTER_FRAMES: list[str] = _FRAMES["footer"]

_DIGITS = "0123456789"
_UPPER = "ABCDEFGHJKLMNPRSTUVWXYZ"
_MONTHS = "January February March April May June July August September October November December".split()
_WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_NOT_INITIALS = set(_json("labels.json")["not_initials"])
_ONES = "zero one two three four five six seven eight nine".split()


class SeededPicker:
    """Draws from one random.Random (`self.r`): the helpers both held-out corpus generators share."""

    r: random.Random

    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[self.r.randrange(len(seq))]

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def digits(self, n: int) -> str:
        return "".join(self.pick(_DIGITS) for _ in range(n))

    def letters(self, n: int) -> str:
        return "".join(self.pick(_UPPER) for _ in range(n))


class _GenBase(SeededPicker):
    """Generator state (one random.Random) and the name helpers that the slot mixins share."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    # -- helpers (pick, chance, digits, letters): SeededPicker
    def syllable_name(self, family: bool) -> str:
        n = self.r.choice([2, 2, 3]) if family else self.r.choice([2, 2, 2, 3])
        s = "".join(self.pick(_ONSET) + self.pick(_VOWEL) + (self.pick(_CODA) if i == n - 1 else "") for i in range(n))
        if family:
            s += self.pick(_FAM_END)
        return s[:1].upper() + s[1:]

    def given_name(self) -> str:
        return self.syllable_name(False) if self.chance(0.15) else self.pick(GIVEN)

    def family_name(self) -> str:
        fam = self.syllable_name(True) if self.chance(0.15) else self.pick(FAMILY)
        if self.chance(0.07) and " " not in fam:
            other = self.syllable_name(True) if self.chance(0.3) else self.pick(FAMILY)
            if " " not in other:
                fam = f"{fam}-{other}"
        return fam

    @staticmethod
    def initial(name: str) -> str:
        return name[0].upper()

    def initials(self, given: str) -> tuple[str, str]:
        """First and middle initial, never a pair that reads as a credential or abbreviation ("MD", "RN")."""
        while True:
            a, b = self.initial(given), self.pick(_UPPER)
            if a + b not in _NOT_INITIALS:
                return a, b
            given = self.pick(GIVEN)
