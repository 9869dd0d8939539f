"""Corpus C: a third, blind de-identification evaluation corpus of seeded radiology reports with planted identifiers.

WRITTEN BLIND, NEVER TUNE AGAINST IT. This generator was written from a style description and general knowledge of
hospital reports without reading radtune.deid.recognizers, radtune.deid.engine, their tests or the allow-list, and it
has never
been run through the de-identifier. The recognizer owner measures it once; after that, as with corpus B
(radtune.deid.corpora.heldout): do not print its missed strings into recognizer work, do not add its frames, names or
places to recognizer tests or to the allow-list, and if it is ever used for tuning it stops being blind: write a new
one. Its word lists and sentence frames are data files under corpus_c_data/ (see README.md there), not code; its
slot fillers are mixins in corpus_c_people, corpus_c_ids and corpus_c_places on corpus_c_base (state, names, data).

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

import re

from radtune.deid.corpora.corpus_c_base import DATA_DIR  # noqa: F401 - where the data files are (tests, tools)
from radtune.deid.corpora.corpus_c_ids import _IdSlots
from radtune.deid.corpora.corpus_c_people import _PeopleSlots
from radtune.deid.corpora.corpus_c_places import _PlaceSlots
from radtune.deid.corpora.heldout import KINDS, GoldSpan, Part, render

__all__ = ["CORPUS_C_SEED", "KINDS", "GoldSpan", "Part", "generate_corpus_c", "render"]

# differs from corpus B's and from the seeds used with radtune.deid.corpora.synthetic; change with a new version
CORPUS_C_SEED = 905_113


class _Gen(_PeopleSlots, _IdSlots, _PlaceSlots):
    """Slot fillers (s_<slot>) and report state; every slot returns a list of (text, kind) parts."""


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
