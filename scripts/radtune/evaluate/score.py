"""Per-example scores of one model's predictions (ROUGE, BERTScore; protocol: exact match, similarity) and the
collapse/memorisation diagnostics measured against the train split: scores.tsv."""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from typing import Any

from radtune.core.common import json_arg, read_jsonl, run_main
from radtune.core.formats import SCORE_DECIMALS, read_predictions, write_tsv
from radtune.core.norm import has_placeholder, normalise_text, text_key
from radtune.evaluate import metrics
from radtune.evaluate.baselines import most_frequent

log = logging.getLogger("radtune.evaluate.score")

# Per-example diagnostics (radtune.core.norm.normalise_text decides "the same text"): novel = the reference does not
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
    enc_spec = params["encoder"]
    enc_dir = metrics.encoder_path(enc_spec)  # fails fast, before any scoring, when the encoder is missing
    layers = int(enc_spec["num_layers"])
    name = metrics.encoder_name(enc_spec)
    text_idx = [i for i, r in enumerate(rows) if not metrics.is_label_task(r["task"])]
    lab_idx = [i for i, r in enumerate(rows) if metrics.is_label_task(r["task"])]
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
    write_tsv(args.output, score_rows(rows, params, train), COLUMNS, decimals=SCORE_DECIMALS)
    log.info("wrote %d score rows", len(rows))


if __name__ == "__main__":
    run_main(main)
