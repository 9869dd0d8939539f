"""Bench: build and query time of radtune.data.retrieval.Index (default 1,000,000 train reports, 2,000 queries, k=3).

Run: python bench/retrieval_speed.py [--n 1000000] [--queries 2000] [--k 3] [--baseline-queries 200]
Texts: sentences of radtune.deid.corpora.synthetic's generated reports (2,000 generated once, then sampled 3-7
sentences a report) plus 2-6 words a report from a Zipf-distributed 50,000-word vocabulary (the long tail real
reports have). Baseline for the ratio: scikit-learn NearestNeighbors(metric="cosine", algorithm="brute") on the
same TF-IDF matrix, on the first --baseline-queries queries (it is slow); the top-1 agreement is printed. The
train-side self-retrieval (n queries against n) is extrapolated from the measured queries/s, not run.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from radtune.data.retrieval import Index  # noqa: E402
from radtune.deid.corpora import synthetic  # noqa: E402


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # Linux: KiB


def texts(n: int, seed: int, pool: list[str], vocab: int = 50_000) -> list[str]:
    """n report-like texts: 3-7 pool sentences and 2-6 Zipf-distributed rare words each (vectorised sampling)."""
    rng = np.random.default_rng(seed)
    n_sent, n_rare = rng.integers(3, 8, n), rng.integers(2, 7, n)
    sents = rng.integers(0, len(pool), int(n_sent.sum()))
    p = 1 / np.arange(1, vocab + 1) ** 1.1
    rare = rng.choice(vocab, int(n_rare.sum()), p=p / p.sum())
    s_end, r_end = np.cumsum(n_sent), np.cumsum(n_rare)
    out = []
    for i in range(n):
        words = " ".join(f"t{w}" for w in rare[r_end[i] - n_rare[i] : r_end[i]])
        out.append(" ".join(pool[j] for j in sents[s_end[i] - n_sent[i] : s_end[i]]) + " " + words)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--k", type=int, default=3)
    ap.add_argument("--baseline-queries", type=int, default=200)
    args = ap.parse_args()

    t0 = time.perf_counter()
    reports, _ = synthetic.generate_reports(2000, seed=0)
    pool = sorted({s.strip() for r in reports for s in re.split(r"(?<=[.!?])\s+|\n+", r["findings"]) if s.strip()})
    train, queries = texts(args.n, 1, pool), texts(args.queries, 2, pool)
    print(f"data: {args.n} train texts, {args.queries} queries from {len(pool)} sentences, "
          f"{time.perf_counter() - t0:.1f} s; peak RSS {peak_rss_gb():.2f} GB")  # fmt: skip

    t0 = time.perf_counter()
    index = Index(train)
    t_build = time.perf_counter() - t0
    rss_build = peak_rss_gb()
    print(f"Index build: {t_build:.1f} s ({args.n / t_build:,.0f} texts/s); peak RSS {rss_build:.2f} GB")

    t0 = time.perf_counter()
    hits = index.search(queries, args.k)
    t_query = time.perf_counter() - t0
    qps = args.queries / t_query
    rss_query = peak_rss_gb()
    print(f"Index.search: {args.queries} queries, k={args.k}: {t_query:.1f} s ({qps:.1f} queries/s); "
          f"peak RSS {rss_query:.2f} GB")  # fmt: skip

    from sklearn.neighbors import NearestNeighbors

    x = index.vectorizer.transform(train)  # the same TF-IDF matrix (not timed)
    sub = queries[: args.baseline_queries]
    xq = index.vectorizer.transform(sub)
    t0 = time.perf_counter()
    nn = NearestNeighbors(n_neighbors=args.k, metric="cosine", algorithm="brute").fit(x)
    _, nn_idx = nn.kneighbors(xq)
    t_nn = time.perf_counter() - t0
    qps_nn = len(sub) / t_nn
    same = sum(int(nn_idx[i][0]) == hits[i][0][0] for i in range(len(sub)))
    print(f"baseline NearestNeighbors(cosine, brute): {len(sub)} queries in {t_nn:.1f} s ({qps_nn:.1f} queries/s); "
          f"same top-1 on {same}/{len(sub)}; peak RSS {peak_rss_gb():.2f} GB")  # fmt: skip

    t_self, t_self_nn = args.n / qps, args.n / qps_nn
    print(f"train-side self-retrieval ({args.n} queries against {args.n}) extrapolated from {qps:.1f} queries/s: "
          f"{t_self:,.0f} s ({t_self / 3600:.1f} h); NearestNeighbors would take {t_self_nn / 3600:.1f} h")  # fmt: skip
    print(
        f"SUMMARY retrieval_speed: {args.n} train: build {t_build:.1f} s, {qps:.1f} queries/s (k={args.k}) vs "
        f"NearestNeighbors {qps_nn:.1f} queries/s, {qps / qps_nn:.1f}x; peak RSS {rss_query:.2f} GB; self-retrieval "
        f"extrapolated {t_self / 3600:.1f} h"
    )


if __name__ == "__main__":
    main()
