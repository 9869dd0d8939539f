"""Bench: seconds per reference baseline on synthetic data (default 10k test, 40k train).

Run: python bench/baselines_speed.py [--test 10000] [--train 40000]
Baseline for the ratio: TF-IDF retrieval one test row at a time (measured on a subset, extrapolated)
vs the chunked sparse matrix product radtune.evaluate.baselines uses.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from radtune.evaluate import baselines  # noqa: E402

WORDS = (
    "liver kidney spleen lung pleural effusion nodule mass lesion cyst stone fracture normal mild moderate severe "
    "left right upper lower lobe small large no acute chronic stable new enhancing hypodense calcified bowel "
    "appendix gallbladder pancreas aorta aneurysm hernia atelectasis consolidation pneumothorax edema mm cm"
).split()


def synth(n: int, seed: int, prefix: str, vocab: int = 8000) -> list[dict]:
    """Report-like text: a few common words plus a Zipf-distributed vocabulary (like real report wording)."""
    rng = np.random.default_rng(seed)
    p = 1 / np.arange(1, vocab + 1) ** 1.1
    p /= p.sum()
    rare = np.array([f"t{k}" for k in range(vocab)])
    rows = []
    for i in range(n):
        sents = []
        for _ in range(rng.integers(3, 8)):
            words = [*rng.choice(WORDS, rng.integers(3, 8)), *rare[rng.choice(vocab, rng.integers(3, 8), p=p)]]
            sents.append(" ".join(rng.permutation(words)) + ".")
        imp = " ".join(rng.choice(WORDS, rng.integers(3, 12))) + "."
        rows.append({"id": f"{prefix}-{i:06d}", "task": "impression", "group": "CT", "input_text": " ".join(sents),
                     "reference": imp})  # fmt: skip
    return rows


def naive_retrieval(train: list[dict], test: list[dict]) -> list[str]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
    x_train = vec.fit_transform([r["input_text"] for r in train])
    out = []
    for r in test:
        sims = (vec.transform([r["input_text"]]) @ x_train.T).toarray()[0]
        out.append(train[int(sims.argmax())]["reference"])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--train", type=int, default=40000)
    ap.add_argument("--naive-subset", type=int, default=500)
    args = ap.parse_args()
    train, test = synth(args.train, 0, "tr"), synth(args.test, 1, "te")
    times = {}
    for kind in baselines.KINDS:
        t0, c0 = time.perf_counter(), time.process_time()
        preds = baselines.predict(kind, train, test)
        times[kind], cpu = time.perf_counter() - t0, time.process_time() - c0
        assert len(preds) == len(test)
        print(
            f"{kind:10s}: {times[kind]:.2f} s wall ({cpu:.2f} s CPU) for {args.test} test examples ({args.train} train)"
        )
    sub = test[: args.naive_subset]
    t0 = time.perf_counter()
    naive = naive_retrieval(train, sub)
    t_naive = (time.perf_counter() - t0) * len(test) / len(sub)
    same = sum(a == b for a, b in zip(naive, baselines.predict("retrieval", train, sub), strict=True))
    print(f"retrieval one row at a time (baseline, extrapolated from {len(sub)}): {t_naive:.1f} s; "
          f"same predictions on the subset: {same}/{len(sub)}")  # fmt: skip
    print(
        f"SUMMARY baselines_speed: {args.test} test / {args.train} train: constant {times['constant']:.2f} s, "
        f"retrieval {times['retrieval']:.2f} s (row-at-a-time baseline {t_naive:.1f} s, "
        f"{t_naive / times['retrieval']:.1f}x), extractive {times['extractive']:.2f} s"
    )


if __name__ == "__main__":
    main()
