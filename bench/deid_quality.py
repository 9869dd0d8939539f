"""De-identification quality on seeded synthetic reports: recall per type, precision, survival, over-redaction.

Run: python bench/deid_quality.py [--n 2000] [--seed 2026]. The gold spans come from radtune.synth; the
recognizers were developed against other seeds of the same generator, so these figures are in-distribution
(an upper bound for real reports, whose phrasing is more varied).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from radtune.deid import Deidentifier, load_allow_list  # noqa: E402
from radtune.synth import generate_protocol_orders, generate_reports  # noqa: E402

TARGET_TYPES = ["PERSON", "DATE", "ID", "PHONE"]  # recall >= 0.99 targets
TOKEN = re.compile(r"\S+")
# Held-out phrasings written by hand, not produced by radtune.synth and not used to tune the recognizers
# (scored once as written): [[TYPE:identifier]] marks the gold spans.
HELD_OUT = [
    "Pt is a [[AGE:101 yo]] nursing home resident, fell this am.",
    "History obtained from the patient's son, [[PERSON:Marcus Delgado]].",
    "Ms. [[PERSON:Fenwick]] reports right flank pain since [[DATE:Tuesday, June 3rd]].",
    "Outside CT from [[HOSPITAL:Bayside Community Hospital]] dated [[DATE:1/7/2020]] reviewed.",
    "Compared with [[DATE:Sept 2019]] exam.",
    "Wet read called to [[PERSON:Priya Raman]] (ED PA) at [[DATE:0215]] on [[DATE:5/6/22]].",
    "Please call the reading room at [[PHONE:617-555-0199]] with questions.",
    "MR#: [[ID:00451238]]   DOB: [[DATE:02/11/1931]]",
    "Acc# [[ID:CT-88213947]]",
    "Study performed at the [[HOSPITAL:Eastgate Imaging Center]], [[ADDRESS:450 Harbor Blvd, Suite 12]].",
    "Reading radiologist: [[PERSON:Yusuf Demir]], M.D.",
    "Results e-mailed to [[EMAIL:dr.okonkwo@northbay-health.org]].",
    "The patient, [[PERSON:Eleanor Whitfield]], was unable to hold her breath.",
    "[[PERSON:Gonzalez]], [[PERSON:Rosa]] - right knee pain.",
    "Verbal report given to Dr [[PERSON:Lindqvist]] at [[DATE:3:45pm]].",
    "Prior films from [[DATE:12/2018]] not available.",
    "Seen in [[LOCATION:Tucson]] in the fall for the same complaint.",
    "Pager [[PHONE:(312) 555 0123]].",
    "Encounter: [[ID:900234117]]; visit [[ID:V00812334]].",
    "CC: Dr. [[PERSON:Abernathy]]; Dr. [[PERSON:Moreau]]",
    "Per Dr. [[PERSON:Kapoor]]'s note, symptoms began last spring.",
    "Age [[AGE:93]], with a known Baker cyst.",
    "[[AGE:Ninety-four]] year old man, Parkinson disease.",
    "Transferred from [[HOSPITAL:St. Jude's Regional]] for higher level of care.",
    "Comparison: [[DATE:Jan 5]] and [[DATE:Feb 11]] radiographs.",
    "Images pushed to PACS by tech [[PERSON:Lorna Beck]], RT(R).",
]
HELD_OUT_CLEAN = [
    "Non-Hodgkin lymphoma, Crohn disease and Graves disease noted; Foley catheter in place.",
    "Swan-Ganz catheter tip in the right interlobar artery. Barrett esophagus on prior EGD.",
    "A 3.2 x 2.1 cm T2 hyperintense lesion at C5-C6; follow-up MRI in 12 months.",
    "Colles fracture, Bankart lesion, Baker cyst, Paget disease of the pelvis, Wilms tumor.",
    "Impression: 1. No acute abnormality. 2. Stable 4 mm RUL nodule, Fleischner low risk.",
    "Dictated by: <PERSON>, MD",
]


def held_out() -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    texts, gold = [], []
    for line in HELD_OUT + HELD_OUT_CLEAN:
        text, spans = "", []
        for part in re.split(r"(\[\[[A-Z]+:[^\]]+\]\])", line):
            m = re.fullmatch(r"\[\[([A-Z]+):([^\]]+)\]\]", part)
            if m:
                spans.append((len(text), len(text) + len(m.group(2)), m.group(1)))
                part = m.group(2)
            text += part
        texts.append(text)
        gold.append(spans)
    return texts, gold


def evaluate(texts: list[str], gold: list[list[tuple[int, int, str]]], detections: list[list], outputs: list[str]):
    found, total, survived = Counter(), Counter(), Counter()
    pred_spans = pred_hit = tok_non_id = tok_non_id_redacted = 0
    for text, spans, dets, out in zip(texts, gold, detections, outputs, strict=True):
        covered = set()
        for d in dets:
            covered.update(range(d.start, d.end))
        gold_chars = set()
        for s, e, typ in spans:
            gold_chars.update(range(s, e))
            total[typ] += 1
            if all(j in covered for j in range(s, e) if text[j].isalnum()):
                found[typ] += 1
            if text[s:e] in out:
                survived[typ] += 1
        for d in dets:
            pred_spans += 1
            pred_hit += any(j in gold_chars for j in range(d.start, d.end))
        for m in TOKEN.finditer(text):
            chars = range(m.start(), m.end())
            if not any(j in gold_chars for j in chars):
                tok_non_id += 1
                tok_non_id_redacted += any(j in covered for j in chars)
    return found, total, survived, pred_hit, pred_spans, tok_non_id_redacted, tok_non_id


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=2000, help="synthetic reports (default 2000)")
    ap.add_argument("--protocol-n", type=int, default=500, help="synthetic protocol orders also scored")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--show-misses", action="store_true", help="print missed synthetic identifiers in context")
    a = ap.parse_args()

    texts, gold = [], []
    rows, spans = generate_reports(a.n, a.seed)
    prows, pspans = generate_protocol_orders(a.protocol_n, a.seed)
    for rs, ss, cols in [
        (rows, spans, ["indication", "comparison", "findings", "impression"]),
        (prows, pspans, ["clinical_history", "ordering_notes"]),
    ]:
        index = {}
        for i, r in enumerate(rs):
            for c in cols:
                index[(i, c)] = len(texts)
                texts.append(r[c])
                gold.append([])
        for s in ss:
            gold[index[(s.row, s.column)]].append((s.start, s.end, s.entity_type))

    d = Deidentifier(allow_list=load_allow_list(ROOT / "config/deid_allow_list.txt"), batch_size=a.batch_size)
    t0 = time.perf_counter()
    detections = d.analyze_batch(texts)
    outputs = [d.anonymize(t, det)[0] for t, det in zip(texts, detections, strict=True)]
    secs = time.perf_counter() - t0
    found, total, survived, hit, npred, over, non_id = evaluate(texts, gold, detections, outputs)
    if a.show_misses:  # synthetic text only: fine to print here, never in the workflow
        for text, spans, dets in zip(texts, gold, detections, strict=True):
            cov = {j for d in dets for j in range(d.start, d.end)}
            for s, e, typ in spans:
                if not all(j in cov for j in range(s, e) if text[j].isalnum()):
                    print(f"MISSED {typ}: ...{text[max(0, s - 40) : e + 15]!r}")

    print(f"deid quality: {a.n} reports + {a.protocol_n} protocol orders (seed {a.seed}), {len(texts)} cells, "
          f"{sum(total.values())} planted identifiers, {secs:.1f} s")  # fmt: skip
    print(f"{'type':<10}{'planted':>9}{'found':>8}{'recall':>9}{'survived':>10}")
    for typ in sorted(total, key=lambda t: -total[t]):
        print(f"{typ:<10}{total[typ]:>9}{found[typ]:>8}{found[typ] / total[typ]:>9.4f}{survived[typ]:>10}")
    recall = sum(found.values()) / sum(total.values())
    precision = hit / npred if npred else 1.0
    over_rate = over / non_id if non_id else 0.0
    print(f"{'overall':<10}{sum(total.values()):>9}{sum(found.values()):>8}{recall:>9.4f}{sum(survived.values()):>10}")
    print(f"precision (detections overlapping a planted identifier): {hit}/{npred} = {precision:.4f}")
    print(f"over-redaction (non-identifier tokens replaced): {over}/{non_id} = {over_rate:.4%} (target <= 1%)")
    ho_texts, ho_gold = held_out()
    ho_det = d.analyze_batch(ho_texts)
    ho_out = [d.anonymize(t, det)[0] for t, det in zip(ho_texts, ho_det, strict=True)]
    h_found, h_total, _, h_hit, h_pred, h_over, h_non = evaluate(ho_texts, ho_gold, ho_det, ho_out)
    h_recall = sum(h_found.values()) / sum(h_total.values())
    per_type = ", ".join(f"{t} {h_found[t]}/{h_total[t]}" for t in sorted(h_total))
    print(f"held-out hand-written phrasings ({len(HELD_OUT)} with identifiers, {len(HELD_OUT_CLEAN)} without): "
          f"recall {sum(h_found.values())}/{sum(h_total.values())} = {h_recall:.3f} ({per_type}); "
          f"precision {h_hit}/{h_pred}; non-identifier tokens replaced {h_over}/{h_non}")  # fmt: skip
    if a.show_misses:
        for text, out in zip(ho_texts, ho_out, strict=True):
            print(f"  {text!r}\n  -> {out!r}")
    min_target = min(found[t] / total[t] for t in TARGET_TYPES if total[t])
    surv_ids = survived["ID"] + survived["PHONE"]
    ok = min_target >= 0.99 and surv_ids == 0 and over_rate <= 0.01
    print(
        f"SUMMARY deid_quality: recall {recall:.4f} (min over names/dates/IDs/phones {min_target:.4f}), "
        f"precision {precision:.4f}, surviving IDs+phones {surv_ids}, over-redaction {over_rate:.3%} -> "
        f"{'targets met' if ok else 'targets NOT met'}; held-out phrasings recall {h_recall:.3f}"
    )


if __name__ == "__main__":
    main()
