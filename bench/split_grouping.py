"""Bench: split grouping (radtune.data.split) - exact+patient grouping on 1M rows, near-duplicate grouping on 100k.

    python bench/split_grouping.py                          # --rows 1000000 --near-rows 100000
    python bench/split_grouping.py --rows 50000 --near-rows 5000

Baselines measured in the same run:
- exact: a plain-Python dict union-find over (normalised input, patient) on the same rows and keys;
- near-duplicates: brute-force all-pairs Jaccard on a --brute-rows subsample, against MinHash LSH on that
  same subsample (all-pairs cannot run on 100k rows: it is quadratic).
"""

from __future__ import annotations

import argparse
import sys
import time
from itertools import combinations
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from radtune.data.split import _shingles, group_rows, normalise_input  # noqa: E402

WORDS = (
    "lungs clear pleural effusion pneumothorax heart size normal mild degenerative change spine acute osseous "
    "abnormality tube tip carina liver enlarged nodule left upper lobe right lower opacity consolidation stable "
    "unchanged small large no there is of the with without evidence fracture mass lesion cyst kidney"
).split()


def generate(n: int, seed: int) -> pl.DataFrame:
    """n rows: 12-40 random words each; 10% exact copies (different case/punctuation), 5% one-word edits."""
    rng = np.random.default_rng(seed)
    vocab = pl.Series(WORDS)
    k = 40
    picks = rng.integers(0, len(WORDS), (n, k))
    texts = pl.DataFrame({f"w{j}": vocab.gather(picks[:, j]) for j in range(k)}).select(
        pl.concat_list(pl.all()).list.head(pl.lit(pl.Series(rng.integers(12, k, n)))).list.join(" ").alias("t")
    )["t"]
    src = pl.Series(rng.integers(0, n, n))  # copies link two patients: a few big groups, as in real data
    u = pl.Series(rng.random(n))
    texts = pl.select(
        pl.when(u < 0.10)
        .then(texts.gather(src).str.to_uppercase() + "!")
        .when(u < 0.15)
        .then(texts.gather(src) + " today")
        .otherwise(texts)
    ).to_series()
    return pl.DataFrame(
        {
            "id": [f"b-{i:08d}" for i in range(n)],
            "input_text": texts,
            "patient_key": pl.Series([f"p{i}" for i in rng.integers(0, n // 4 + 1, n)]),
        }
    )


def python_union_find(norms: list[str], patients: list[str | None]) -> int:
    """Baseline: dict-based union-find with path halving over input and patient nodes; returns #groups."""
    parent: dict[tuple[int, str], tuple[int, str]] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for t, p in zip(norms, patients, strict=True):
        a = find((0, t))
        if p is not None:
            b = find((1, p))
            if a != b:
                parent[b] = a
    return len({find((0, t)) for t in set(norms)})


def brute_force_pairs(texts: list[str], threshold: float, k: int) -> int:
    sh = [_shingles(t, k) for t in texts]
    return sum(len(a & b) / len(a | b) >= threshold for a, b in combinations(sh, 2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--near-rows", type=int, default=100_000)
    ap.add_argument("--brute-rows", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    near = {"enabled": True, "threshold": 0.8, "num_perm": 128, "shingle_words": 3}

    df = generate(args.rows, args.seed)
    t0 = time.perf_counter()
    grouped, _ = group_rows(df)
    t_exact = time.perf_counter() - t0
    n_groups = grouped["group_id"].n_unique()
    t0 = time.perf_counter()  # the baseline gets the same (Polars) normalisation, then a Python union-find
    norms = df.select(normalise_input(pl.col("input_text"))).to_series().to_list()
    base_groups = python_union_find(norms, df["patient_key"].to_list())
    t_base = time.perf_counter() - t0
    largest = grouped["group_id"].value_counts()["count"].max()
    if base_groups != n_groups:
        raise SystemExit(f"group counts differ ({n_groups} vs {base_groups}): the comparison is void")
    print(f"exact+patient grouping, {args.rows:,} rows: {t_exact:.1f} s ({n_groups:,} groups, largest {largest:,}); "
          f"baseline python union-find {t_base:.1f} s (x{t_base / t_exact:.1f})")  # fmt: skip

    ndf = generate(args.near_rows, args.seed + 1)
    t0 = time.perf_counter()
    ngrouped, pairs = group_rows(ndf, near)
    t_near = time.perf_counter() - t0
    print(f"near-duplicate grouping, {args.near_rows:,} rows: {t_near:.1f} s "
          f"({ngrouped['group_id'].n_unique():,} groups, {pairs:,} near-duplicate pairs joined)")  # fmt: skip

    sub = ndf.head(args.brute_rows)
    texts = sub.select(normalise_input(pl.col("input_text"))).to_series().unique().sort().to_list()
    t0 = time.perf_counter()
    group_rows(sub.drop("patient_key"), near)
    t_lsh_sub = time.perf_counter() - t0
    t0 = time.perf_counter()
    brute = brute_force_pairs(texts, near["threshold"], near["shingle_words"])
    t_brute = time.perf_counter() - t0
    print(f"near-duplicates on {args.brute_rows:,} rows: LSH grouping {t_lsh_sub:.2f} s, brute-force all pairs "
          f"{t_brute:.2f} s ({brute} pairs >= {near['threshold']}), x{t_brute / t_lsh_sub:.1f}")  # fmt: skip
    print(
        f"SUMMARY split grouping: exact {args.rows:,} rows {t_exact:.1f} s vs python union-find {t_base:.1f} s "
        f"(x{t_base / t_exact:.1f}); near-dup {args.near_rows:,} rows {t_near:.1f} s; "
        f"at {args.brute_rows:,} rows LSH x{t_brute / t_lsh_sub:.1f} faster than all pairs"
    )


if __name__ == "__main__":
    main()
