"""Stage 3: strip sign-off boilerplate, normalise whitespace, derive input/output text per task, drop unusable
rows and duplicates of what the model sees, count every drop."""

from __future__ import annotations

import argparse
import logging
import re
from collections import Counter
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from radtune.core.common import (
    ConservationError,
    InputError,
    RadtuneError,
    atomic_path,
    check_conservation,
    json_arg,
    run_main,
)
from radtune.core.formats import write_tsv
from radtune.core.frames import per_task
from radtune.core.tasks import TASKS
from radtune.data.instructions import rendered_columns

log = logging.getLogger("radtune.data.filter")

# Columns that are identifiers/labels, not text: never whitespace-normalised.
KEY_COLUMNS = {"id", "dataset", "task", "line", "source", "patient_key"}
REQUIRED_COLUMNS = ["id", "dataset", "task", "line", "source"]
STEPS = [
    "rows_in",
    "dropped_missing_input",
    "dropped_missing_output",
    "dropped_boilerplate_only",
    "dropped_short_findings",
    "dropped_duplicate_pair",
    "dropped_too_long",
    "rows_out",
]


# ---- sign-off / communication boilerplate ------------------------------------------------------------------

# A sentence ends at . ! ? before whitespace, or at a line break; not after an abbreviation, a number ("1.")
# or an initial, so "Electronically signed: <PERSON>, M.D. <DATE>" stays one sentence.
_BOUNDARY = re.compile(r"[.!?](?=\s)|\n")
_LAST_TOKEN = re.compile(r"(\S+)$")
_ABBREVIATIONS = {
    "dr",
    "mr",
    "mrs",
    "ms",
    "m.d",
    "d.o",
    "r.n",
    "ph.d",
    "n.p",
    "p.a",
    "st",
    "vs",
    "e.g",
    "i.e",
    "approx",
}
# What may be left of a sign-off after its sentence: placeholders, credentials, punctuation.
_LEFTOVER = re.compile(
    r"^(?:<[A-Z][A-Z_]*>|\b(?:m\.?d|d\.?o|r\.?n|n\.?p|p\.?a|ph\.?d|dr|mbbs|frcr)\b\.?|[\W_])*$", re.I
)


def load_boilerplate(path: str | Path) -> dict[str, re.Pattern[str]]:
    """Pattern file (YAML: name -> list of regexes) as one alternation per name (case-insensitive; ^ = line start)."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(path, f"cannot read boilerplate patterns ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not data:
        raise InputError(path, "must be a mapping: name -> list of regular expressions")
    out = {}
    for name, items in data.items():
        if not re.fullmatch(r"[a-z0-9_]+", str(name)):
            raise InputError(path, f"pattern name {name!r} must be lowercase letters, digits and _", column=str(name))
        if not isinstance(items, list) or not items or not all(isinstance(x, str) and x for x in items):
            raise InputError(path, "must be a non-empty list of regular expressions", column=str(name))
        try:
            out[str(name)] = re.compile("|".join(f"(?:{x})" for x in items), re.IGNORECASE | re.MULTILINE)
        except re.error as exc:
            raise InputError(path, f"invalid regular expression ({exc})", column=str(name)) from None
    return out


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line; the pieces concatenate back to `text`."""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if m.group() != "\n":
            tok = _LAST_TOKEN.search(text, start, m.start())
            word = tok.group(1).lower().lstrip("(,") if tok else ""
            if word in _ABBREVIATIONS or word.isdigit() or len(word) == 1:
                continue
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def strip_boilerplate(text: str | None, patterns: dict[str, re.Pattern[str]]) -> tuple[str | None, list[str]]:
    """`text` without its sign-off/communication sentences, and the pattern name of each removed sentence.

    A sentence is removed when any pattern matches it; a placeholder-only leftover right after a removed
    sentence goes with it (not counted again). Kept text is returned untouched (whitespace included)."""
    if not text or not any(p.search(text) for p in patterns.values()):
        return text, []
    kept, hits, previous_removed = [], [], False
    for a, b in sentence_spans(text):
        piece = text[a:b]
        name = next((n for n, p in patterns.items() if p.search(piece)), None)
        if name is not None:
            hits.append(name)
            previous_removed = True
        elif previous_removed and piece.strip() and _LEFTOVER.match(piece.strip()):
            continue
        else:
            kept.append(piece)
            previous_removed = previous_removed and not piece.strip()
    return "".join(kept), hits


def apply_boilerplate(
    df: pl.DataFrame, patterns: dict[str, re.Pattern[str]], inputs: bool
) -> tuple[pl.DataFrame, Counter[tuple[str, str, str]]]:
    """Strip boilerplate from each task's output column (and input column with `inputs`) in place: the columns
    Task.boilerplate_output / boilerplate_input name (not a label).

    Returns the frame, with `_bp_emptied_in` / `_bp_emptied_out` (the text was there and nothing is left),
    and counts of removed sentences per (dataset, side, pattern name)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    emptied = {"in": [False] * df.height, "out": [False] * df.height}
    outputs = {n: t.boilerplate_output for n, t in TASKS.items() if t.boilerplate_output}
    sides = [("out", outputs)]
    if inputs:
        sides.append(("in", {n: t.boilerplate_input for n, t in TASKS.items() if t.boilerplate_input}))
    tasks, datasets = df["task"].to_list(), df["dataset"].to_list()
    for side, columns in sides:
        for col in sorted(set(columns.values())):
            if col not in df.columns:
                continue
            values = df[col].to_list()
            for i, text in enumerate(values):
                if columns.get(tasks[i]) != col or not text or not text.strip():
                    continue
                new, hits = strip_boilerplate(text, patterns)
                if hits:
                    counts.update((datasets[i], side, h) for h in hits)
                    values[i] = new
                    emptied[side][i] = not (new or "").strip()
            df = df.with_columns(pl.Series(col, values, dtype=pl.String))
    return df.with_columns(
        pl.Series("_bp_emptied_in", emptied["in"]), pl.Series("_bp_emptied_out", emptied["out"])
    ), counts


# ---- whitespace, task texts ----------------------------------------------------------------------------------

# Same result as replacing r"\s+" by " ", but only touches runs of 2+ and non-space whitespace: ~3x faster.
WS_RUNS = r"\s\s+|[^\S ]"


def normalise_ws(expr: pl.Expr) -> pl.Expr:
    """Collapse whitespace runs to one space and strip; an empty result becomes null."""
    s = expr.str.replace_all(WS_RUNS, " ").str.strip_chars()
    return pl.when(s == "").then(None).otherwise(s)


def word_count(expr: pl.Expr) -> pl.Expr:
    """Words in whitespace-normalised text (0 for null); a joined input has Task.input_sep between its parts."""
    return (expr.str.count_matches(r"\s") + 1).fill_null(0)


def _joined(cols: tuple[str, ...], sep: str) -> pl.Expr:
    """The input columns joined by `sep`; null when one of them is."""
    return pl.col(cols[0]) if len(cols) == 1 else pl.concat_str([pl.col(c) for c in cols], separator=sep)


def task_texts() -> list[pl.Expr]:
    """input_text / output_text per task (docs/data-formats.md), from normalised columns: Task.inputs joined by
    Task.input_sep (null when one of them is), and Task.output."""
    input_text = per_task({n: _joined(t.inputs, t.input_sep) for n, t in TASKS.items()})
    output_text = per_task({n: pl.col(t.output) for n, t in TASKS.items()})
    return [input_text.alias("input_text"), output_text.alias("output_text")]


def load_shards(paths: list[str]) -> pl.LazyFrame:
    """All de-identified shards as one lazy frame (columns unioned; missing ones null)."""
    frames = []
    for p in paths:
        try:
            schema = pl.read_parquet_schema(p)
        except Exception as exc:  # noqa: BLE001 - unreadable file: name it
            raise InputError(p, f"not a readable parquet file ({type(exc).__name__})") from None
        for col in REQUIRED_COLUMNS:
            if col not in schema:
                raise InputError(p, "required column missing", column=col)
        frames.append(pl.scan_parquet(p))
    if not frames:
        raise RadtuneError("filter: no input shards")
    text_cols = list(dict.fromkeys(c for t in TASKS.values() for c in t.required))
    lf = pl.concat(frames, how="diagonal_relaxed")
    have = set(lf.collect_schema().names())
    return lf.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in text_cols if c not in have)


def check_unique_ids(df: pl.DataFrame) -> None:
    """The same report in two shards/files (same dataset and report id): name both places."""
    dup = df.filter(pl.col("id").is_duplicated())
    if dup.height:
        dup = dup.sort("id", "source", "line")
        a, b = dup.row(0, named=True), dup.row(1, named=True)
        raise InputError(
            b["source"], f"duplicate report id (same as {a['source']} line {a['line']})", line=b["line"], column="id"
        )


def load_ingested(paths: dict[str, list[str]]) -> pl.DataFrame:
    """The keyed report ids (dataset, id) that ingest read from the CSV parts the config names (results/ids/)."""
    frames = [
        pl.read_parquet(p, columns=["id"]).select(pl.lit(d, dtype=pl.String).alias("dataset"), "id")
        for d, ps in paths.items()
        for p in ps
    ]
    return pl.concat(frames) if frames else pl.DataFrame(schema={"dataset": pl.String, "id": pl.String})


def check_ingested(df: pl.DataFrame, ingested: pl.DataFrame) -> None:
    """Conservation from ingest to the filter: per dataset, the de-identified shards hold exactly the reports ingest
    read from the CSV parts of the current config - no shard missing, none left from another shard count or
    another file list. Counts only in the message (ids are keyed, but nothing here needs them)."""
    have = df.select("dataset", "id")
    for d in sorted(set(ingested["dataset"].unique().to_list()) | set(have["dataset"].unique().to_list())):
        want_d, have_d = ingested.filter(pl.col("dataset") == d), have.filter(pl.col("dataset") == d)
        missing = want_d.join(have_d, on="id", how="anti").height
        extra = have_d.join(want_d, on="id", how="anti").height
        if missing or extra or want_d.height != have_d.height:
            raise ConservationError(
                f"conservation check failed at filter: dataset {d}: {want_d.height} reports ingested from the CSV "
                f"files the config names, {have_d.height} rows in its de-identified shards ({missing} missing, "
                f"{extra} not ingested under this config): a stale or partial shard set; rerun with "
                "`snakemake --forcerun ingest`"
            )


def filter_rows(
    lf: pl.LazyFrame,
    datasets: dict[str, Any],
    params: dict[str, Any],
    patterns: dict[str, re.Pattern[str]] | None = None,
    ingested: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, list[tuple[str, str, int]]]:
    """Apply the filter; returns (kept rows sorted by id, report rows (dataset, step, rows)).

    `patterns` (load_boilerplate) strips sign-off boilerplate first, unless filter.boilerplate.enabled is false.
    `ingested` (load_ingested): the reports ingest read; the shards must hold exactly them (check_ingested), and the
    report gets a rows_ingested line per dataset.
    """
    min_words = int(params["min_findings_words"])
    max_in = params["max_input_words"]
    max_out = params["max_output_words"]
    bp = params["boilerplate"]
    if not bp["enabled"]:
        patterns = None
    names = lf.collect_schema().names()
    text_cols = [c for c, t in lf.collect_schema().items() if c not in KEY_COLUMNS and t == pl.String]
    # Boilerplate goes sentence by sentence and line by line: before whitespace normalisation joins the lines.
    df = lf.sort("id").collect()
    check_unique_ids(df)
    if ingested is not None:
        check_ingested(df, ingested)
    bp_counts: Counter[tuple[str, str, str]] = Counter()
    if patterns:
        df, bp_counts = apply_boilerplate(df, patterns, bool(bp["inputs"]))
    else:
        df = df.with_columns(_bp_emptied_in=pl.lit(False), _bp_emptied_out=pl.lit(False))
    df = df.with_columns(normalise_ws(pl.col(c)).alias(c) for c in text_cols).with_columns(task_texts())
    in_words = word_count(pl.col("input_text"))
    out_words = word_count(pl.col("output_text"))
    too_long = pl.lit(False)
    if max_in is not None:
        too_long = too_long | (in_words > int(max_in))
    if max_out is not None:
        too_long = too_long | (out_words > int(max_out))
    short = pl.lit(False)  # Task.min_words_column
    for name, t in TASKS.items():
        if t.min_words_column:
            short = short | ((pl.col("task") == name) & (word_count(pl.col(t.min_words_column)) < min_words))
    # One reason per dropped row, in the order of STEPS; duplicates are judged among the rows that survive
    # the earlier steps (sorted by id, so the first by id is kept), then length among the rest.
    df = df.with_columns(
        _reason=pl.when(pl.col("input_text").is_null() & ~pl.col("_bp_emptied_in"))
        .then(pl.lit("dropped_missing_input"))
        .when(pl.col("output_text").is_null() & ~pl.col("_bp_emptied_out"))
        .then(pl.lit("dropped_missing_output"))
        .when(pl.col("input_text").is_null() | pl.col("output_text").is_null())
        .then(pl.lit("dropped_boilerplate_only"))
        .when(short)
        .then(pl.lit("dropped_short_findings"))
    ).drop("_bp_emptied_in", "_bp_emptied_out")
    dropped = df.filter(pl.col("_reason").is_not_null())
    alive = df.filter(pl.col("_reason").is_null())
    # The duplicate key is what the model sees and must answer: the whole rendered input (task input, context
    # columns, exam code/description) and the output. kept_by_* say how many rows each part of it kept.
    parts = rendered_columns(alive.columns)
    core = ["task", "input_text", "output_text"]
    first = pl.struct(*core, *parts).is_first_distinct()
    kept_by = {"kept_by_context": alive.select(first & ~pl.struct(*core).is_first_distinct()).to_series()}
    for part in parts:
        without = pl.struct(*core, *(p for p in parts if p != part)).is_first_distinct()
        kept_by[f"kept_by_{part}"] = alive.select(first & ~without).to_series()
    alive = alive.with_columns(
        _reason=pl.when(~first).then(pl.lit("dropped_duplicate_pair")).when(too_long).then(pl.lit("dropped_too_long")),
        **{k: v for k, v in kept_by.items()},
    )
    df = pl.concat([alive, dropped], how="diagonal")
    counts = df.group_by("dataset", "_reason").len()
    lookup = {(d, r): n for d, r, n in counts.iter_rows()}
    kept_lookup = {(d, k): n for k in kept_by for d, n in alive.group_by("dataset").agg(pl.col(k).sum()).iter_rows()}
    sides = (["out", "in"] if bp["inputs"] else ["out"]) if patterns else []
    report = []
    all_datasets = list(dict.fromkeys(list(datasets) + sorted(df["dataset"].unique().to_list())))
    for d in all_datasets:
        rows_in = int((df["dataset"] == d).sum())
        if ingested is not None:
            report.append((d, "rows_ingested", int((ingested["dataset"] == d).sum())))
        report.append((d, "rows_in", rows_in))
        for step in STEPS[1:-1]:
            report.append((d, step, lookup.get((d, step), 0)))
        report.append((d, "rows_out", lookup.get((d, None), 0)))
        # every row read leaves as kept or dropped with exactly one reason
        check_conservation(
            f"filter (dataset {d})", rows_in, {s: lookup.get((d, s if s != "rows_out" else None), 0) for s in STEPS[1:]}
        )
        for k in kept_by:
            report.append((d, k, int(kept_lookup.get((d, k), 0))))
        for side in sides:
            label = "output" if side == "out" else "input"
            for name in patterns or {}:
                report.append((d, f"boilerplate_{label}_{name}", bp_counts.get((d, side, name), 0)))
    kept = df.filter(pl.col("_reason").is_null()).drop("_reason", *kept_by)
    ordered = [c for c in names if c in kept.columns] + ["input_text", "output_text"]
    return kept.select(ordered).sort("id"), report


def write_report(path: str | Path, report: list[tuple[str, str, int]]) -> None:
    write_tsv(path, report, ["dataset", "step", "rows"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--inputs", nargs="+", required=True)
    ap.add_argument("--datasets", required=True, help="JSON: config['datasets']")
    ap.add_argument("--params", required=True, help="JSON: config['filter']")
    ap.add_argument("--boilerplate", help="boilerplate pattern file (filter.boilerplate.patterns)")
    ap.add_argument("--ingested", help="JSON: {dataset: [keyed id lists of its CSV parts (results/ids/)]}")
    ap.add_argument("--output", required=True)
    ap.add_argument("--report", required=True)
    args = ap.parse_args(argv)
    datasets, params = json_arg(args.datasets, "--datasets"), json_arg(args.params, "--params")
    patterns = load_boilerplate(args.boilerplate) if args.boilerplate else None
    ingested = load_ingested(json_arg(args.ingested, "--ingested")) if args.ingested else None
    kept, report = filter_rows(load_shards(args.inputs), datasets, params, patterns, ingested)
    with atomic_path(args.output) as tmp:
        kept.write_parquet(tmp, compression="zstd", statistics=True)
    write_report(args.report, report)
    for d, step, n in report:
        log.info("%s %s %d", d, step, n)


if __name__ == "__main__":
    run_main(main)
