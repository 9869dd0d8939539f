"""File formats shared between stages, each defined once: the predictions JSONL and the TSV tables."""

from __future__ import annotations

import argparse
import contextlib
import csv
import logging
import math
import numbers
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from radtune.core.common import InputError, atomic_path, iter_jsonl, run_main, write_jsonl

log = logging.getLogger("radtune.core.formats")

# ---- predictions: results/predictions/{model}.jsonl ------------------------------------------------------------
# Written by radtune.evaluate.generate (one file per shard, merged by merge_predictions) and
# radtune.evaluate.baselines; read by
# radtune.evaluate.score and radtune.evaluate.judge. One JSON object a line, keys sorted (common.write_jsonl), one row
# per evaluated
# test example: the example's id, task, group (exam group, "all" when the example has none), reference and task
# input, the model key and its prediction (prepend phrase stripped).
PREDICTION_FIELDS = ("id", "model", "task", "group", "reference", "prediction", "input_text")
# Fields a reader needs (strings; ids unique); input_text is only filled into the judge prompt.
PREDICTION_REQUIRED = ("id", "model", "task", "group", "reference", "prediction")
# The group of an example without an exam code or description (radtune.data.instructions writes it; prediction_row
# fills it in for an example without a group).
NO_GROUP = "all"


def prediction_row(example: dict[str, Any], model: str, prediction: str) -> dict[str, Any]:
    """The predictions row of one test example (a row of results/data/test.jsonl) and a model's prediction."""
    return {
        "id": example["id"],
        "model": model,
        "task": example["task"],
        "group": example.get("group") or NO_GROUP,
        "reference": example["reference"],
        "prediction": prediction,
        "input_text": example.get("input_text", ""),
    }


def write_predictions(path: str | os.PathLike, rows: Iterable[dict[str, Any]]) -> int:
    """Write prediction rows (see prediction_row) atomically; returns the row count."""
    return write_jsonl(path, rows)


def _unique_predictions(paths: Iterable[str | os.PathLike]) -> Iterator[dict[str, Any]]:
    """Rows of the prediction files in order, checked: required string fields, ids unique over all the files."""
    seen: dict[str, tuple[str, int]] = {}
    for path in paths:
        for line, row in iter_jsonl(path, PREDICTION_REQUIRED, what="predictions file"):
            if row["id"] in seen:
                file, first = seen[row["id"]]
                where = f"line {first}" if file == str(path) else f"{file} line {first}"
                raise InputError(path, f"duplicate id (first on {where})", line=line, column="id")
            seen[row["id"]] = (str(path), line)
            yield row


def read_predictions(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Prediction rows, checked for the PREDICTION_REQUIRED fields and unique ids (file/line/column on error)."""
    return list(_unique_predictions([path]))


def merge_predictions(inputs: Sequence[str | os.PathLike], output: str | os.PathLike) -> int:
    """The per-shard prediction files of one model as one file, in input order (each shard checked as
    read_predictions does, ids unique across shards); byte-identical to concatenating the shards."""
    return write_predictions(output, _unique_predictions(inputs))


# ---- TSV tables: scores, judge grades, eval tables, reports, the training log ------------------------------------
# A header line of column names, then one line per row; tab-separated, "\n" line ends, UTF-8, csv quoting only where
# a cell holds a tab, newline or double quote (free text is whitespace-collapsed upstream, so in practice never).
SCORE_DECIMALS = 6  # per-example tables (results/scores/, results/judge/): decimals of a non-integer number


class TSV(csv.excel_tab):
    """The csv dialect of these tables (write_tsv and the readers below): tabs, newline line ends, minimal quoting."""

    lineterminator = "\n"


def tsv_cell(value: Any, decimals: int | None = None) -> str:
    """One TSV cell: None is empty; with `decimals`, a non-integer number has that many decimals (NaN: empty)."""
    if value is None:
        return ""
    if decimals is not None and isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return "" if math.isnan(value) else f"{float(value):.{decimals}f}"
    return str(value)


def write_tsv(
    path: str | os.PathLike,
    rows: Iterable[Mapping[str, Any] | Sequence[Any]],
    columns: Sequence[str],
    *,
    decimals: int | None = None,
) -> int:
    """Write a TSV table atomically (owner-only, no partial file on failure); returns the row count.

    A row is a mapping (cells by column name; a missing column is empty) or a sequence in column order.
    Cells are written by tsv_cell(value, decimals).
    """
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, dialect=TSV)
        w.writerow(columns)
        for row in rows:
            cells = [row.get(c) for c in columns] if isinstance(row, Mapping) else list(row)
            if len(cells) != len(columns):
                raise ValueError(f"{path}: a row of {len(cells)} cells for {len(columns)} columns")
            w.writerow([tsv_cell(v, decimals) for v in cells])
            n += 1
    return n


@contextlib.contextmanager
def open_tsv(path: str | os.PathLike) -> Iterator[csv.DictReader]:
    """A TSV table (as write_tsv writes it) for reading: a csv.DictReader whose fieldnames are the header line.

    Rows come as {column: cell string}; blank lines are skipped. The caller checks columns and values (and names
    file, line and column in its errors)."""
    with open(path, encoding="utf-8", newline="") as fh:
        yield csv.DictReader(fh, dialect=TSV)


@contextlib.contextmanager
def open_tsv_rows(path: str | os.PathLike) -> Iterator[Iterator[list[str]]]:
    """A TSV table for reading as plain lists of cells, header line first, one list per line (a blank line is an
    empty list): for callers that check the header and the number of cells of every line themselves."""
    with open(path, encoding="utf-8", newline="") as fh:
        yield csv.reader(fh, dialect=TSV)


def read_tsv(path: str | os.PathLike) -> list[dict[str, str]]:
    """All rows of a TSV table as {column: cell string} (see open_tsv); unchecked."""
    with open_tsv(path) as reader:
        return list(reader)


# ---- command line: the merge step of generation ------------------------------------------------------------------
def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m radtune.core.formats", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("merge-predictions", help=merge_predictions.__doc__)
    m.add_argument("--inputs", nargs="+", required=True, help="the shards' prediction files, in shard order")
    m.add_argument("--output", required=True)
    args = ap.parse_args(argv)
    n = merge_predictions(args.inputs, args.output)
    log.info("merged %d predictions from %d shard(s) into %s", n, len(args.inputs), Path(args.output).name)


if __name__ == "__main__":
    run_main(main)
