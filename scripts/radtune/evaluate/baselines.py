"""Reference baselines built from the train split (constant, TF-IDF retrieval, extractive): predictions JSONL."""

from __future__ import annotations

import argparse
import logging
import re
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from radtune.core.common import BASELINE_KINDS, RadtuneError, json_arg, read_jsonl, run_main
from radtune.core.formats import prediction_row, write_predictions
from radtune.core.norm import PLACEHOLDER_KINDS
from radtune.core.tasks import TASKS
from radtune.data.retrieval import Index
from radtune.evaluate.generate import select_examples

log = logging.getLogger("radtune.evaluate.baselines")

KINDS = BASELINE_KINDS
FIELDS = ["id", "task", "reference", "input_text"]


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    return sorted(read_jsonl(path, FIELDS), key=lambda r: r["id"])  # deterministic, independent of file order


def by_task(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[r["task"]].append(r)
    return out


def most_frequent(values: list[str]) -> str:
    """Most frequent value; ties broken by the lexicographically smallest."""
    counts = Counter(values)
    return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]


def constant(train: list[dict[str, Any]], test: list[dict[str, Any]]) -> list[str]:
    """The most frequent train reference (for protocol: the most frequent label) for every test example."""
    value = most_frequent([r["reference"] for r in train])
    return [value] * len(test)


def retrieval(
    train: list[dict[str, Any]], test: list[dict[str, Any]], chunk: int = 256, n_frequent: int = 128
) -> list[str]:
    """Reference of the most similar train example: TF-IDF (scikit-learn TfidfVectorizer) cosine over input_text.

    The search is radtune.data.retrieval.Index (exact brute force, dense BLAS product for the `n_frequent` most
    frequent terms + sparse product for the rest), top-1: ties go to the first train example in id order.
    """
    index = Index([r["input_text"] for r in train], n_frequent=n_frequent)
    hits = index.search([r["input_text"] for r in test], 1, chunk=chunk)
    return [train[h[0][0]]["reference"] for h in hits]


# Sentence boundary: end punctuation followed by whitespace, or a line break. Hand-written because the
# usual splitters need data downloads (nltk punkt) or a full pipeline (spaCy) for a crude baseline.
_SENT = re.compile(r"(?<=[.!?])\s+|\n+")


# Dictation/signature lines and de-identified leftovers close many findings sections; they are not
# clinical content, so the extractive baseline skips them (else it would "predict" a signature line).
# Leftovers: the placeholders of radtune.core.norm.PLACEHOLDER_KINDS except <LOCATION> and <AGE>, which this list
# has left out since it was written (5a87ca8, no reason given; a place or an age may sit in a clinical sentence).
# Kept so: the extractive baseline's predictions stay the same.
_MAYBE_CLINICAL_KINDS = ("LOCATION", "AGE")
_NOT_CLINICAL = re.compile(
    r"dictated|signed|attending|resident|transcribed|<("
    + "|".join(k for k in PLACEHOLDER_KINDS if k not in _MAYBE_CLINICAL_KINDS)
    + ")>",
    re.IGNORECASE,
)


def last_sentences(text: str, max_words: int) -> str:
    """The last clinical sentence(s) of `text`: whole sentences from the end while they fit in max_words
    (at least one); signature/dictation lines are skipped unless nothing else is left."""
    sents = [s.strip() for s in _SENT.split(text) if s and s.strip()]
    sents = [s for s in sents if not _NOT_CLINICAL.search(s)] or sents
    picked: list[str] = []
    words = 0
    for s in reversed(sents):
        n = len(s.split())
        if picked and words + n > max_words:
            break
        picked.insert(0, s)
        words += n
    return " ".join(picked)


def extractive(train: list[dict[str, Any]], test: list[dict[str, Any]]) -> list[str]:
    """Last sentence(s) of the findings, up to the median train impression length in words."""
    median = statistics.median(len(r["reference"].split()) for r in train)
    return [last_sentences(r["input_text"], max(1, int(round(median)))) for r in test]


def predict(kind: str, train: list[dict[str, Any]], test: list[dict[str, Any]]) -> list[str]:
    """Predictions of one baseline for every test row, fitted per task on the train rows of that task."""
    if kind not in KINDS:
        raise RadtuneError(f"unknown baseline kind {kind!r} (expected one of {', '.join(KINDS)})")
    train_by_task = by_task(train)
    preds: list[str] = [""] * len(test)
    index = {id(r): i for i, r in enumerate(test)}
    for task, rows in by_task(test).items():
        tr = train_by_task.get(task)
        if not tr:
            raise RadtuneError(f"task {task!r} has {len(rows)} test examples but no train examples")
        k = kind
        if kind == "extractive" and not (task in TASKS and TASKS[task].extractive_baseline):
            only = ", ".join(n for n, t in TASKS.items() if t.extractive_baseline)
            log.info("extractive baseline applies to the %s task only: task %s falls back to constant", only, task)
            k = "constant"
        t0 = time.perf_counter()
        out = {"constant": constant, "retrieval": retrieval, "extractive": extractive}[k](tr, rows)
        for r, p in zip(rows, out, strict=True):
            preds[index[id(r)]] = p
        log.info("%s on task %s: %d train, %d test, %.2f s", k, task, len(tr), len(rows), time.perf_counter() - t0)
    return preds


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--kind", required=True, choices=KINDS)
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--params", required=True, help="config['eval'] as JSON")
    ap.add_argument("--output", required=True)
    args = ap.parse_args(argv)
    params = json_arg(args.params, "--params")
    train = read_rows(args.train)
    test = select_examples(read_rows(args.test), params["max_examples"])  # same examples as the LLMs
    preds = predict(args.kind, train, test)
    rows = (prediction_row(r, f"baseline_{args.kind}", p) for r, p in zip(test, preds, strict=True))
    n = write_predictions(args.output, rows)
    log.info("wrote %d baseline_%s predictions", n, args.kind)


if __name__ == "__main__":
    run_main(main)
