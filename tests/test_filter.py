"""Tests for radtune.filter: normalisation, task texts, each drop reason and its count, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from radtune.common import InputError
from radtune.filter import filter_rows, load_shards, main

LONG = "The lungs are clear without focal consolidation or effusion seen today."  # 11 words


def shard(tmp_path: Path, name: str, rows: list[dict]) -> str:
    base = {"dataset": "demo", "task": "impression", "line": 2, "source": "r.csv", "patient_key": None}
    df = pl.DataFrame([{**base, **r} for r in rows], infer_schema_length=None)
    p = tmp_path / name
    df.write_parquet(p)
    return str(p)


def report_dict(report):
    return {(d, s): n for d, s, n in report}


def test_drop_reasons_counts_and_normalisation(tmp_path):
    rows = [
        {"id": "demo-01", "findings": "  " + LONG.replace(" ", "  \n "), "impression": " Normal.\t"},
        {"id": "demo-02", "findings": None, "impression": "x"},  # missing input
        {"id": "demo-03", "findings": "   ", "impression": "x"},  # whitespace only -> missing input
        {"id": "demo-04", "findings": LONG, "impression": None},  # missing output
        {"id": "demo-05", "findings": "Too short findings.", "impression": "x"},  # short
        {"id": "demo-00", "findings": LONG, "impression": "Normal."},  # duplicate pair of 01, smaller id: kept
        {"id": "demo-06", "findings": LONG + " " + LONG, "impression": "Normal."},  # too long (22 words)
    ]
    kept, report = filter_rows(load_shards([shard(tmp_path, "a.parquet", rows)]), {"demo": {}}, {
        "min_findings_words": 10, "max_input_words": 20})  # fmt: skip
    assert kept["id"].to_list() == ["demo-00"]
    assert kept["input_text"].to_list() == [LONG] and kept["output_text"].to_list() == ["Normal."]
    r = report_dict(report)
    assert r[("demo", "rows_in")] == 7
    assert r[("demo", "dropped_missing_input")] == 2
    assert r[("demo", "dropped_missing_output")] == 1
    assert r[("demo", "dropped_short_findings")] == 1
    assert r[("demo", "dropped_duplicate_pair")] == 1
    assert r[("demo", "dropped_too_long")] == 1
    assert r[("demo", "rows_out")] == 1
    assert [s for d, s, n in report] == [
        "rows_in", "dropped_missing_input", "dropped_missing_output", "dropped_short_findings",
        "dropped_duplicate_pair", "dropped_too_long", "rows_out",
    ]  # fmt: skip


def test_duplicate_kept_is_first_by_id_whatever_the_file_order(tmp_path):
    a = shard(tmp_path, "a.parquet", [{"id": "demo-9", "findings": LONG, "impression": "N", "ctx_x": " a  b "}])
    b = shard(tmp_path, "b.parquet", [{"id": "demo-1", "findings": LONG, "impression": "N", "ctx_x": "c"}])
    k1, _ = filter_rows(load_shards([a, b]), {"demo": {}}, {"min_findings_words": 0})
    k2, _ = filter_rows(load_shards([b, a]), {"demo": {}}, {"min_findings_words": 0})
    assert k1["id"].to_list() == ["demo-1"] and k1.equals(k2)


def test_other_tasks_and_mixed_schemas(tmp_path):
    imp = shard(tmp_path, "i.parquet", [{"id": "demo-1", "findings": LONG, "impression": "N", "ctx_indication": " x "}])
    proto = shard(tmp_path, "p.parquet", [
        {"id": "p-1", "dataset": "proto", "task": "protocol", "order_notes": "CT head  stroke", "protocol": "P1"},
        {"id": "p-2", "dataset": "proto", "task": "protocol", "order_notes": "short", "protocol": "P2"},
    ])  # fmt: skip
    qa = shard(tmp_path, "q.parquet", [
        {"id": "q-1", "dataset": "qa", "task": "note_qa", "note": "Note text.", "question": "Q?", "answer": "A."},
        {"id": "q-2", "dataset": "qa", "task": "note_qa", "note": "Note text.", "question": None, "answer": "A."},
    ])  # fmt: skip
    kept, report = filter_rows(load_shards([imp, proto, qa]), {"demo": {}, "proto": {}, "qa": {}, "empty": {}}, {})
    by_id = {r["id"]: r for r in kept.iter_rows(named=True)}
    assert by_id["p-1"]["input_text"] == "CT head stroke" and by_id["p-1"]["output_text"] == "P1"
    assert "p-2" in by_id  # short-findings rule is for the impression task only
    assert by_id["q-1"]["input_text"] == "Note text.\nQ?"
    assert "q-2" not in by_id
    assert by_id["demo-1"]["ctx_indication"] == "x"
    r = report_dict(report)
    assert r[("qa", "dropped_missing_input")] == 1
    assert r[("empty", "rows_in")] == 0 and r[("empty", "rows_out")] == 0


def test_duplicate_id_across_shards_is_an_error(tmp_path):
    a = shard(tmp_path, "a.parquet", [{"id": "demo-1", "findings": LONG, "impression": "N", "line": 5}])
    b = shard(tmp_path, "b.parquet", [{"id": "demo-1", "findings": LONG, "impression": "M", "source": "s.csv"}])
    with pytest.raises(InputError, match="duplicate report id") as info:
        filter_rows(load_shards([a, b]), {"demo": {}}, {})
    assert "r.csv line 5" in str(info.value) and info.value.file == "s.csv"


def test_missing_column_and_cli_outputs(tmp_path):
    bad = tmp_path / "bad.parquet"
    pl.DataFrame({"id": ["x"]}).write_parquet(bad)
    with pytest.raises(InputError, match="dataset"):
        load_shards([str(bad)])
    good = shard(tmp_path, "g.parquet", [{"id": "demo-1", "findings": LONG, "impression": "N"}])
    args = ["--inputs", good, "--datasets", json.dumps({"demo": {}}), "--params", "{}"]
    main(args + ["--output", str(tmp_path / "o1.parquet"), "--report", str(tmp_path / "r1.tsv")])
    main(args + ["--output", str(tmp_path / "o2.parquet"), "--report", str(tmp_path / "r2.tsv")])
    assert (tmp_path / "o1.parquet").read_bytes() == (tmp_path / "o2.parquet").read_bytes()
    lines = (tmp_path / "r1.tsv").read_text().splitlines()
    assert lines[0] == "dataset\tstep\trows" and lines[1] == "demo\trows_in\t1" and lines[-1] == "demo\trows_out\t1"


def test_note_qa_words_count_both_parts(tmp_path):
    qa = shard(tmp_path, "q.parquet", [
        {"id": "q-1", "dataset": "qa", "task": "note_qa", "note": "one two", "question": "three?", "answer": "A."},
        {"id": "q-2", "dataset": "qa", "task": "note_qa", "note": "one two", "question": "three four?", "answer": "B"},
    ])  # fmt: skip
    kept, report = filter_rows(load_shards([qa]), {"qa": {}}, {"max_input_words": 3})
    assert kept["id"].to_list() == ["q-1"] and report_dict(report)[("qa", "dropped_too_long")] == 1
