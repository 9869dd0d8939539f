"""Stage 1: read raw report CSVs, validate them against the column mapping, write canonical hash-sharded parquet."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import itertools
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from radtune.core.common import (
    InputError,
    RadtuneError,
    atomic_path,
    json_arg,
    key_fingerprint,
    keyed_hash,
    load_pseudonym_key,
    run_main,
)
from radtune.core.formats import write_tsv
from radtune.core.tasks import TASKS

log = logging.getLogger("radtune.data.ingest")

STRUCTURED_FIELDS = ["exam_code", "exam_description"]
# Date formats accepted for the mapped `date` column (validated, never written on).
DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y", "%Y%m%d"]
# Longest mapped field accepted (config ingest.max_field_chars); spaCy refuses texts over 1,000,000.
MAX_FIELD_CHARS = 100_000
# Columns of the per-part id list (results/ids/...): keyed ids and where they come from, no text.
IDS_SCHEMA = {"id": pl.String(), "source": pl.String(), "line": pl.Int64()}


def context_column(header: str) -> str:
    """Canonical name of a mapped context column: ctx_ + the header, lowercased, non-alphanumerics -> _."""
    return "ctx_" + (re.sub(r"[^0-9a-z]+", "_", header.lower()).strip("_") or "field")


def output_schema(spec: dict[str, Any], predict: bool = False) -> dict[str, pl.DataType]:
    """Columns (in order) and types of an ingest shard for this dataset spec; `predict` adds source_id."""
    schema: dict[str, pl.DataType] = {
        "id": pl.String(),
        "dataset": pl.String(),
        "task": pl.String(),
        "line": pl.Int64(),
        "source": pl.String(),
        "patient_key": pl.String(),
    }
    for name in [*STRUCTURED_FIELDS, *TASKS[spec["task"]].required]:
        schema[name] = pl.String()
    for header in spec["columns"]["context"]:
        name = context_column(header)
        if name in schema:
            raise RadtuneError(f"config: context column {header!r} maps to {name!r}, which another column already has")
        schema[name] = pl.String()
    if predict:
        schema["source_id"] = pl.String()
    return schema


def predict_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A dataset spec for new, unlabelled exports (radtune.serve.predict): the task's output column may be absent (it is
    not read), and the report id is required, since predictions are keyed by it."""
    task = TASKS[spec["task"]]
    if "report_id" not in spec["columns"]:
        raise RadtuneError("predictions are keyed by the original report id: map columns.report_id in the dataset")
    columns = {k: v for k, v in spec["columns"].items() if k != task.output}
    return {**spec, "columns": columns}


@dataclass
class RawTable:
    """A CSV read as strings: header, column values and the physical line where each record starts."""

    header: list[str]
    frame: pl.DataFrame  # all-String columns named by header, "" kept as ""
    lines: list[int]


# ---- reading --------------------------------------------------------------------------------


def _decode_error(path: str, data: bytes, exc: UnicodeDecodeError, delimiter: str) -> InputError:
    """Locate the first invalid UTF-8 byte: its physical line, and the column its record is in."""
    prefix = data[: exc.start]
    line = prefix.count(b"\n") + 1
    column = None
    try:
        rows = list(csv.reader(io.StringIO(prefix.decode("utf-8").lstrip("\ufeff"), newline=""), delimiter=delimiter))
        header = rows[0] if rows else []
        if rows:
            idx = 0 if prefix.endswith(b"\n") else len(rows[-1]) - 1  # the bad byte opens a new line: field 1
            column = header[idx] if 0 <= idx < len(header) else f"field {idx + 1}"
    except csv.Error:
        pass
    return InputError(path, f"not valid UTF-8 (byte offset {exc.start})", line=line, column=column)


def _scan_with_csv(path: str, text: str, delimiter: str) -> RawTable:
    """Exact, slow path: parse with the csv module, naming the line/column of the first problem.

    Also the fallback when Polars refuses a file the csv module accepts (the csv module is the reference).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    end = 0  # physical line where the previous record ended
    while True:
        start = end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise _quote_error(path, text, start, delimiter, header, str(exc)) from None
        end = reader.line_num
        if not row:  # blank line: not a record
            continue
        if header is None:
            header = row
            continue
        if len(row) != len(header):
            if len(row) < len(header):
                raise InputError(
                    path,
                    f"row has {len(row)} fields but the header has {len(header)} (missing from this column on)",
                    line=start,
                    column=header[len(row)],
                )
            raise InputError(
                path,
                f"row has {len(row)} fields but the header has {len(header)} (extra field {len(header) + 1})",
                line=start,
                column=None,
            )
        rows.append(row)
        lines.append(start)
    if header is None:
        raise InputError(path, "empty file (no header)", line=1)
    frame = pl.DataFrame(
        {f"c{i}": [r[i] for r in rows] for i in range(len(header))},
        schema={f"c{i}": pl.String for i in range(len(header))},
    )
    frame.columns = header if len(set(header)) == len(header) else frame.columns
    return RawTable(header, frame, lines)


def _quote_error(
    path: str, text: str, start: int, delimiter: str, header: list[str] | None, message: str
) -> InputError:
    """The csv module failed on the record starting at `start`: say which column holds the bad quote."""
    physical = next(itertools.islice(io.StringIO(text, newline=""), start - 1, None), "")  # csv's own line split
    fields = next(csv.reader([physical], delimiter=delimiter), [])  # lenient parse of that one line
    idx = max(len(fields) - 1, 0)
    column = header[idx] if header and idx < len(header) else f"field {idx + 1}"
    what = "unterminated quoted field" if "end of data" in message else f"broken quoting ({message})"
    return InputError(path, what, line=start, column=column)


# Delimiters a CSV export is likely to use instead of the configured one (datasets.<name>.delimiter).
OTHER_DELIMITERS = (",", ";", "\t", "|")


def _check_delimiter(path: str, header: list[str], delimiter: str) -> None:
    """A one-column header holding another usual delimiter: the file is separated by that one, not `delimiter`
    (said before any row's field count, which would only say "the header has 1")."""
    if len(header) != 1:
        return
    found = [d for d in OTHER_DELIMITERS if d != delimiter and d in header[0]]
    if found:
        raise InputError(
            path,
            f"header has 1 column with delimiter {delimiter!r}; is the file separated by another delimiter (the "
            f"header contains {found[0]!r})? Set the dataset's delimiter in the config",
            line=1,
        )


def read_raw(path: str, delimiter: str = ",") -> RawTable:
    """Read a CSV as strings with the physical start line of every record; bad input -> InputError.

    Fast path: Polars (strict, all String). Polars silently pads short rows and turns blank lines into
    empty records, so its result is only accepted when two exact byte-level invariants hold:
    - delimiters in the file == (columns - 1) per record + delimiters inside values;
    - newlines in the file == one per record + newlines inside values.
    Any Polars error or broken invariant re-scans the file with the csv module (`_scan_with_csv`),
    which names the file, line and column of the first problem (or returns the exact table).
    """
    try:
        data = Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(path, "is a folder, not a CSV file") from None
    except FileNotFoundError:
        raise InputError(path, "does not exist") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror})") from None
    if not data.strip():
        raise InputError(path, "empty file (no header)", line=1)
    try:
        text = data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise _decode_error(path, data, exc, delimiter) from None
    if not text.strip():  # e.g. only a UTF-8 byte order mark
        raise InputError(path, "empty file (no header)", line=1)
    try:
        header_row = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True), [])
    except csv.Error as exc:
        raise _quote_error(path, text, 1, delimiter, None, str(exc)) from None
    _check_delimiter(path, header_row, delimiter)
    try:
        frame = pl.read_csv(
            data,
            separator=delimiter,
            quote_char='"',
            infer_schema=False,
            empty_string_is_null=False,
            raise_if_empty=True,
            truncate_ragged_lines=False,
            new_columns=[f"c{i}" for i in range(len(header_row))],
        )
    except Exception:  # noqa: BLE001 - Polars' messages may quote cell text: never shown; csv module locates it
        frame = None
    if frame is not None and frame.width == len(header_row):
        sep = delimiter.encode("utf-8")
        cols = frame.columns
        in_values = frame.select(
            sep=pl.sum_horizontal(pl.col(c).str.count_matches(delimiter, literal=True) for c in cols),
            nl=pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True) for c in cols),
        )
        header_sep = sum(h.count(delimiter) for h in header_row)
        header_nl = sum(h.count("\n") for h in header_row)
        n = frame.height
        seps_ok = data.count(sep) == (len(cols) - 1) * (n + 1) + header_sep + int(in_values["sep"].sum() or 0)
        record_lines = (in_values["nl"] + 1).cast(pl.Int64)
        expected_nl = 1 + header_nl + int(record_lines.sum() or 0) - (0 if data.endswith(b"\n") else 1)
        if seps_ok and data.count(b"\n") == expected_nl and len(set(header_row)) == len(header_row):
            starts = (record_lines.cum_sum() - record_lines + 2 + header_nl).to_list()
            frame.columns = header_row
            return RawTable(header_row, frame, starts)
    return _scan_with_csv(path, text, delimiter)


# ---- canonical shards -------------------------------------------------------------------------


def _check_headers(path: str, header: list[str], columns: dict[str, Any]) -> None:
    seen: dict[str, int] = {}
    for i, h in enumerate(header):
        if h in seen:
            raise InputError(path, f"header repeats column {h!r} (fields {seen[h] + 1} and {i + 1})", line=1, column=h)
        seen[h] = i
    for field, mapped in columns.items():
        for h in mapped if isinstance(mapped, list) else [mapped]:
            if h not in seen:
                raise InputError(path, f"column mapped to {field!r} is not in the header", line=1, column=h)


def _first_bad(path: str, mask: pl.Series, lines: list[int], column: str, message: str) -> None:
    if mask.any():
        i = int(mask.arg_true()[0])
        raise InputError(path, message, line=lines[i], column=column)


def _check_fields(path: str, raw: pl.DataFrame, lines: list[int], headers: list[str], max_chars: int) -> None:
    """Every mapped field: no NUL byte (it would pass into the JSONL) and at most `max_chars` characters."""
    for h in headers:
        s = raw.get_column(h)
        _first_bad(path, s.str.contains("\x00", literal=True), lines, h, "contains a NUL byte (\\x00)")
        _first_bad(
            path,
            s.str.len_chars() > max_chars,
            lines,
            h,
            f"field is longer than {max_chars} characters (ingest.max_field_chars)",
        )


def canonical_rows(
    dataset: str,
    spec: dict[str, Any],
    path: str,
    key: bytes,
    max_field_chars: int = MAX_FIELD_CHARS,
    predict: bool = False,
) -> pl.DataFrame:
    """One CSV -> canonical columns (docs/data-formats.md) plus a private `_hash` column for sharding.

    Report and patient ids become HMAC-SHA256 pseudonyms under `key` (common.keyed_hash). With `predict` (new
    exports to predict on, spec from predict_spec) the original report id is kept too, as `source_id`: the
    predictions file is keyed by it.
    """
    columns = spec["columns"]
    table = read_raw(path, spec["delimiter"])
    _check_headers(path, table.header, columns)
    raw = table.frame
    lines = table.lines
    n = raw.height
    if n == 0:
        raise InputError(path, "no data rows (only a header)", line=2)
    mapped = [h for v in columns.values() for h in (v if isinstance(v, list) else [v])]
    _check_fields(path, raw, lines, list(dict.fromkeys(mapped)), max_field_chars)

    def col(field: str) -> pl.Series:
        s = raw.get_column(columns[field])
        return s.set(s == "", None) if n else s

    if "report_id" in columns:
        rid = col("report_id")
        _first_bad(path, rid.is_null(), lines, columns["report_id"], "report id is empty")
        keys = rid.to_list()
    else:
        keys = [f"{path}:{ln}" for ln in lines]
    if "date" in columns and n:
        date = col("date").str.strip_chars()
        parsed = pl.select(
            pl.coalesce(date.str.strptime(pl.Datetime, f, strict=False) for f in DATE_FORMATS)
        ).to_series()
        _first_bad(path, date.is_not_null() & parsed.is_null(), lines, columns["date"], "not a date")
    hashes = [keyed_hash(key, dataset, k) for k in keys]
    out: dict[str, pl.Series | list[Any]] = {
        "id": [f"{dataset}-{h}" for h in hashes],
        "dataset": [dataset] * n,
        "task": [spec["task"]] * n,
        "line": lines,
        "source": [str(path)] * n,
    }
    if "patient_id" in columns:
        pids = col("patient_id").to_list()
        keyed = {p: keyed_hash(key, "patient", p) for p in set(pids) if p is not None}  # a patient has many rows
        out["patient_key"] = [keyed.get(p) if p is not None else None for p in pids]
    else:
        out["patient_key"] = [None] * n
    for field in [*STRUCTURED_FIELDS, *TASKS[spec["task"]].required]:
        out[field] = col(field) if field in columns else [None] * n
    for header in columns["context"]:
        s = raw.get_column(header)
        out[context_column(header)] = s.set(s == "", None) if n else s
    if predict:
        out["source_id"] = col("report_id")
    schema = output_schema(spec, predict)
    frame = pl.DataFrame({k: (v.rename(k) if isinstance(v, pl.Series) else v) for k, v in out.items()}, schema=schema)
    return frame.with_columns(_hash=pl.Series(hashes, dtype=pl.String))


def _check_duplicates(frame: pl.DataFrame, column: str) -> None:
    """Two rows with the same report id (same dataset): name both lines."""
    dup = frame.filter(pl.col("id").is_duplicated()).sort("_order")
    if dup.height:
        first = dup.row(0, named=True)
        second = dup.filter(pl.col("id") == first["id"]).row(1, named=True)
        where = f"line {first['line']}" + ("" if first["source"] == second["source"] else f" of {first['source']}")
        raise InputError(second["source"], f"duplicate report id (same as {where})", line=second["line"], column=column)


def ingest(
    dataset: str,
    spec: dict[str, Any],
    csv_paths: list[str],
    outputs: list[str],
    key: bytes,
    *,
    max_field_chars: int = MAX_FIELD_CHARS,
    ids_output: str | None = None,
    predict: bool = False,
) -> list[int]:
    """Read the CSVs of one dataset and write len(outputs) shards; returns the rows per shard.

    `ids_output` (optional) gets the keyed ids with their file and line (no text), for `check_ids`
    across the CSV parts of a dataset that other jobs ingest. `predict`: new exports to predict on (predict_spec;
    shards keep the original report id as source_id).
    """
    if spec.get("task") not in TASKS:
        raise RadtuneError(f"dataset {dataset}: unknown task {spec.get('task')!r}")
    if predict:
        spec = predict_spec(spec)
    schema = output_schema(spec, predict)  # config problems first, before any file is read
    frames = [
        canonical_rows(dataset, spec, p, key, max_field_chars, predict).with_columns(_file=pl.lit(i))
        for i, p in enumerate(csv_paths)
    ]
    frame = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=schema)
    frame = frame.with_row_index("_order")
    _check_duplicates(frame, spec["columns"].get("report_id", "report_id"))
    n_shards = len(outputs)
    frame = frame.with_columns(_shard=pl.Series([int(h, 16) % n_shards for h in frame["_hash"]], dtype=pl.Int64))
    counts = []
    with contextlib.ExitStack() as stack:
        for shard, final in enumerate(outputs):
            part = frame.filter(pl.col("_shard") == shard).sort("_file", "line").select(list(schema))
            tmp = stack.enter_context(atomic_path(final))
            # Single row group, fixed compression, no timestamps: same rows -> byte-identical file.
            part.write_parquet(tmp, compression="zstd", compression_level=3, statistics=True, row_group_size=1 << 30)
            counts.append(part.height)
        if ids_output:
            tmp = stack.enter_context(atomic_path(ids_output))
            frame.sort("_file", "line").select(list(IDS_SCHEMA)).write_parquet(tmp, compression="zstd")
    log.info(
        "dataset %s: %d rows from %d file(s) into %d shards %s", dataset, frame.height, len(csv_paths), n_shards, counts
    )
    return counts


def check_ids(id_files: list[str], column: str, output: str) -> int:
    """Report ids must be unique across the CSV parts of a dataset (each part is ingested by its own job).

    Reads the parts' id lists (keyed ids, file, line: no text) in config order; a repeat names the later
    file and line and the earlier one. Writes `output` (`parts rows`) when all are unique; returns rows.
    """
    frames = []
    for i, path in enumerate(id_files):
        try:
            frames.append(pl.read_parquet(path).select(list(IDS_SCHEMA)).with_columns(_file=pl.lit(i)))
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise InputError(path, f"cannot read the id list ({type(exc).__name__})") from None
    frame = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=IDS_SCHEMA)
    frame = frame.sort("_file", "line").with_row_index("_order")
    _check_duplicates(frame, column)
    write_tsv(output, [[len(id_files), frame.height]], ["parts", "rows"])
    log.info("%d report ids in %d part(s): all unique", frame.height, len(id_files))
    return frame.height


def main_check_ids(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="python -m radtune.data.ingest check-ids", description=check_ids.__doc__)
    ap.add_argument("--inputs", nargs="+", required=True, help="id lists of the dataset's parts, in config order")
    ap.add_argument("--column", required=True, help="the report id column (named in the error)")
    ap.add_argument("--output", required=True)
    args = ap.parse_args(argv)
    check_ids(args.inputs, args.column, args.output)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["check-ids"]:
        main_check_ids(argv[1:])
        return
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dataset", required=True)
    ap.add_argument("--spec", required=True, help="JSON: config['datasets'][NAME]")
    ap.add_argument("--csv", nargs="+", required=True)
    ap.add_argument("--outputs", nargs="+", required=True)
    ap.add_argument("--ids-output", help="parquet of the keyed ids, file and line (for check-ids)")
    ap.add_argument("--key-file", help="file holding the pseudonym key (the key itself never goes on a command line)")
    ap.add_argument("--key-env", default="RADTUNE_PSEUDONYM_KEY", help="environment variable with the key (wins)")
    ap.add_argument("--real-data", action="store_true", help="never create a missing key file")
    ap.add_argument(
        "--key-fingerprint",
        help="the key's fingerprint the workflow planned with (rules/common.smk): the job never creates a key and "
        "stops if the one it finds differs",
    )
    ap.add_argument("--max-field-chars", type=int, default=MAX_FIELD_CHARS)
    ap.add_argument("--predict", action="store_true", help="new exports to predict on: keep the original report id")
    args = ap.parse_args(argv)
    spec = json_arg(args.spec, "--spec")
    planned = args.key_fingerprint
    create = not (args.real_data or planned)
    key = load_pseudonym_key(args.key_file, args.key_env, real_data=args.real_data, create=create)
    if planned and key_fingerprint(key) != planned:
        raise RadtuneError(
            f"the pseudonym key this job found ({args.key_env} or {args.key_file}) is not the one the workflow was "
            "started with: a key changed during the run; start it again"
        )
    ingest(
        args.dataset,
        spec,
        args.csv,
        args.outputs,
        key,
        max_field_chars=args.max_field_chars,
        ids_output=args.ids_output,
        predict=args.predict,
    )


if __name__ == "__main__":
    run_main(main)
