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
    min_target = min(found[t] / total[t] for t in TARGET_TYPES if total[t])
    surv_ids = survived["ID"] + survived["PHONE"]
    ok = min_target >= 0.99 and surv_ids == 0 and over_rate <= 0.01
    print(
        f"SUMMARY deid_quality: recall {recall:.4f} (min over names/dates/IDs/phones {min_target:.4f}), "
        f"precision {precision:.4f}, surviving IDs+phones {surv_ids}, over-redaction {over_rate:.3%} -> "
        f"{'targets met' if ok else 'targets NOT met'}"
    )


if __name__ == "__main__":
    main()
