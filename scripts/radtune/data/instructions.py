"""Stage 5: turn assigned rows into chat examples (system/user/assistant) with seeded templates and prepend phrases."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from radtune.core.common import (
    SPLITS,
    InputError,
    RadtuneError,
    check_conservation,
    hash_fraction,
    json_arg,
    run_main,
    write_jsonl,
)
from radtune.core.formats import NO_GROUP
from radtune.core.frames import per_task, read_parquet
from radtune.core.tasks import TASKS, Task

log = logging.getLogger("radtune.data.instructions")

REQUIRED_COLUMNS = ["id", "dataset", "task", "input_text", "output_text", "split"]


def load_templates(path: str | Path) -> dict[str, list[str]]:
    """YAML mapping task -> non-empty list of instruction strings."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(path, f"cannot read templates ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise InputError(path, "must be a mapping: task -> list of templates")
    out = {}
    for task, items in data.items():
        if task not in TASKS:
            raise InputError(path, f"unknown task {task!r} (expected one of {', '.join(TASKS)})", column=str(task))
        if not isinstance(items, list) or not items or not all(isinstance(t, str) and t.strip() for t in items):
            raise InputError(path, "must be a non-empty list of non-empty strings", column=str(task))
        out[task] = [t.strip() for t in items]
    return out


def load_prepend(path: str | Path) -> list[str]:
    """YAML list of prepend phrases (may be empty: then nothing is prepended)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(path, f"cannot read prepend phrases ({type(exc).__name__})") from None
    data = data or []
    if not isinstance(data, list) or not all(isinstance(p, str) and p.strip() for p in data):
        raise InputError(path, "must be a list of non-empty strings")
    return [p.strip() for p in data]


def context_label(column: str) -> str:
    """ctx_clinical_history -> 'Clinical history'."""
    name = column.removeprefix("ctx_").replace("_", " ").strip()
    return name[:1].upper() + name[1:]


def rendered_columns(columns: list[str]) -> list[str]:
    """Columns the user turn shows besides the task input (body_expr): exam code/description, context columns.

    The filter's duplicate key is these plus input and output, so it judges duplicates on what the model sees."""
    return [c for c in ("exam_code", "exam_description") if c in columns] + [c for c in columns if c.startswith("ctx_")]


def _col(df: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name) if name in df.columns else pl.lit(None, dtype=pl.String)


def _labelled(label: str, value: pl.Expr) -> pl.Expr:
    """'Label: value', unless the value already starts with 'Label:' (exports often carry it)."""
    has = value.str.to_lowercase().str.starts_with(label.lower() + ":")
    return pl.when(has).then(value).otherwise(pl.lit(label + ": ") + value)


def body_expr(df: pl.DataFrame) -> pl.Expr:
    """The user turn after the instruction: exam, context lines, then the task input (Polars, vectorised)."""
    code, desc = _col(df, "exam_code"), _col(df, "exam_description")
    exam = (
        pl.when(code.is_not_null() & desc.is_not_null())
        .then(pl.concat_str([pl.lit("Exam: "), code, pl.lit(" - "), desc]))
        .otherwise(pl.lit("Exam: ") + pl.coalesce(code, desc))
    )
    ctx = [_labelled(context_label(c), pl.col(c)) for c in rendered_columns(df.columns) if c.startswith("ctx_")]
    header = pl.concat_str([exam, *ctx], separator="\n", ignore_nulls=True)
    main_text = per_task({name: task_input_expr(df, t) for name, t in TASKS.items()})
    return pl.when(header == "").then(main_text).otherwise(header + "\n\n" + main_text)


def task_input_expr(df: pl.DataFrame, task: Task) -> pl.Expr:
    """The task input as the prompt shows it: "Findings: <input_text>"; with Task.input_labels each input column
    labelled on its own ("Note: ...\n\nQuestion: ..."), or, without those columns, "Note and question: <input_text>"."""
    whole = pl.lit(task.input_label + ": ") + pl.col("input_text")
    if not task.input_labels:
        return whole
    parts = [pl.lit(label + ": ") + _col(df, c) for label, c in zip(task.input_labels, task.inputs, strict=True)]
    return pl.concat_str(parts, separator="\n\n").fill_null(whole)


def template_index(seed: int, rid: str, n_templates: int) -> int:
    """The instruction template of an example: a function of (seed, id) only (radtune.serve.predict chooses alike)."""
    return int(hash_fraction(seed, rid, "template") * n_templates)


def user_turns(df: pl.DataFrame, templates: dict[str, list[str]], seed: int) -> list[str]:
    """The user turn of each row (instruction + exam, context and task input), as build_examples writes it: for
    new rows without an answer (radtune.serve.predict)."""
    for task in df["task"].unique().to_list():
        if task not in templates:
            raise RadtuneError(f"no instruction templates for task {task!r} (add a list for it to the templates file)")
    instruction = [
        templates[task][template_index(seed, rid, len(templates[task]))]
        for rid, task in zip(df["id"].to_list(), df["task"].to_list(), strict=True)
    ]
    return df.select(pl.lit(pl.Series(instruction, dtype=pl.String)) + "\n\n" + body_expr(df)).to_series().to_list()


def build_examples(
    df: pl.DataFrame, templates: dict[str, list[str]], phrases: list[str], params: dict[str, Any], seed: int
) -> dict[str, list[dict[str, Any]]]:
    """Chat examples per split, in id order. Choices depend on (seed, id) only, never on row order."""
    for task in sorted(df["task"].unique().to_list()):
        if task not in TASKS:
            raise RadtuneError(f"unknown task {task!r} (expected one of {', '.join(TASKS)})")
        if task not in templates:
            raise RadtuneError(f"no instruction templates for task {task!r} (add a list for it to the templates file)")
    prob = float(params["prepend_prob"])
    system = params["system_prompt"]
    df = df.sort("id")
    ids = df["id"].to_list()
    tasks = df["task"].to_list()
    bad = df.filter(~pl.col("split").is_in(SPLITS))
    if bad.height:
        raise RadtuneError(f"{bad.height} row(s) have a split other than {', '.join(SPLITS)}")
    chosen, instruction, prepends = [], [], []
    for rid, task in zip(ids, tasks, strict=True):
        t = template_index(seed, rid, len(templates[task]))
        chosen.append(t)
        instruction.append(templates[task][t])
        use = bool(phrases) and TASKS[task].prepend and hash_fraction(seed, rid, "prepend") < prob
        prepends.append(phrases[int(hash_fraction(seed, rid, "prepend_phrase") * len(phrases))] if use else None)
    prepend = pl.Series(prepends, dtype=pl.String)
    frame = df.select(
        "split",
        "id",
        "dataset",
        "task",
        pl.coalesce(_col(df, "exam_code"), _col(df, "exam_description"), pl.lit(NO_GROUP)).alias("group"),
        (pl.lit(pl.Series(instruction, dtype=pl.String)) + "\n\n" + body_expr(df)).alias("user"),
        pl.when(pl.lit(prepend).is_null())
        .then(pl.col("output_text"))
        .otherwise(pl.lit(prepend) + " " + pl.col("output_text"))
        .alias("answer"),
        "output_text",
        "input_text",
        pl.lit(pl.Series(chosen, dtype=pl.Int64)).alias("template"),
        pl.lit(prepend).alias("prepend"),
    )
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLITS}
    for split, rid, dataset, task, group, user, answer, reference, input_text, template, phrase in frame.iter_rows():
        head = [{"role": "system", "content": system}] if system else []  # a fresh dict per example
        out[split].append(
            {
                "id": rid,
                "dataset": dataset,
                "task": task,
                "group": group,
                "messages": [*head, {"role": "user", "content": user}, {"role": "assistant", "content": answer}],
                "reference": reference,
                "input_text": input_text,
                "template": template,
                "prepend": phrase,
            }
        )
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--input", required=True)
    ap.add_argument("--templates", required=True)
    ap.add_argument("--prepend", required=True)
    ap.add_argument("--params", required=True, help="JSON: config['instructions']")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--outputs", nargs=len(SPLITS), required=True, metavar=tuple(s.upper() for s in SPLITS))
    args = ap.parse_args(argv)
    params = json_arg(args.params, "--params")
    df = read_parquet(args.input, REQUIRED_COLUMNS)
    examples = build_examples(df, load_templates(args.templates), load_prepend(args.prepend), params, args.seed)
    # one example per assigned row, in the split it was assigned to
    check_conservation("instructions", df.height, {s: len(examples[s]) for s in SPLITS}, what="assigned rows")
    for split, path in zip(SPLITS, args.outputs, strict=True):
        n = write_jsonl(path, examples[split])
        log.info("%s: %d examples", split, n)


if __name__ == "__main__":
    run_main(main)
