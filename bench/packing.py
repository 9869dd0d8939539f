"""Bench: packing efficiency (real tokens / slots) of radtune.data.pack (TRL best-fit decreasing) vs padding each
batch of 8 to its longest example, on a tokenized folder and/or a generated set of chat-like lengths.

    python bench/packing.py                                   # generated 10,000 examples
    python bench/packing.py --n 100000                        # the 100k-example set
    python bench/packing.py --tokenized results/tokenized/smollm2_135m/train --max-seq-len 512
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from radtune.data.pack import BASELINE_BATCH_SIZE, pack, padded_efficiency  # noqa: E402


def chat_lengths(n: int, max_len: int, seed: int = 0) -> np.ndarray:
    """Token lengths shaped like radiology chat examples: system+instruction prompt (~45 tokens) plus
    findings and impression of lognormal length (median ~110 tokens, long right tail), capped at max_len."""
    rng = np.random.default_rng(seed)
    return np.minimum(45 + rng.lognormal(mean=np.log(110), sigma=0.6, size=n).astype(int), max_len)


def bench(lengths: np.ndarray, max_len: int, label: str) -> float:
    from datasets import Dataset

    ids = [list(range(int(n))) for n in lengths]
    ds = Dataset.from_dict({"input_ids": ids, "labels": ids})
    t0 = time.perf_counter()
    packed = pack(ds, max_len)
    secs = time.perf_counter() - t0
    eff = float(lengths.sum()) / (len(packed) * max_len)
    base = padded_efficiency(lengths, BASELINE_BATCH_SIZE)
    print(
        f"{label}: {len(lengths):,} examples, {int(lengths.sum()):,} tokens -> {len(packed):,} rows of {max_len} "
        f"in {secs:.1f} s; packed efficiency {eff:.4f}, padded-to-batch-longest (batch {BASELINE_BATCH_SIZE}) "
        f"{base:.4f}, ratio {eff / base:.2f}x"
    )
    return eff / base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10000, help="generated examples (100000 for the big set)")
    ap.add_argument("--max-seq-len", type=int, default=512)
    ap.add_argument("--tokenized", help="a radtune.data.tokenize folder to measure as well")
    a = ap.parse_args()
    from trl import pack_dataset  # noqa: F401  (lazy module: import it now, not inside the timed packing)

    ratios = []
    if a.tokenized:
        from datasets import load_from_disk

        ds = load_from_disk(a.tokenized)
        ratios.append(bench(np.minimum(np.asarray(ds["length"]), a.max_seq_len), a.max_seq_len, a.tokenized))
    ratios.append(bench(chat_lengths(a.n, a.max_seq_len), a.max_seq_len, f"generated n={a.n}"))
    print(f"SUMMARY packing: BFD vs padded batch-longest efficiency ratio {' / '.join(f'{r:.2f}x' for r in ratios)}")


if __name__ == "__main__":
    main()
