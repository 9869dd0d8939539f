"""De-identification quality on three seeded corpora side by side: recall per kind, survival, precision, over-redaction.

Run: python bench/deid_quality.py [--n 2000] [--seed 2026] [--heldout-n 600] [--heldout-seed S] [--n-c 600]
     [--seed-c S] [--json PATH]

Corpus A is radtune.deid.corpora.synthetic (reports + protocol orders), the generator the recognizers were developed
against: its
figures are in-distribution. Corpus B is radtune.deid.corpora.heldout, an independent generator (own names, frames and
seed) the recognizers must never be tuned against: its figures estimate out-of-distribution quality. Corpus C is
radtune.deid.corpora.corpus_c, written blind (from a style description, by someone who had not read the recognizers):
other name
origins, frames and formats, and large name pools so that a name is as rare across patients as in a hospital. All
are scored by radtune.deid.quality.evaluate. --show-misses prints missed identifiers in context for corpus A only
(corpus B's and C's misses stay unprinted so that they remain held out).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from radtune.deid.corpora.corpus_c import CORPUS_C_SEED  # noqa: E402
from radtune.deid.corpora.heldout import HELDOUT_SEED, KINDS  # noqa: E402
from radtune.deid.engine import Deidentifier, load_allow_list  # noqa: E402
from radtune.deid.quality import (  # noqa: E402
    MAX_OVER,
    MIN_KIND_RECALL,
    MIN_RECALL,
    NO_SURVIVORS,
    DeidScore,
    blind_corpus,
    heldout_corpus,
    missed_spans,
    parse_marked,
    score_deid,
    synthetic_corpus,
    unmet_targets,
)

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


def table(scores: dict[str, DeidScore]) -> None:
    """Per kind: planted, recall and verbatim survivors for each corpus side by side, then precision and
    over-redaction."""
    kinds = [k for k in KINDS if any(sc.planted[k] for sc in scores.values())]
    kinds += sorted({k for sc in scores.values() for k in sc.planted} - set(kinds))
    head = f"{'planted':>8}{'recall':>8}{'surv':>6}"
    print(f"{'':<10}" + "".join(f"| {label:<22}" for label in scores))
    print(f"{'kind':<10}" + f"| {head} " * len(scores))

    def cells(sc: DeidScore, k: str | None) -> str:
        planted = sc.planted[k] if k else sum(sc.planted.values())
        if not planted:
            return f"{'-':>8}{'-':>8}{'-':>6}"
        surv = sc.survived[k] if k else sum(sc.survived.values())
        return f"{planted:>8}{sc.recall(k):>8.4f}{surv:>6}"

    for k in [*kinds, None]:
        print(f"{k or 'overall':<10}" + "".join(f"| {cells(sc, k)} " for sc in scores.values()))
    rows = [
        ("precision", lambda sc: f"{sc.precision:.4f}"),
        ("detections", lambda sc: f"{sc.detections_on_gold}/{sc.detections}"),
        ("over-red.", lambda sc: f"{sc.over_redaction:.3%}"),
        ("words red.", lambda sc: f"{sc.words_redacted}/{sc.words}"),
        ("  spilled", lambda sc: f"{sc.words_spilled}"),
        ("IDs+phones", lambda sc: f"{sc.surviving(NO_SURVIVORS)} survive"),
    ]
    for label, fmt in rows:
        print(f"{label:<10}" + "".join(f"| {fmt(sc):>22} " for sc in scores.values()))
    for name, sc in scores.items():
        false = ", ".join(f"{t} {c}" for t, c in sc.false_by_type.most_common())
        print(f"false detections {name.split(':')[0]} by type: {false or 'none'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", "--n-a", type=int, default=2000, help="corpus A: synthetic reports (default 2000)")
    ap.add_argument("--protocol-n", type=int, default=500, help="corpus A: synthetic protocol orders (default 500)")
    ap.add_argument("--seed", "--seed-a", type=int, default=2026, help="corpus A seed (default 2026)")
    ap.add_argument("--heldout-n", "--n-b", type=int, default=600, help="corpus B: held-out reports (default 600)")
    ap.add_argument("--heldout-seed", "--seed-b", type=int, default=HELDOUT_SEED, help="corpus B seed")
    ap.add_argument("--n-c", type=int, default=600, help="corpus C: blind reports (default 600)")
    ap.add_argument("--seed-c", type=int, default=CORPUS_C_SEED, help="corpus C seed")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--show-misses", action="store_true", help="print missed corpus-A identifiers in context")
    ap.add_argument("--json", type=Path, help="write the figures per corpus and kind to this JSON file")
    a = ap.parse_args()

    d = Deidentifier(allow_list=load_allow_list(ROOT / "config/deid_allow_list.txt"), batch_size=a.batch_size)
    corpora = {
        "A: radtune.deid.corpora.synthetic": synthetic_corpus(a.n, a.protocol_n, a.seed),
        "B: held-out corpus": heldout_corpus(a.heldout_n, a.heldout_seed),
        "C: blind corpus": blind_corpus(a.n_c, a.seed_c),
    }
    scores: dict[str, DeidScore] = {}
    for label, (texts, gold) in corpora.items():
        sc, det, _, secs = score_deid(d, texts, gold)
        scores[label] = sc
        print(f"corpus {label}: {len(texts)} texts, {sum(sc.planted.values())} planted identifiers, "
              f"{sc.words} other words, {secs:.1f} s")  # fmt: skip
        if a.show_misses and label.startswith("A"):  # A is generated text: fine to print here, never in the workflow
            for text, spans, dets in zip(texts, gold, det, strict=True):
                for s, e, kind in missed_spans(text, spans, dets):
                    print(f"MISSED {kind}: ...{text[max(0, s - 40) : e + 15]!r}")
    print(f"corpus A: {a.n} reports + {a.protocol_n} protocol orders (seed {a.seed}); B: radtune.deid.corpora.heldout, "
          f"{a.heldout_n} reports (seed {a.heldout_seed}); C: radtune.deid.corpora.corpus_c, {a.n_c} reports "
          f"(seed {a.seed_c})")  # fmt: skip
    table(scores)

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

    bad = {label.split(":")[0]: unmet_targets(sc) for label, sc in scores.items()}
    print(f"targets: recall >= {MIN_RECALL} overall and >= {MIN_KIND_RECALL} per kind, 0 IDs/phones surviving, "
          f"over-redaction <= {MAX_OVER:.1%}")  # fmt: skip
    for name, unmet in bad.items():
        print(f"  {name}: {'met' if not unmet else 'NOT met: ' + '; '.join(unmet)}")
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        targets = {"min_recall": MIN_RECALL, "min_kind_recall": MIN_KIND_RECALL, "max_over_redaction": MAX_OVER}
        sa, sb, sc_ = scores.values()
        payload: dict[str, Any] = {
            "targets": {**targets, "no_survivors": list(NO_SURVIVORS)},
            "synthetic": {"n": a.n, "protocol_n": a.protocol_n, "seed": a.seed, **sa.to_dict()},
            "heldout": {"n": a.heldout_n, "seed": a.heldout_seed, **sb.to_dict()},
            "blind": {"n": a.n_c, "seed": a.seed_c, **sc_.to_dict()},
            "handwritten": sh.to_dict(),
        }
        for key, name in [("synthetic", "A"), ("heldout", "B"), ("blind", "C")]:
            payload[key]["targets_met"] = not bad[name]
        a.json.write_text(json.dumps(payload, indent=2) + "\n")

    def brief(sc: DeidScore, unmet: list[str]) -> str:
        k, r = sc.min_recall()
        return (f"recall {sc.recall():.4f} (min {k} {r:.4f}), precision {sc.precision:.4f}, IDs+phones surviving "
                f"{sc.surviving(NO_SURVIVORS)}, over-redaction {sc.over_redaction:.3%} -> "
                f"{'targets met' if not unmet else 'targets NOT met'}")  # fmt: skip

    summary = "; ".join(f"{label} {brief(sc, bad[label.split(':')[0]])}" for label, sc in scores.items())
    print(f"SUMMARY deid_quality: {summary}; hand-written recall {sh.recall():.3f}")


if __name__ == "__main__":
    main()
