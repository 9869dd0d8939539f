"""Held-out de-identification corpus (corpus B): seeded radiology reports with planted identifiers and gold spans.

NEVER TUNE THE RECOGNIZERS AGAINST THIS CORPUS. radtune.deid.engine / radtune.deid.recognizers are developed against
radtune.deid.corpora.synthetic (corpus A); this module is an independent generator (own name lists written by hand,
own sentence frames, own seed, no Faker, no shared vocabulary with radtune.deid.corpora.synthetic) so that its recall,
survival and over-redaction figures stay an honest out-of-distribution estimate. Its word lists and frames are data
files under heldout_data/ (see README.md there); its slot fillers are mixins in heldout_people, heldout_ids and
heldout_places on heldout_base (constants, data, names). Do not print its missed strings into recognizer work, do
not add its frames or names to tests of the recognizers, do not copy its strings into the allow-list.
If it is ever used for tuning, it stops being held out: write a new one.

    texts, gold = generate_heldout(600, seed=HELDOUT_SEED)   # gold[i]: GoldSpan(start, end, kind) in texts[i]

Kinds: PERSON, DATE (dates, times, date-times), ID (record/accession/encounter numbers, SSN, accounts, plan
members, licences, DEA/NPI, device serials, IP addresses, DICOM UIDs), PHONE (phone, fax, pager, extension),
EMAIL, URL, ADDRESS (street line; state + ZIP), LOCATION (city), HOSPITAL (any outside facility), AGE (over 89
only; younger ages appear as non-identifier text). Deterministic per seed: one random.Random, no set or hash order.
"""

from __future__ import annotations

import re

from radtune.deid.corpora.heldout_base import (  # noqa: F401 - re-exported (public names before the split)
    CITIES,
    COMM_FRAMES,
    COMPARISON_CLEAN,
    DATA_DIR,
    EMAIL_DOMAINS,
    EXAMS,
    FAC_PLACE,
    FAC_PREFIX,
    FAC_TYPE,
    FAMILY,
    FINDING_FRAMES,
    FINDINGS_CLEAN,
    FOOTER_FRAMES,
    FOOTERS_CLEAN,
    GIVEN,
    HEADER_FRAMES,
    HEADERS_CLEAN,
    HELDOUT_SEED,
    HISTORY_FRAMES,
    IMPRESSION_CLEAN,
    INDICATION_CLEAN,
    KINDS,
    RELATIONS,
    ROLES,
    STATES,
    STREET_NAMES,
    STREET_TYPES,
    TECHNIQUE_CLEAN,
    URL_HOSTS,
    GoldSpan,
    Part,
    SeededPicker,
)
from radtune.deid.corpora.heldout_ids import _IdSlots
from radtune.deid.corpora.heldout_people import _PeopleSlots
from radtune.deid.corpora.heldout_places import _PlaceSlots


class _Gen(_PeopleSlots, _IdSlots, _PlaceSlots):
    """Slot fillers: each public-looking method returns a list of (text, kind) parts."""


_SLOT = re.compile(r"\{(\w+)\}")


def _fill(g: _Gen, frame: str) -> list[Part]:
    parts: list[Part] = []
    for i, piece in enumerate(_SLOT.split(frame)):
        if i % 2 == 0:
            if piece:
                parts.append((piece, None))
        else:
            parts.extend(getattr(g, piece)())
    return parts


def _report(g: _Gen) -> list[list[Part]]:
    """One report as lines of parts: header, exam, history, technique, comparison, findings, impression, footer."""
    lines: list[list[Part]] = []

    def add(frame: str) -> None:
        lines.append(_fill(g, frame))

    def pick_n(frames: list[str], lo: int, hi: int) -> list[str]:
        return g.r.sample(frames, g.r.randint(lo, hi))

    if g.chance(0.5):
        add(g.pick(HEADERS_CLEAN))
    for f in pick_n(HEADER_FRAMES, 2, 5):
        add(f)
    if g.chance(0.4):
        add(g.pick(HEADERS_CLEAN))
    add("EXAM: " + g.pick(EXAMS))
    history = g.pick(HISTORY_FRAMES) if g.chance(0.6) else g.pick(INDICATION_CLEAN)
    add(g.pick(["CLINICAL HISTORY: ", "INDICATION: ", "History: ", "REASON FOR EXAM: "]) + history)
    add("TECHNIQUE: " + g.pick(TECHNIQUE_CLEAN))
    k = g.r.random()
    if k < 0.3:
        add("COMPARISON: " + g.pick(COMPARISON_CLEAN))
    elif k < 0.55:
        add("COMPARISON: {date}.")
    elif k < 0.7:
        add("COMPARISON: CT abdomen {mdate} and radiograph {date}.")
    elif k < 0.8:
        add("COMPARISON: Outside MRI from {fac}, {my}.")
    elif k < 0.9:
        add("COMPARISON: {wdate}; {dt}.")
    else:
        add("Comparison: {iso} ({fac}).")
    add(g.pick(["FINDINGS:", "Findings:", "FINDINGS"]))
    body = pick_n(FINDINGS_CLEAN, 3, 7)
    if g.chance(0.5):
        body.insert(g.r.randrange(len(body) + 1), g.pick(FINDING_FRAMES))
    for f in body:
        add(f)
    add(g.pick(["IMPRESSION:", "Impression:", "IMPRESSION"]))
    for i, f in enumerate(pick_n(IMPRESSION_CLEAN, 1, 3), 1):
        add(f"{i}. {f}")
    for f in pick_n(COMM_FRAMES, 0, 2):
        add(f)
    for f in pick_n(FOOTER_FRAMES, 2, 4):
        add(f)
    if g.chance(0.5):
        add(g.pick(FOOTERS_CLEAN))
    return lines


def render(parts: list[Part]) -> tuple[str, list[GoldSpan]]:
    """Concatenate parts into a text and the gold spans of the parts that carry a kind."""
    text, spans = [], []
    pos = 0
    for s, kind in parts:
        if kind is not None:
            spans.append(GoldSpan(pos, pos + len(s), kind))
        text.append(s)
        pos += len(s)
    return "".join(text), spans


def generate_heldout(n: int, seed: int = HELDOUT_SEED) -> tuple[list[str], list[list[GoldSpan]]]:
    """`n` reports (one text each, lines joined by newlines) and their gold spans; deterministic per seed."""
    g = _Gen(seed)
    texts: list[str] = []
    gold: list[list[GoldSpan]] = []
    for _ in range(n):
        parts: list[Part] = []
        for i, line in enumerate(_report(g)):
            if i:
                parts.append(("\n", None))
            parts.extend(line)
        text, spans = render(parts)
        texts.append(text)
        gold.append(spans)
    return texts, gold
