"""De-identification quality on two seeded corpora side by side: recall per kind, survival, precision, over-redaction.

Run: python bench/deid_quality.py [--n 2000] [--seed 2026] [--heldout-n 600] [--heldout-seed S] [--json PATH]

Corpus A is radtune.synth (reports + protocol orders), the generator the recognizers were developed against: its
figures are in-distribution. Corpus B is radtune.heldout_corpus, an independent generator (own names, frames and
seed) the recognizers must never be tuned against: its figures estimate out-of-distribution quality. Both are
scored by radtune.deid_eval.evaluate. --show-misses prints missed identifiers in context for corpus A only
(corpus B's misses stay unprinted so that it remains held out).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from radtune.deid import Deidentifier, load_allow_list  # noqa: E402
from radtune.deid_eval import (  # noqa: E402
    MAX_OVER,
    MIN_KIND_RECALL,
    MIN_RECALL,
    NO_SURVIVORS,
    DeidScore,
    heldout_corpus,
    missed_spans,
    parse_marked,
    score_deid,
    synthetic_corpus,
    unmet_targets,
)
from radtune.heldout_corpus import HELDOUT_SEED, KINDS  # noqa: E402

# Held-out phrasings written by hand, not produced by either generator and not used to tune the recognizers
# (scored once as written): [[KIND:identifier]] marks the gold spans.
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


def table(a: DeidScore, b: DeidScore) -> None:
    kinds = [k for k in KINDS if a.planted[k] or b.planted[k]]
    kinds += sorted(k for k in set(a.planted) | set(b.planted) if k not in kinds)
    head = f"{'planted':>8}{'recall':>8}{'surv':>6}"
    print(f"{'':<10}| {'A: radtune.synth':<22}| {'B: held-out corpus':<22}")
    print(f"{'kind':<10}| {head} | {head}")

    def cells(sc: DeidScore, k: str | None) -> str:
        planted = sc.planted[k] if k else sum(sc.planted.values())
        if not planted:
            return f"{'-':>8}{'-':>8}{'-':>6}"
        surv = sc.survived[k] if k else sum(sc.survived.values())
        return f"{planted:>8}{sc.recall(k):>8.4f}{surv:>6}"

    for k in kinds:
        print(f"{k:<10}| {cells(a, k)} | {cells(b, k)}")
    print(f"{'overall':<10}| {cells(a, None)} | {cells(b, None)}")
    for label, fa, fb in [
        ("precision", f"{a.precision:.4f}", f"{b.precision:.4f}"),
        ("detections", f"{a.detections_on_gold}/{a.detections}", f"{b.detections_on_gold}/{b.detections}"),
        ("over-red.", f"{a.over_redaction:.3%}", f"{b.over_redaction:.3%}"),
        ("words red.", f"{a.words_redacted}/{a.words}", f"{b.words_redacted}/{b.words}"),
        ("  spilled", f"{a.words_spilled}", f"{b.words_spilled}"),
        ("IDs+phones", f"{a.surviving(NO_SURVIVORS)} survive", f"{b.surviving(NO_SURVIVORS)} survive"),
    ]:
        print(f"{label:<10}| {fa:>22} | {fb:>22}")
    for name, sc in [("A", a), ("B", b)]:
        false = ", ".join(f"{t} {c}" for t, c in sc.false_by_type.most_common())
        print(f"false detections {name} by type: {false or 'none'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", "--n-a", type=int, default=2000, help="corpus A: synthetic reports (default 2000)")
    ap.add_argument("--protocol-n", type=int, default=500, help="corpus A: synthetic protocol orders (default 500)")
    ap.add_argument("--seed", "--seed-a", type=int, default=2026, help="corpus A seed (default 2026)")
    ap.add_argument("--heldout-n", "--n-b", type=int, default=600, help="corpus B: held-out reports (default 600)")
    ap.add_argument("--heldout-seed", "--seed-b", type=int, default=HELDOUT_SEED, help="corpus B seed")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--show-misses", action="store_true", help="print missed corpus-A identifiers in context")
    ap.add_argument("--json", type=Path, help="write the figures per corpus and kind to this JSON file")
    a = ap.parse_args()

    d = Deidentifier(allow_list=load_allow_list(ROOT / "config/deid_allow_list.txt"), batch_size=a.batch_size)
    a_texts, a_gold = synthetic_corpus(a.n, a.protocol_n, a.seed)
    b_texts, b_gold = heldout_corpus(a.heldout_n, a.heldout_seed)
    sa, a_det, _, a_secs = score_deid(d, a_texts, a_gold)
    sb, _, _, b_secs = score_deid(d, b_texts, b_gold)
    if a.show_misses:  # corpus A is generated text: fine to print here, never in the workflow
        for text, spans, dets in zip(a_texts, a_gold, a_det, strict=True):
            for s, e, kind in missed_spans(text, spans, dets):
                print(f"MISSED {kind}: ...{text[max(0, s - 40) : e + 15]!r}")

    print(f"corpus A: radtune.synth, {a.n} reports + {a.protocol_n} protocol orders (seed {a.seed}), "
          f"{len(a_texts)} cells, {sum(sa.planted.values())} planted identifiers, {a_secs:.1f} s")  # fmt: skip
    print(f"corpus B: radtune.heldout_corpus, {a.heldout_n} reports (seed {a.heldout_seed}), "
          f"{sum(sb.planted.values())} planted identifiers, {sb.words} other words, {b_secs:.1f} s")  # fmt: skip
    table(sa, sb)

    h_texts, h_gold = map(list, zip(*(parse_marked(x) for x in HELD_OUT + HELD_OUT_CLEAN), strict=True))
    sh, _, h_out, _ = score_deid(d, h_texts, h_gold)
    per_kind = ", ".join(f"{k} {sh.found[k]}/{sh.planted[k]}" for k in sorted(sh.planted))
    print(f"hand-written phrasings ({len(HELD_OUT)} with identifiers, {len(HELD_OUT_CLEAN)} without): "
          f"recall {sum(sh.found.values())}/{sum(sh.planted.values())} = {sh.recall():.3f} ({per_kind}); "
          f"precision {sh.detections_on_gold}/{sh.detections}; non-identifier words replaced "
          f"{sh.words_redacted}/{sh.words}")  # fmt: skip
    if a.show_misses:
        for text, out in zip(h_texts, h_out, strict=True):
            print(f"  {text!r}\n  -> {out!r}")

    bad_a, bad_b = unmet_targets(sa), unmet_targets(sb)
    print(f"targets: recall >= {MIN_RECALL} overall and >= {MIN_KIND_RECALL} per kind, 0 IDs/phones surviving, "
          f"over-redaction <= {MAX_OVER:.1%}")  # fmt: skip
    for name, bad in [("A", bad_a), ("B", bad_b)]:
        print(f"  {name}: {'met' if not bad else 'NOT met: ' + '; '.join(bad)}")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        targets = {"min_recall": MIN_RECALL, "min_kind_recall": MIN_KIND_RECALL, "max_over_redaction": MAX_OVER}
        payload: dict[str, Any] = {
            "targets": {**targets, "no_survivors": list(NO_SURVIVORS)},
            "synthetic": {
                "n": a.n,
                "protocol_n": a.protocol_n,
                "seed": a.seed,
                "targets_met": not bad_a,
                **sa.to_dict(),
            },
            "heldout": {"n": a.heldout_n, "seed": a.heldout_seed, "targets_met": not bad_b, **sb.to_dict()},
            "handwritten": sh.to_dict(),
        }
        a.json.write_text(json.dumps(payload, indent=2) + "\n")

    def brief(sc: DeidScore, bad: list[str]) -> str:
        k, r = sc.min_recall()
        return (f"recall {sc.recall():.4f} (min {k} {r:.4f}), precision {sc.precision:.4f}, IDs+phones surviving "
                f"{sc.surviving(NO_SURVIVORS)}, over-redaction {sc.over_redaction:.3%} -> "
                f"{'targets met' if not bad else 'targets NOT met'}")  # fmt: skip

    print(f"SUMMARY deid_quality: A (synth) {brief(sa, bad_a)}; B (held-out) {brief(sb, bad_b)}; "
          f"hand-written recall {sh.recall():.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
