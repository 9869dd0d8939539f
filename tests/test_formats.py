"""Tests for radtune.core.formats: the predictions JSONL (rows, checks, merge of shards) and the TSV writer."""

from __future__ import annotations

import json

import pytest

from radtune.core import formats
from radtune.core.common import InputError


def _example(i: int, **extra) -> dict:
    return {"id": f"e{i}", "task": "impression", "reference": f"ref {i}", "input_text": f"findings {i}", **extra}


def test_prediction_row_has_the_format_fields():
    row = formats.prediction_row(_example(1, group="CT", messages=[]), "smol", "pred")
    assert tuple(row) == formats.PREDICTION_FIELDS
    assert row["group"] == "CT" and row["model"] == "smol" and row["prediction"] == "pred"
    assert formats.prediction_row({"id": "x", "task": "t", "reference": "r"}, "m", "p")["group"] == "all"


def test_read_predictions_names_file_line_and_field(tmp_path):
    good = formats.prediction_row(_example(1), "m", "p")
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "id": "e2", "prediction": None}) + "\n")
    with pytest.raises(InputError, match=r"p\.jsonl, line 2, column 'prediction'"):
        formats.read_predictions(path)
    formats.write_predictions(path, [good, good])
    with pytest.raises(InputError, match="line 2, column 'id': duplicate id"):
        formats.read_predictions(path)


def test_merge_is_the_concatenation_and_checks_ids_across_shards(tmp_path):
    rows = [formats.prediction_row(_example(i), "m", f"pred é {i}") for i in range(5)]
    shards = []
    for s in range(2):
        shards.append(tmp_path / f"{s}.jsonl")
        formats.write_predictions(shards[-1], rows[s::2])
    out = tmp_path / "merged.jsonl"
    assert formats.merge_predictions(shards, out) == 5
    assert out.read_bytes() == b"".join(p.read_bytes() for p in shards)
    formats.main(["merge-predictions", "--inputs", *map(str, shards), "--output", str(tmp_path / "cli.jsonl")])
    assert (tmp_path / "cli.jsonl").read_bytes() == out.read_bytes()
    formats.write_predictions(tmp_path / "2.jsonl", [rows[1]])
    with pytest.raises(InputError, match=r"2\.jsonl, line 1, column 'id': duplicate id \(first on .*1\.jsonl line 1"):
        formats.merge_predictions([*shards, tmp_path / "2.jsonl"], tmp_path / "bad.jsonl")
    assert not (tmp_path / "bad.jsonl").exists()


def test_write_tsv_cells(tmp_path):
    path = tmp_path / "t.tsv"
    rows = [{"a": 0.5, "b": None, "c": 3}, {"a": float("nan"), "c": "x y"}, [1.0, True, ""]]
    assert formats.write_tsv(path, rows, ["a", "b", "c"], decimals=3) == 3
    assert path.read_text() == "a\tb\tc\n0.500\t\t3\n\t\tx y\n1.000\tTrue\t\n"
    formats.write_tsv(path, rows[:2], ["a", "b", "c"])
    assert path.read_text() == "a\tb\tc\n0.5\t\t3\nnan\t\tx y\n"
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        formats.write_tsv(tmp_path / "bad.tsv", [[1, 2]], ["a", "b", "c"])
    assert not (tmp_path / "bad.tsv").exists()


def test_read_tsv_reads_back_what_write_tsv_writes(tmp_path):
    path = tmp_path / "t.tsv"
    cells = ["plain", "tab\there", "line\nbreak", 'a "quote"', ""]
    formats.write_tsv(path, [cells, ["x"] * 5], ["a", "b", "c", "d", "e"])
    rows = formats.read_tsv(path)
    assert [list(r.values()) for r in rows] == [cells, ["x"] * 5]
    assert list(rows[0]) == ["a", "b", "c", "d", "e"]
    with formats.open_tsv(path) as reader:
        assert reader.fieldnames == ["a", "b", "c", "d", "e"]
        assert [r["b"] for r in reader] == ["tab\there", "x"]
    with formats.open_tsv_rows(path) as reader:
        assert list(reader) == [["a", "b", "c", "d", "e"], cells, ["x"] * 5]
