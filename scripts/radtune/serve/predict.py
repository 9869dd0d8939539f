"""Batch predictions on new, unlabelled exports (config `predict:`): the training prompts for ingested (and by
default de-identified) rows, greedy generation with a confidence per row, and results/predict/<name>.csv keyed
by the original report id."""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import logging
import math
import time
from pathlib import Path
from typing import Any

import polars as pl

from radtune.core.common import InputError, RadtuneError, atomic_path, iter_jsonl, json_arg, run_main
from radtune.core.norm import normalise_text
from radtune.core.tasks import TASKS
from radtune.data.filter import apply_boilerplate, load_boilerplate, normalise_ws, task_texts
from radtune.data.instructions import load_prepend, load_templates, user_turns

log = logging.getLogger("radtune.serve.predict")

SHARD_REQUIRED = ("id", "dataset", "task", "source", "line", "source_id")
# one shard's predictions (results/predict/<name>/out_<piece>.parquet)
OUT_SCHEMA = {
    "source": pl.String(),
    "line": pl.Int64(),
    "source_id": pl.String(),
    "prediction": pl.String(),
    "label": pl.String(),
    "confidence": pl.Float64(),
    "status": pl.String(),
    "neighbours": pl.String(),  # a retrieval variant: the train examples shown in the prompt (ids, best first)
}
STATUS_OK, STATUS_EMPTY = "ok", "empty_input"


def read_shard(path: str | Path) -> pl.DataFrame:
    """An ingested (radtune.data.ingest --predict) or de-identified shard of new rows."""
    try:
        df = pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(path, f"cannot read parquet ({type(exc).__name__})") from None
    for col in SHARD_REQUIRED:
        if col not in df.columns:
            raise InputError(path, "required column is missing (not a radtune.data.ingest --predict shard)", column=col)
    return df


def prompts(
    df: pl.DataFrame, templates: dict[str, list[str]], params: dict[str, Any], patterns: dict[str, Any] | None
) -> tuple[pl.DataFrame, list[list[dict[str, str]] | None]]:
    """The chat messages (system, user) each row gets, as training built them: sign-off boilerplate stripped
    from the task input when filter.boilerplate.inputs (and enabled), whitespace normalised, the same templates
    chosen by (seed, id). None for a row without a task input (nothing to predict from).

    Returns the prepared frame (input_text added) and the messages per row."""
    bp = params["filter"]["boilerplate"]
    # every task's columns, as the filter's union of shards has them (task_texts reads them all)
    missing = {c for t in TASKS.values() for c in (*t.inputs, t.output)} - set(df.columns)
    df = df.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in sorted(missing))
    if patterns and bp["enabled"] and bp["inputs"]:
        df, _ = apply_boilerplate(df, patterns, inputs=True)
    text_cols = [c for c, t in df.schema.items() if t == pl.String and c not in SHARD_REQUIRED]
    df = df.with_columns(normalise_ws(pl.col(c)).alias(c) for c in text_cols).with_columns(task_texts())
    users = user_turns(df, templates, int(params["seed"]))
    system = params["instructions"]["system_prompt"]
    head = [{"role": "system", "content": system}] if system else []
    messages = [
        [*head, {"role": "user", "content": user}] if has_input else None
        for user, has_input in zip(users, df["input_text"].is_not_null().to_list(), strict=True)
    ]
    return df, messages


def known_labels(train: str | Path, task: str) -> dict[str, str]:
    """Normalised label -> label, for the labels of `task` the variant was trained on (results/data/train.jsonl)."""
    labels: dict[str, str] = {}
    for _, row in iter_jsonl(train, ("task", "reference"), what="train file"):
        if row["task"] == task:
            labels.setdefault(normalise_text(row["reference"]), row["reference"])
    return labels


def add_neighbours(
    df: pl.DataFrame,
    messages: list[list[dict[str, str]] | None],
    assigned: str | Path,
    train: str | Path,
    retrieval: dict[str, Any],
    tokenizer: Any,
) -> list[list[str] | None]:
    """A retrieval variant's prompts for new rows, as training built them (radtune.data.retrieval): each row's k
    nearest train rows of its task, indexed as the neighbours rule indexes them (the split assignment's train rows,
    instructions.retrieval.fields), shown from the train examples within the same token budget. Rewrites the user
    turns in place; returns the ids shown per row (None for a row without a task input)."""
    from radtune.data.retrieval import Index, augment_user, check_params, index_text, neighbour_view, render_neighbours

    k, fields, max_tokens = check_params(retrieval)
    try:
        rows = pl.read_parquet(assigned).filter(pl.col("split") == "train").to_dicts()
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(assigned, f"cannot read the split assignment ({type(exc).__name__})") from None
    examples = {ex["id"]: ex for _, ex in iter_jsonl(train, ("id", "task", "input_text", "reference"))}
    new = df.select("task", *[c for c in df.columns if c in ("exam_code", "exam_description")],
                    *[c for c in df.columns if c.startswith("ctx_")], "input_text").to_dicts()  # fmt: skip
    shown: list[list[str] | None] = [None] * len(new)
    for task in sorted({r["task"] for r in new}):
        train_rows = sorted((r for r in rows if r["task"] == task), key=lambda r: r["id"])
        todo = [i for i, r in enumerate(new) if r["task"] == task and messages[i] is not None]
        if not todo:
            continue
        if not train_rows:
            raise RadtuneError(f"task {task!r}: no train rows to retrieve neighbours from")
        index = Index([index_text(r, fields) for r in train_rows])
        for i, hits in zip(todo, index.search([index_text(new[i], fields) for i in todo], k), strict=True):
            ids = [train_rows[j]["id"] for j, _ in hits]
            missing = [x for x in ids if x not in examples]
            if missing:
                raise RadtuneError(f"{len(missing)} neighbour(s) are not in {train}: stale split assignment")
            nbs = [neighbour_view(examples[x]) for x in ids]
            block = render_neighbours(nbs, task, tokenizer, max_tokens)
            messages[i] = [m | {"content": augment_user(m["content"], block)} if m["role"] == "user" else m
                           for m in messages[i]]  # fmt: skip
            shown[i] = ids
    return shown


def strip_phrases(prediction: str, phrases: list[str]) -> str:
    """Drop a prepend phrase ("Impression:") that opens the prediction (the longest that matches)."""
    p = prediction.strip()
    for phrase in sorted(phrases, key=len, reverse=True):
        if p.lower().startswith(phrase.lower()):
            return p[len(phrase) :].strip()
    return p


def predict_shard(
    shard: str | Path,
    base: str | Path,
    finetuned: str | Path | None,
    train: str | Path,
    templates_path: str | Path,
    prepend_path: str | Path,
    boilerplate_path: str | Path | None,
    params: dict[str, Any],
    output: str | Path,
    assigned: str | Path | None = None,
    retrieval: dict[str, Any] | None = None,
) -> int:
    """Predict every row of one shard into `output` (OUT_SCHEMA, one row per input row); returns the rows."""
    from radtune.evaluate.generate import generate_hf, generate_vllm, load_model, tokenizer_source

    df = read_shard(shard)
    tasks = df["task"].unique().to_list()
    if len(tasks) > 1:
        raise InputError(shard, f"one task per shard expected, found {len(tasks)}", column="task")
    task = TASKS[tasks[0]] if tasks else None
    templates = load_templates(templates_path)
    phrases = load_prepend(prepend_path)
    patterns = load_boilerplate(boilerplate_path) if boilerplate_path else None
    df, messages = prompts(df, templates, params, patterns)
    shown: list[list[str] | None] = [None] * df.height
    if retrieval is not None:
        from transformers import AutoTokenizer

        if assigned is None:
            raise RadtuneError("a retrieval variant needs the split assignment (--assigned)")
        tok = AutoTokenizer.from_pretrained(str(base), local_files_only=True)  # as the retrieval_data rule renders
        shown = add_neighbours(df, messages, assigned, train, retrieval, tok)
    todo = [i for i, m in enumerate(messages) if m is not None]
    eval_params = params["eval"]
    max_new, t0 = int(eval_params["max_new_tokens"]), time.perf_counter()
    preds: list[str] = []
    scores: list[float | None] = []
    if todo:
        if eval_params["backend"] == "vllm":
            from transformers import AutoTokenizer

            tok = AutoTokenizer.from_pretrained(str(tokenizer_source(base, finetuned)))
            texts = [tok.apply_chat_template(messages[i], tokenize=False, add_generation_prompt=True) for i in todo]
            preds, scores = generate_vllm(base, finetuned, texts, max_new, with_scores=True)
        else:
            model, tok = load_model(base, finetuned)
            log.info("model loaded in %.1f s", time.perf_counter() - t0)
            t0 = time.perf_counter()
            texts = [tok.apply_chat_template(messages[i], tokenize=False, add_generation_prompt=True) for i in todo]
            preds, scores = generate_hf(model, tok, texts, max_new, int(eval_params["batch_size"]), with_scores=True)
    dt = time.perf_counter() - t0
    labels = known_labels(train, task.name) if task is not None and task.is_label else {}
    prediction: list[str | None] = [None] * df.height
    label: list[str | None] = [None] * df.height
    confidence: list[float | None] = [None] * df.height
    for i, pred, score in zip(todo, preds, scores, strict=True):
        prediction[i] = strip_phrases(pred, phrases)
        confidence[i] = math.exp(score) if score is not None else None
        if task is not None and task.is_label:
            label[i] = labels.get(normalise_text(prediction[i]))
    status = [STATUS_OK if m is not None else STATUS_EMPTY for m in messages]
    out = pl.DataFrame(
        {
            "source": df["source"],
            "line": df["line"],
            "source_id": df["source_id"],
            "prediction": prediction,
            "label": label,
            "confidence": confidence,
            "status": status,
            "neighbours": [" ".join(ids) if ids is not None else None for ids in shown],
        },
        schema=OUT_SCHEMA,
    )
    with atomic_path(output) as tmp:
        out.write_parquet(tmp)
    n_label = sum(x is not None for x in label)
    log.info(
        "predicted %d rows in %.1f s (%.2f rows/s); %d without a task input%s",
        len(todo),
        dt,
        len(todo) / dt if dt else 0.0,
        df.height - len(todo),
        f"; {n_label} outputs are a known {task.name} label" if task is not None and task.is_label else "",
    )
    return out.height


def model_facts(model_dir: str | Path) -> dict[str, str]:
    """The variant's identity for every output row: name, recipe and a fingerprint of its training run
    (radtune_variant.json: recipe fields, data and tokenizer fingerprints, seed, steps, losses)."""
    meta = Path(model_dir) / "radtune_variant.json"
    if not meta.exists():
        raise RadtuneError(f"{model_dir} has no radtune_variant.json: not a model folder radtune.train.run wrote")
    facts = json.loads(meta.read_text(encoding="utf-8"))
    return {
        "variant": str(facts.get("variant", Path(model_dir).name)),
        "recipe": str(facts.get("recipe", "")),
        "model_fingerprint": hashlib.sha256(meta.read_bytes()).hexdigest()[:16],
    }


def merge(
    inputs: list[str],
    csv_paths: list[str],
    id_column: str,
    task: str,
    model_dir: str | Path,
    deidentified: bool,
    output: str | Path,
) -> int:
    """One CSV row per input row, in the exports' order (file, line): the original report id (under its own
    header), prediction, label (label tasks), confidence, status, and the variant's identity. Returns the rows."""
    frames = []
    for path in inputs:
        try:
            frames.append(pl.read_parquet(path).select(list(OUT_SCHEMA)))
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise InputError(path, f"cannot read predictions shard ({type(exc).__name__})") from None
    df = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=OUT_SCHEMA)
    order = {p: i for i, p in enumerate(csv_paths)}
    unknown = set(df["source"].unique().to_list()) - set(order)
    if unknown:
        raise RadtuneError(f"predictions shards name {len(unknown)} file(s) that are not this entry's csv list")
    df = df.with_columns(_file=pl.col("source").replace_strict(order, return_dtype=pl.Int64)).sort("_file", "line")
    facts = model_facts(model_dir)
    is_label = TASKS[task].is_label
    header = [id_column, "prediction", *(["label"] if is_label else []), "confidence", "status"]
    header += ["variant", "recipe", "model_fingerprint", "deidentified"]
    # a retrieval variant's predictions name the train examples their prompts showed (pseudonymous ids, for audit)
    with_neighbours = df["neighbours"].is_not_null().any()
    header += ["neighbours"] if with_neighbours else []
    with atomic_path(output) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in df.iter_rows(named=True):
            conf = "" if row["confidence"] is None else f"{row['confidence']:.4g}"
            writer.writerow(
                [row["source_id"], row["prediction"] or "", *([row["label"] or ""] if is_label else []), conf]
                + [row["status"], facts["variant"], facts["recipe"], facts["model_fingerprint"], deidentified]
                + ([row["neighbours"] or ""] if with_neighbours else [])
            )
    counts = df["status"].value_counts().sort("status").iter_rows()
    log.info("%d rows written (%s) by %s", df.height, ", ".join(f"{s}: {n}" for s, n in counts), facts["variant"])
    if not deidentified:
        log.warning("the input was NOT de-identified before the model saw it (predict.<name>.deidentify: false)")
    return df.height


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m radtune.serve.predict", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate", help="predict one shard")
    g.add_argument("--input", required=True, help="ingested or de-identified shard")
    g.add_argument("--base", required=True, help="base model folder")
    g.add_argument("--finetuned", help="results/models/<variant>")
    g.add_argument("--train", required=True, help="results/data/train.jsonl (the labels a label task knows)")
    g.add_argument("--templates", required=True)
    g.add_argument("--prepend", required=True, help="prepend phrases (stripped from predictions)")
    g.add_argument("--boilerplate", help="boilerplate pattern file (filter.boilerplate.patterns)")
    g.add_argument("--params", required=True, help="JSON: seed, instructions, filter, eval (generation keys)")
    g.add_argument("--assigned", help="results/split/assigned.parquet (a retrieval variant: the train rows)")
    g.add_argument("--retrieval", help="JSON: instructions.retrieval (a retrieval variant's prompts)")
    g.add_argument("--output", required=True)
    m = sub.add_parser("merge", help="merge the shards into the predictions CSV")
    m.add_argument("--inputs", nargs="+", required=True)
    m.add_argument("--csv", nargs="+", required=True, help="the entry's CSV files, in config order")
    m.add_argument("--id-column", required=True, help="header of the report id in the CSVs")
    m.add_argument("--task", required=True, choices=list(TASKS))
    m.add_argument("--model", required=True, help="results/models/<variant>")
    m.add_argument("--deidentified", choices=["true", "false"], required=True)
    m.add_argument("--output", required=True)
    a = ap.parse_args(argv)
    if a.cmd == "generate":
        if not Path(a.base).is_dir():
            raise RadtuneError(f"base model folder {a.base} does not exist")
        params = json_arg(a.params, "--params")
        retrieval = json_arg(a.retrieval, "--retrieval") if a.retrieval else None
        predict_shard(
            a.input, a.base, a.finetuned, a.train, a.templates, a.prepend, a.boilerplate, params, a.output,
            assigned=a.assigned, retrieval=retrieval,
        )  # fmt: skip
    else:
        merge(a.inputs, a.csv, a.id_column, a.task, a.model, a.deidentified == "true", a.output)


if __name__ == "__main__":
    run_main(main)
