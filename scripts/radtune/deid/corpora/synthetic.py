"""Seeded synthetic radiology reports and protocol orders with planted identifiers and gold spans."""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from radtune.core.common import atomic_path, run_main
from radtune.core.norm import PLACEHOLDER_KINDS

IMPRESSION_COLUMNS = [
    "accession_number",
    "mrn",
    "exam_date",
    "exam_code",
    "exam_description",
    "indication",
    "comparison",
    "findings",
    "impression",
]
PROTOCOL_COLUMNS = ["order_id", "patient_mrn", "order_date", "clinical_history", "ordering_notes", "protocol_label"]
# Gold entity types are the placeholder names the de-identifier writes (<PERSON> ... <URL>).
ENTITY_TYPES = list(PLACEHOLDER_KINDS)
DATA_DIR = Path(__file__).with_name("synthetic_data")


@dataclass(frozen=True)
class Span:
    """One planted identifier: characters [start, end) of `column` in row `row` (0-based)."""

    row: int
    column: str
    start: int
    end: int
    entity_type: str


# ---- data files (synthetic_data/, see README.md there): read once, at import ---------------------------------
@cache
def _json(name: str) -> Any:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


_VOCAB, _REPORTS, _PROTOCOLS = _json("vocabulary.json"), _json("reports.json"), _json("protocols.json")
# invented vocabularies (common first/last names written there; no real people)
FIRST_NAMES: list[str] = _VOCAB["first_names"]
LAST_NAMES: list[str] = _VOCAB["last_names"]
STREETS: list[str] = _VOCAB["streets"]
STREET_TYPES: list[str] = _VOCAB["street_types"]
CITIES: list[tuple[str, str]] = [tuple(c) for c in _VOCAB["cities"]]
HOSPITALS: list[str] = _VOCAB["hospitals"]
MONTHS = "January February March April May June July August September October November December".split()


class _Text:
    """Builds one cell's text piece by piece, recording where planted identifiers land."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.n = 0
        self.spans: list[tuple[int, int, str]] = []

    def add(self, text: str) -> _Text:
        self.parts.append(text)
        self.n += len(text)
        return self

    def pii(self, text: str, entity_type: str) -> _Text:
        self.spans.append((self.n, self.n + len(text), entity_type))
        return self.add(text)

    @property
    def text(self) -> str:
        return "".join(self.parts)


class _Gen:
    """Random identifier makers sharing one seeded Random."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def first(self) -> str:
        return self.r.choice(FIRST_NAMES)

    def last(self) -> str:
        return self.r.choice(LAST_NAMES)

    def person(self) -> str:
        r = self.r.random()
        if r < 0.6:
            return f"{self.first()} {self.last()}"
        if r < 0.8:
            return f"{self.first()} {self.r.choice('ABCDEFGHJKLMNPRSTW')}. {self.last()}"
        return f"{self.first()[0]}. {self.last()}"

    def day(self) -> date:
        return date(2015, 1, 1) + timedelta(days=self.r.randrange(0, 3650))

    def date(self, d: date | None = None) -> str:
        d = d or self.day()
        style = self.r.randrange(6)
        if style == 0:
            return f"{d.month:02d}/{d.day:02d}/{d.year}"
        if style == 1:
            return f"{d.month}/{d.day}/{d.year % 100:02d}"
        if style == 2:
            return d.isoformat()
        if style == 3:
            return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
        if style == 4:
            return f"{d.day:02d}-{MONTHS[d.month - 1][:3]}-{d.year}"
        return f"{MONTHS[d.month - 1][:3]} {d.day} {d.year}"

    def time(self) -> str:
        h, m = self.r.randrange(0, 24), self.r.randrange(0, 60)
        style = self.r.randrange(3)
        if style == 0:
            return f"{h:02d}:{m:02d}"
        if style == 1:
            return f"{(h % 12) or 12}:{m:02d} {'AM' if h < 12 else 'PM'}"
        return f"{h:02d}{m:02d} hours"

    def mrn(self) -> str:
        return str(self.r.randrange(10**6, 10**8)).zfill(self.r.choice([7, 8]))

    def accession(self) -> str:
        style = self.r.randrange(3)
        if style == 0:
            return f"A{self.r.randrange(10**7, 10**8)}"
        if style == 1:
            return f"RAD-{self.r.randrange(2015, 2025)}-{self.r.randrange(10**5, 10**6)}"
        return str(self.r.randrange(10**8, 10**9))

    def encounter(self) -> str:
        return f"E{self.r.randrange(10**8, 10**9)}"

    def phone(self) -> str:
        a, b, c = self.r.randrange(201, 990), self.r.randrange(200, 999), self.r.randrange(0, 10000)
        style = self.r.randrange(4)
        if style == 0:
            return f"({a}) {b}-{c:04d}"
        if style == 1:
            return f"{a}-{b}-{c:04d}"
        if style == 2:
            return f"{a}.{b}.{c:04d}"
        return f"+1 {a} {b} {c:04d}"

    def email(self, name: str | None = None) -> str:
        user = (name or f"{self.first()} {self.last()}").lower().replace(". ", ".").replace(" ", ".")
        user = user.replace("'", "")
        domain = self.r.choice(_VOCAB["email_domains"])
        return f"{user}@{domain}"

    def address(self) -> str:
        city, state = self.r.choice(CITIES)
        street = f"{self.r.randrange(1, 9999)} {self.r.choice(STREETS)} {self.r.choice(STREET_TYPES)}"
        if self.r.random() < 0.3:
            street += f", Apt {self.r.randrange(1, 40)}"
        return f"{street}, {city}, {state} {self.r.randrange(10000, 99999)}"

    def city(self) -> str:
        city, state = self.r.choice(CITIES)
        return f"{city}, {state}"

    def hospital(self) -> str:
        return self.r.choice(HOSPITALS)

    def old_age(self) -> str:
        n = self.r.randrange(90, 104)
        return self.r.choice([f"{n}-year-old", f"{n} year old", f"{n} yo", f"{n}-year-old", f"{n} y/o"])

    def url(self) -> str:
        return f"https://portal.{self.r.choice(_VOCAB['url_domains'])}/results/{self.r.randrange(10**6)}"


# ---- report content ---------------------------------------------------------------------------
EXAMS: list[tuple[str, str, str, str]] = [tuple(e) for e in _REPORTS["exams"]]  # (code, description, modality, region)
NORMAL_FINDINGS: dict[str, str] = {k: "\n".join(v) for k, v in _REPORTS["normal_findings"].items()}
NORMAL_IMPRESSIONS: dict[str, str] = _REPORTS["normal_impressions"]
# (findings sentence, impression sentence) per region; {m} is a measurement filled in at random.
ABNORMAL: dict[str, list[tuple[str, str]]] = {k: [tuple(x) for x in v] for k, v in _REPORTS["abnormal"].items()}
INDICATIONS: list[str] = _REPORTS["indications"]
_OTHERWISE: list[str] = _REPORTS["otherwise"]


def _measure(r: random.Random) -> str:
    if r.random() < 0.5:
        return f"{r.randrange(3, 90) / 10:.1f} cm"
    return f"{r.randrange(3, 30)} mm"


def _header(g: _Gen, t: _Text) -> None:
    """A header block sometimes pasted into the findings text by the RIS export."""
    style = g.r.randrange(3)
    if style == 0:
        t.add("Patient: ").pii(f"{g.last().upper()}, {g.first().upper()}", "PERSON").add("  MRN: ")
        t.pii(g.mrn(), "ID").add("\n")
    elif style == 1:
        t.add("Accession #: ").pii(g.accession(), "ID").add("  Exam date: ").pii(g.date(), "DATE").add(" ")
        t.pii(g.time(), "DATE").add("\n")
    else:
        t.add("Location: ").pii(g.hospital(), "HOSPITAL").add(", Encounter ").pii(g.encounter(), "ID").add("\n")
    t.add("\n")


def _signature(g: _Gen, t: _Text) -> None:
    style = g.r.randrange(5)
    t.add("\n\n")
    if style == 0:
        t.add("Dictated by: ").pii(g.person(), "PERSON").add(", MD")
    elif style == 1:
        t.add("Electronically signed by Dr. ").pii(g.person(), "PERSON").add(" on ").pii(g.date(), "DATE")
        t.add(" ").pii(g.time(), "DATE")
    elif style == 2:
        t.add("Resident: ").pii(g.person(), "PERSON").add(", MD\nAttending: ").pii(g.person(), "PERSON")
        t.add(", MD")
    elif style == 3:
        t.add("Attending: Dr. ").pii(g.last(), "PERSON").add(" (pager ").pii(g.phone(), "PHONE").add(")")
    else:
        name = g.person()
        t.add("Reviewed and signed by ").pii(name, "PERSON").add(", MD. Questions: ").pii(g.phone(), "PHONE")
        t.add(" or ").pii(g.email(name.replace(".", "")), "EMAIL")


def _communication(g: _Gen, t: _Text) -> None:
    style = g.r.randrange(4)
    if style == 0:
        t.add(" Findings discussed with Dr. ").pii(g.person(), "PERSON").add(" by telephone at ")
        t.pii(g.time(), "DATE").add(" on ").pii(g.date(), "DATE").add(".")
    elif style == 1:
        t.add(" Critical result communicated to ").pii(g.person(), "PERSON").add(", RN at ")
        t.pii(g.phone(), "PHONE").add(".")
    elif style == 2:
        t.add(" Report faxed to the referring office at fax ").pii(g.phone(), "PHONE").add(".")
    else:
        t.add(" Images available at ").pii(g.url(), "URL").add(".")


def _indication(g: _Gen) -> _Text:
    t = _Text()
    r = g.r.random()
    if r < 0.25:
        t.pii(g.old_age(), "AGE").add(" female. ")
    elif r < 0.45:
        t.add(f"{g.r.randrange(18, 89)}-year-old male. ")
    t.add(g.r.choice(INDICATIONS))
    r = g.r.random()
    if r < 0.12:
        t.add(" Transferred from ").pii(g.hospital(), "HOSPITAL").add(" in ").pii(g.city(), "LOCATION").add(".")
    elif r < 0.2:
        t.add(" Referred by Dr. ").pii(g.person(), "PERSON").add(", ").pii(g.hospital(), "HOSPITAL").add(".")
    elif r < 0.26:
        t.add(" Patient lives at ").pii(g.address(), "ADDRESS").add(", home phone ").pii(g.phone(), "PHONE")
        t.add(".")
    elif r < 0.3:
        t.add(" Contact daughter ").pii(g.person(), "PERSON").add(" at ").pii(g.phone(), "PHONE").add(".")
    elif r < 0.36:
        # Less formulaic phrasings (no trigger word right before the identifier).
        k = g.r.randrange(4)
        if k == 0:
            t.add(" Seen by ").pii(g.person(), "PERSON").add(" in clinic last week.")
        elif k == 1:
            t.add(" Case reviewed at tumor board with ").pii(f"{g.first()} {g.last()}", "PERSON").add(" and ")
            t.pii(f"{g.first()} {g.last()}", "PERSON").add(".")
        elif k == 2:
            d = g.day()
            t.add(" Symptoms began ").pii(f"{d.month}/{d.day}", "DATE").add(", worse since then.")
        else:
            t.add(" Wife ").pii(g.first(), "PERSON").add(" reports a fall at home, pt ID ").pii(g.mrn(), "ID").add(".")
    return t


def _comparison(g: _Gen, modality: str) -> _Text:
    t = _Text()
    r = g.r.random()
    if r < 0.35:
        t.add("None.")
    elif r < 0.7:
        t.add(f"Comparison: {modality} ").pii(g.date(), "DATE")
    elif r < 0.85:
        t.add(f"{modality} dated ").pii(g.date(), "DATE").add(" from ").pii(g.hospital(), "HOSPITAL").add(".")
    else:
        t.add("Prior study of ").pii(g.date(), "DATE").add(" (accession ").pii(g.accession(), "ID").add(").")
    return t


def _report(g: _Gen, row: int) -> tuple[dict[str, str], list[Span]]:
    code, desc, modality, region = g.r.choice(EXAMS)
    normal = g.r.random() < 0.35
    findings, impression = _Text(), _Text()
    if not normal and g.r.random() < 0.3:
        _header(g, findings)
    if normal:
        findings.add(NORMAL_FINDINGS[region])
        impression.add(NORMAL_IMPRESSIONS[region])
    else:
        k = g.r.randrange(1, 3)
        picks = g.r.sample(ABNORMAL[region], min(k, len(ABNORMAL[region])))
        fs, imps = [], []
        for f, i in picks:
            m = _measure(g.r)
            fs.append(f.format(m=m))
            imps.append(i.format(m=m))
        if g.r.random() < 0.06:
            findings.add(fs[0].split(".")[0] + ".")  # a terse dictation (filter drops < 10 words)
        else:
            findings.add(" ".join(fs) + " " + g.r.choice(_OTHERWISE))
            if g.r.random() < 0.35:
                _communication(g, findings)
        impression.add("\n".join(f"{n}. {s}" for n, s in enumerate(imps, 1)) if len(imps) > 1 else imps[0])
        if g.r.random() < 0.2:
            impression.add(" Recommend follow-up in 12 months.")
    if g.r.random() < (0.15 if normal else 0.7):
        _signature(g, findings)
    if g.r.random() < 0.03:
        impression = _Text()  # missing impression (filter drops it)
    cells = {"indication": _indication(g), "comparison": _comparison(g, modality)}
    cells["findings"], cells["impression"] = findings, impression
    row_out = {
        "accession_number": g.accession(),
        "mrn": g.mrn(),
        "exam_date": g.day().isoformat(),
        "exam_code": code,
        "exam_description": desc,
    }
    spans = []
    for col, t in cells.items():
        row_out[col] = t.text
        spans += [Span(row, col, s, e, typ) for s, e, typ in t.spans]
    return {c: row_out[c] for c in IMPRESSION_COLUMNS}, spans


def generate_reports(n: int, seed: int) -> tuple[list[dict[str, str]], list[Span]]:
    """`n` synthetic impression-task rows (CSV columns IMPRESSION_COLUMNS) and the gold identifier spans."""
    g = _Gen(seed)
    rows, spans = [], []
    for i in range(n):
        row, s = _report(g, i)
        rows.append(row)
        spans += s
    return rows, spans


# ---- protocol orders --------------------------------------------------------------------------
# label -> (weight, history phrases, ordering-note phrases specific to the label). An order's notes are one of
# its label's phrases, or (GENERIC_SHARE) a generic or a shared ambiguous note that only the clinical history
# resolves: the label depends on notes and history together, so both must reach the model, and the duplicate key
# and the split must look at both. Weights give a realistic majority class (CT head) for the constant baseline.
PROTOCOLS: dict[str, tuple[float, list[str], list[str]]] = {
    k: (v["weight"], v["histories"], v["notes"]) for k, v in _PROTOCOLS["protocols"].items()
}
GENERIC_SHARE = 0.35
GENERIC_NOTES: list[str] = _PROTOCOLS["generic_notes"]
# Ambiguous notes shared by several labels (the history decides which).
SHARED_NOTES: dict[str, list[str]] = _PROTOCOLS["shared_notes"]


def _order(g: _Gen, row: int) -> tuple[dict[str, str], list[Span]]:
    labels = sorted(PROTOCOLS)
    label = g.r.choices(labels, weights=[PROTOCOLS[x][0] for x in labels])[0]
    _, histories, notes = PROTOCOLS[label]
    hist, note = _Text(), _Text()
    if g.r.random() < 0.2:
        hist.pii(g.old_age(), "AGE").add(" male. ")
    elif g.r.random() < 0.3:
        hist.add(f"{g.r.randrange(18, 89)}-year-old {g.r.choice(['female', 'male'])}. ")
    hist.add(g.r.choice(histories))
    if g.r.random() < 0.3:
        hist.add(" Prior imaging ").pii(g.date(), "DATE").add(" at ").pii(g.hospital(), "HOSPITAL").add(".")
    if g.r.random() < GENERIC_SHARE:
        shared = sorted(n for n, ls in SHARED_NOTES.items() if label in ls)
        note.add(g.r.choice(shared + GENERIC_NOTES))
    else:
        note.add(g.r.choice(notes))
    r = g.r.random()
    if r < 0.4:
        note.add(" Ordering provider: Dr. ").pii(g.person(), "PERSON").add(", callback ").pii(g.phone(), "PHONE")
    elif r < 0.55:
        note.add(" Prior MRN ").pii(g.mrn(), "ID").add(". Encounter #").pii(g.encounter(), "ID")
    elif r < 0.65:
        note.add(" Send report to ").pii(g.email(), "EMAIL")
    elif r < 0.75:
        note.add(" Patient address on file: ").pii(g.address(), "ADDRESS")
    row_out = {
        "order_id": f"ORD{g.r.randrange(10**7, 10**8)}",
        "patient_mrn": g.mrn(),
        "order_date": g.day().isoformat(),
        "clinical_history": hist.text,
        "ordering_notes": note.text,
        "protocol_label": label,
    }
    spans = [Span(row, "clinical_history", s, e, t) for s, e, t in hist.spans]
    spans += [Span(row, "ordering_notes", s, e, t) for s, e, t in note.spans]
    return row_out, spans


def generate_protocol_orders(n: int, seed: int) -> tuple[list[dict[str, str]], list[Span]]:
    """`n` synthetic protocol-task rows (CSV columns PROTOCOL_COLUMNS) and the gold identifier spans."""
    g = _Gen(seed)
    rows, spans = [], []
    for i in range(n):
        row, s = _order(g, i)
        rows.append(row)
        spans += s
    return rows, spans


def write_csv(path: str | Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=columns, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_gold(path: str | Path, spans: list[Span]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for s in spans:
            fh.write(json.dumps(asdict(s), sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m radtune.deid.corpora.synthetic", description=__doc__)
    ap.add_argument("--task", choices=["impression", "protocol"], required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--output", required=True)
    ap.add_argument("--gold", help="also write the gold identifier spans as JSONL")
    a = ap.parse_args(argv)
    if a.task == "impression":
        rows, spans = generate_reports(a.n, a.seed)
        write_csv(a.output, rows, IMPRESSION_COLUMNS)
    else:
        rows, spans = generate_protocol_orders(a.n, a.seed)
        write_csv(a.output, rows, PROTOCOL_COLUMNS)
    if a.gold:
        write_gold(a.gold, spans)


if __name__ == "__main__":
    run_main(main)
