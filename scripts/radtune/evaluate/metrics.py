"""Every evaluation metric (ROUGE, BERTScore, label match, embedding similarity, macro-F1) and the bootstrap, once."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from radtune.core.common import RadtuneError, resolve_local_model
from radtune.core.tasks import TASKS

# A task's main metric (p-values, best baseline) is radtune.core.tasks.Task.main_metric / main_score.
TEXT_METRICS = ["rouge1", "rouge2", "rouge_l", "bertscore_p", "bertscore_r", "bertscore_f1"]
LABEL_METRICS = ["accuracy", "macro_f1", "similarity"]

_WS = re.compile(r"\s+")


def is_label_task(task: str) -> bool:
    """Whether a task's outputs are labels (exact match, macro-F1, similarity) rather than text (ROUGE, BERTScore):
    radtune.core.tasks.Task.output_kind; a task TASKS does not hold is scored as text."""
    return task in TASKS and TASKS[task].is_label


def collapse_ws(text: str) -> str:
    """One line, single spaces (safe for TSV cells)."""
    return _WS.sub(" ", text or "").strip()


def normalise_label(label: str) -> str:
    """Label normalisation for exact match: case-folded, whitespace collapsed."""
    return collapse_ws(label).casefold()


# ---- ROUGE (rouge-score, Google's reference implementation) --------------------------------------------------


def rouge(references: Sequence[str], predictions: Sequence[str]) -> list[dict[str, float]]:
    """Per-pair ROUGE-1/2/L F1 with rouge-score (use_stemmer=True, its default tokenizer)."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    out = []
    for ref, pred in zip(references, predictions, strict=True):
        s = scorer.score(ref, pred)  # score(target, prediction)
        out.append({"rouge1": s["rouge1"].fmeasure, "rouge2": s["rouge2"].fmeasure, "rouge_l": s["rougeL"].fmeasure})
    return out


# ---- local encoder: BERTScore and sentence similarity --------------------------------------------------------


def encoder_path(spec: dict[str, Any]) -> Path:
    """Folder of the local encoder from eval.encoder ({package} or {path}); a clear error if it is missing.

    The paper-comparable BERTScore setting is roberta-large, layer 17, from a local copy
    (encoder: {path: /models/roberta-large, num_layers: 17}); nothing is ever downloaded.
    """
    if not spec.get("path") and not spec.get("package"):
        raise RadtuneError("eval.encoder needs a 'package' or a 'path'")
    path = resolve_local_model(spec)
    if not (path / "config.json").exists():
        raise RadtuneError(f"encoder folder {path} has no config.json (expected a Hugging Face model folder)")
    return path


def encoder_name(spec: dict[str, Any]) -> str:
    """How the encoder is recorded in score tables (package name or path)."""
    return str(spec.get("path") or spec.get("package"))


def bertscore(
    references: Sequence[str],
    predictions: Sequence[str],
    model_dir: str | os.PathLike,
    num_layers: int,
    batch_size: int = 64,
) -> list[dict[str, float]]:
    """Per-pair BERTScore P/R/F1 (bert-score) with a local encoder at layer `num_layers`.

    No baseline rescaling: rescale_with_baseline silently does nothing for encoders bert-score has
    no baseline file for (e.g. MiniLM), so it is never used and raw scores are reported.
    """
    if not references:
        return []
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from bert_score import BERTScorer

    # An empty (or whitespace) prediction is a real, bad prediction: it scores 0. bert-score itself
    # crashes on empty candidates under transformers 5, so only non-empty pairs go to the scorer.
    zero = {"bertscore_p": 0.0, "bertscore_r": 0.0, "bertscore_f1": 0.0}
    out = [dict(zero) for _ in references]
    keep = [
        i for i, (ref, pred) in enumerate(zip(references, predictions, strict=True)) if pred.strip() and ref.strip()
    ]
    if not keep:
        return out
    scorer = BERTScorer(model_type=str(model_dir), num_layers=num_layers, batch_size=batch_size)  # cuda if present
    p, r, f = scorer.score([predictions[i] for i in keep], [references[i] for i in keep], batch_size=batch_size)
    for i, a, b, c in zip(keep, p.tolist(), r.tolist(), f.tolist(), strict=True):
        out[i] = {"bertscore_p": float(a), "bertscore_r": float(b), "bertscore_f1": float(c)}
    return out


def sentence_embeddings(texts: Sequence[str], model_dir: str | os.PathLike, batch_size: int = 64) -> np.ndarray:
    """L2-normalised mean-pooled token embeddings (sentence-transformers' recipe for MiniLM) from a local encoder."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir)).eval()
    chunks = []
    with torch.inference_mode():
        for i in range(0, len(texts), batch_size):
            enc = tok(
                list(texts[i : i + batch_size]), padding=True, truncation=True, max_length=256, return_tensors="pt"
            )
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            chunks.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(chunks) if chunks else np.zeros((0, 0))


def similarity(a: Sequence[str], b: Sequence[str], model_dir: str | os.PathLike) -> list[float]:
    """Cosine similarity of each pair's sentence embeddings."""
    if not a:
        return []
    emb = sentence_embeddings([*a, *b], model_dir)  # one model load for both sides
    ea, eb = emb[: len(a)], emb[len(a) :]
    return [float(x) for x in (ea * eb).sum(1)]


# ---- label metrics ---------------------------------------------------------------------------------------------


def exact_match(ref: str, pred: str) -> float:
    return float(normalise_label(ref) == normalise_label(pred))


def encode_labels(refs: Sequence[str], preds: Sequence[str]) -> tuple[np.ndarray, np.ndarray, int]:
    """Integer codes for normalised labels over the union of both sides."""
    vocab = {lab: i for i, lab in enumerate(sorted({normalise_label(x) for x in [*refs, *preds]}))}
    r = np.array([vocab[normalise_label(x)] for x in refs], dtype=np.int64)
    p = np.array([vocab[normalise_label(x)] for x in preds], dtype=np.int64)
    return r, p, len(vocab)


def macro_f1_codes(ref: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
    """Macro-F1 for each row of (B, N) label-code matrices, over the labels present in that row's refs or preds.

    Same definition as sklearn.metrics.f1_score(average="macro") (checked in tests); written with
    numpy so that 1,000 bootstrap resamples cost one vectorised pass instead of 1,000 calls.
    """
    ref, pred = np.atleast_2d(ref), np.atleast_2d(pred)
    b = ref.shape[0]
    offs = (np.arange(b) * k)[:, None]
    true_n = np.bincount((ref + offs).ravel(), minlength=b * k).reshape(b, k)
    pred_n = np.bincount((pred + offs).ravel(), minlength=b * k).reshape(b, k)
    hit = ref == pred
    tp = np.bincount((ref + offs)[hit], minlength=b * k).reshape(b, k)
    denom = true_n + pred_n
    present = denom > 0
    f1 = np.where(present, 2 * tp / np.maximum(denom, 1), 0.0)
    return f1.sum(1) / np.maximum(present.sum(1), 1)


def macro_f1(refs: Sequence[str], preds: Sequence[str]) -> float:
    r, p, k = encode_labels(refs, preds)
    return float(macro_f1_codes(r, p, k)[0]) if len(r) else float("nan")


def accuracy(refs: Sequence[str], preds: Sequence[str]) -> float:
    return float(np.mean([exact_match(a, b) for a, b in zip(refs, preds, strict=True)])) if refs else float("nan")


# ---- bootstrap ---------------------------------------------------------------------------------------------------

# A statistic maps a (B, N) matrix of resample indices to B values.
Stat = Callable[[np.ndarray], np.ndarray]


def mean_stat(values: Sequence[float]) -> Stat:
    v = np.asarray(values, dtype=float)
    return lambda idx: v[idx].mean(axis=-1)


def macro_f1_stat(refs: Sequence[str], preds: Sequence[str]) -> Stat:
    r, p, k = encode_labels(refs, preds)
    return lambda idx: macro_f1_codes(r[idx], p[idx], k)


def _resamples(n_items: int, n_boot: int, seed: int, chunk: int = 250):
    """Yield (<=chunk, n_items) index matrices; the same seed gives the same resamples (pairing)."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < n_boot:
        m = min(chunk, n_boot - done)
        yield rng.integers(0, n_items, size=(m, n_items))
        done += m


def bootstrap_ci(
    stat: Stat, n_items: int, n_boot: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap CI of a statistic, resampling examples with replacement."""
    if n_items == 0:
        return float("nan"), float("nan")
    vals = np.concatenate([stat(idx) for idx in _resamples(n_items, n_boot, seed)])
    alpha = (1 - level) / 2 * 100
    lo, hi = np.percentile(vals, [alpha, 100 - alpha])
    return float(lo), float(hi)


def paired_bootstrap_p(stat_a: Stat, stat_b: Stat, n_items: int, n_boot: int = 1000, seed: int = 0) -> float:
    """One-sided paired bootstrap p-value for "system a is better than system b".

    Both statistics see the same resampled example indices. p = share of resamples where a does not
    beat b, ties counted half (mid-p), so identical systems give exactly 0.5 and a clearly better
    system gives ~0.
    """
    if n_items == 0:
        return float("nan")
    worse = ties = 0.0
    for idx in _resamples(n_items, n_boot, seed):
        d = stat_a(idx) - stat_b(idx)
        worse += float((d < -1e-12).sum())
        ties += float((np.abs(d) <= 1e-12).sum())
    return (worse + 0.5 * ties) / n_boot
