"""De-identification speed: the batched path of radtune.deid.engine vs. a plain per-report Presidio loop, same
recognizers.

Run: python bench/deid_speed.py [--n 200] [--batch-size 64]. Rates are reports per CPU-second of this process
(= reports/s per core; the machine's cores are shared, so CPU time is steadier than wall time, shown too).
Baseline: for each report cell, AnalyzerEngine.analyze (spaCy run on that one text, full pipeline) +
AnonymizerEngine.anonymize, one at a time. Batched: radtune.deid.engine.Deidentifier.deidentify (identical texts
analysed once, spaCy nlp.pipe over the batch, only the NER component run: radtune.deid.engine.trim_pipeline).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from radtune.deid.corpora.synthetic import generate_reports  # noqa: E402
from radtune.deid.engine import Deidentifier, load_allow_list  # noqa: E402

COLUMNS = ["indication", "comparison", "findings", "impression"]


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def baseline_loop(d: Deidentifier, texts: list[str]) -> list[str]:
    """The plain way: analyze + anonymize each text on its own (spaCy called once per text)."""
    d.rarity.count(texts)  # word rarity across the corpus, as the batched path counts it (recognizers.WordRarity)
    out = []
    for text in texts:
        if not text.strip():
            out.append(text)
            continue
        # analyze_one: spaCy on this text alone, then the same rules, trimming and merging as the batched path
        out.append(d.anonymize(text, d.analyze_one(text))[0])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=200, help="reports (4 text cells each)")
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--batch-size", type=int, default=64)
    a = ap.parse_args()
    rows, _ = generate_reports(a.n, a.seed)
    texts = [r[c] for r in rows for c in COLUMNS]
    allow = load_allow_list(ROOT / "config/deid_allow_list.txt")

    plain = Deidentifier(allow_list=allow, fast_pipeline=False)
    fast = Deidentifier(allow_list=allow, batch_size=a.batch_size, fast_pipeline=True)
    baseline_loop(plain, texts[:8])  # warm-up both (first-call allocations)
    fast.deidentify(texts[:8])

    base_out, base_wall, base_cpu = timed(lambda: baseline_loop(plain, texts))
    # Ablation: batching alone (full pipeline, every text analysed, no de-duplication).
    full_batch = Deidentifier(allow_list=allow, batch_size=a.batch_size, fast_pipeline=False)
    _, abl_wall, abl_cpu = timed(
        lambda: [full_batch.anonymize(t, r)[0] for t, r in zip(texts, full_batch.analyze_batch(texts), strict=True)]
    )
    (fast_out, _), fast_wall, fast_cpu = timed(lambda: fast.deidentify(texts))

    same = sum(x == y for x, y in zip(base_out, fast_out, strict=True))
    print(f"deid speed: {a.n} reports ({len(texts)} cells, {len(set(texts))} distinct), batch_size {a.batch_size}")
    print(f"{'path':<44}{'wall s':>8}{'cpu s':>8}{'rep/s/core':>12}")
    for name, w, c in [
        ("baseline: analyze+anonymize one at a time", base_wall, base_cpu),
        ("batching only (nlp.pipe, full pipeline)", abl_wall, abl_cpu),
        ("radtune.deid.engine (pipe + dedup + NER-only pipe)", fast_wall, fast_cpu),
    ]:
        print(f"{name:<44}{w:>8.1f}{c:>8.1f}{a.n / c:>12.1f}")
    ratio = base_cpu / fast_cpu
    print(f"identical outputs: {same}/{len(texts)}")
    print(
        f"SUMMARY deid_speed: {a.n / fast_cpu:.1f} reports/s/core batched vs {a.n / base_cpu:.1f} baseline loop "
        f"= {ratio:.2f}x (batching alone {base_cpu / abl_cpu:.2f}x; wall-clock ratio {base_wall / fast_wall:.2f}x); "
        f"target >= 3x {'met' if ratio >= 3 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
