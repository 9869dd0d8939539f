"""Tests for radtune.ingest: canonical columns, sharding, byte-determinism, and every bad-input case."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from radtune.common import InputError, RadtuneError, stable_hash
from radtune.ingest import ingest, main, read_raw

HEADER = "accession_number,mrn,exam_date,exam_code,exam_description,indication,comparison,findings,impression"
SPEC = {
    "task": "impression",
    "csv": ["x.csv"],
    "delimiter": ",",
    "columns": {
        "report_id": "accession_number",
        "patient_id": "mrn",
        "date": "exam_date",
        "exam_code": "exam_code",
        "exam_description": "exam_description",
        "findings": "findings",
        "impression": "impression",
        "context": ["indication", "comparison"],
    },
}


def row(i: int, findings: str = "Lungs are clear.", impression: str = "Normal.") -> str:
    return f'A{i:04d},M{i % 3},2024-01-{1 + i % 28:02d},CTCH,CT chest,cough,none,"{findings}","{impression}"'


def write(tmp_path: Path, text: str | bytes, name: str = "r.csv") -> str:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return str(p)


def outputs(tmp_path: Path, n: int = 4) -> list[str]:
    return [str(tmp_path / "out" / f"{i:04d}.parquet") for i in range(n)]


def run(tmp_path: Path, csv_text: str | bytes, n: int = 4, spec: dict | None = None) -> list[str]:
    outs = outputs(tmp_path, n)
    ingest("demo", spec or SPEC, [write(tmp_path, csv_text)], outs)
    return outs


def test_canonical_columns_lines_and_shards(tmp_path):
    text = HEADER + "\n" + row(1) + "\n" + row(2, findings="Line one.\nLine two.") + "\n" + row(3) + "\n"
    outs = run(tmp_path, text)
    df = pl.concat([pl.read_parquet(o) for o in outs]).sort("line")
    assert df.columns == [
        "id", "dataset", "task", "line", "source", "patient_key", "exam_code", "exam_description",
        "findings", "impression", "ctx_indication", "ctx_comparison",
    ]  # fmt: skip
    # row 2 has an embedded newline: row 3 starts on physical line 5
    assert df["line"].to_list() == [2, 3, 5]
    assert df["findings"].to_list()[1] == "Line one.\nLine two."
    assert df["id"].to_list()[0] == "demo-" + stable_hash("demo", "A0001")
    assert df["patient_key"].to_list()[0] == stable_hash("patient", "M1")
    assert "A0001" not in df["id"].to_list()[0] and "accession_number" not in df.columns
    for i, o in enumerate(outs):
        for rid in pl.read_parquet(o)["id"]:
            assert int(rid.split("-")[1], 16) % 4 == i


def test_empty_field_is_null_and_text_kept_verbatim(tmp_path):
    text = HEADER + "\n" + 'A1,,2024-01-01,,,,," spaced  text ",x\n'
    df = pl.read_parquet(run(tmp_path, text, n=1)[0])
    assert df["patient_key"].to_list() == [None]
    assert df["exam_code"].to_list() == [None]
    assert df["findings"].to_list() == [" spaced  text "]


def test_no_report_id_uses_file_and_line(tmp_path):
    spec = json.loads(json.dumps(SPEC))
    del spec["columns"]["report_id"]
    outs = outputs(tmp_path, 1)
    path = write(tmp_path, HEADER + "\n" + row(1) + "\n" + row(1) + "\n")
    ingest("demo", spec, [path], outs)
    df = pl.read_parquet(outs[0])
    assert df["id"].to_list() == [
        "demo-" + stable_hash("demo", f"{path}:2"),
        "demo-" + stable_hash("demo", f"{path}:3"),
    ]


def digests(paths: list[str]) -> list[str]:
    return [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths]


def test_byte_deterministic_and_one_changed_row_changes_one_shard(tmp_path):
    rows = [row(i) for i in range(40)]
    a = digests(run(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n"))
    b = digests(run(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n"))  # a rerun on the same file
    assert a == b
    rows[17] = row(17, findings="Changed findings text.")
    c = digests(run(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n"))
    assert sum(x != y for x, y in zip(a, c, strict=True)) == 1


def test_slow_path_gives_same_table_as_fast_path(tmp_path):
    text = HEADER + "\n" + row(1) + "\n" + row(2, findings="a\nb") + "\n"
    fast = read_raw(write(tmp_path, text, "fast.csv"))
    slow = read_raw(write(tmp_path, text.replace("\n" + row(1), "\n\n" + row(1)), "slow.csv"))  # blank line
    assert fast.frame.equals(slow.frame)
    assert fast.lines == [2, 3] and slow.lines == [3, 4]


def test_delimiter_and_crlf(tmp_path):
    spec = json.loads(json.dumps(SPEC))
    spec["delimiter"] = ";"
    text = (
        HEADER.replace(",", ";") + "\r\n" + 'A1;M;2024-01-01;C;D;i;c;"f1, f2\r\nf3";imp\r\nA2;M;;C;D;i;c;f;i\r\n'
    ).encode()
    df = pl.concat([pl.read_parquet(o) for o in run(tmp_path, text, spec=spec)]).sort("line")
    assert df["line"].to_list() == [2, 4]
    assert df["findings"].to_list()[0] == "f1, f2\r\nf3"


def expect_error(tmp_path, text, *, line, column, match, n=2):
    outs = outputs(tmp_path, n)
    with pytest.raises(InputError, match=match) as info:
        ingest("demo", SPEC, [write(tmp_path, text)], outs)
    assert info.value.line == line
    assert info.value.column == column
    assert "r.csv" in info.value.file
    assert not any(Path(o).exists() for o in outs)
    assert not list((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True
    return info.value


def test_missing_mapped_column(tmp_path):
    expect_error(tmp_path, HEADER.replace(",impression", ",impr") + "\n", line=1, column="impression", match="header")


def test_empty_file(tmp_path):
    expect_error(tmp_path, "", line=1, column=None, match="empty")


def test_not_utf8_names_line_and_column(tmp_path):
    text = (HEADER + "\n" + row(1) + "\n").encode() + b'A2,M,2024-01-01,C,D,i,c,"caf\xe9 text",imp\n'
    expect_error(tmp_path, text, line=3, column="findings", match="UTF-8")


def test_unterminated_quote(tmp_path):
    text = HEADER + "\n" + row(1) + "\n" + 'A2,M,2024-01-01,C,D,i,"open quote,f,i\n' + row(3) + "\n"
    expect_error(tmp_path, text, line=3, column="comparison", match="unterminated")


def test_short_row(tmp_path):
    text = HEADER + "\n" + row(1) + "\n" + "A2,M,2024-01-01,C,D,i,c,f\n" + row(3) + "\n"
    expect_error(tmp_path, text, line=3, column="impression", match="8 fields but the header has 9")


def test_long_row(tmp_path):
    text = HEADER + "\n" + row(1) + "\n" + "A2,M,2024-01-01,C,D,i,c,f,i,extra\n"
    expect_error(tmp_path, text, line=3, column=None, match="10 fields")


def test_duplicate_report_id_names_both_lines(tmp_path):
    text = HEADER + "\n" + row(1) + "\n" + row(2) + "\n" + row(1, findings="other") + "\n"
    err = expect_error(tmp_path, text, line=4, column="accession_number", match="duplicate report id")
    assert "line 2" in str(err)


def test_bad_date_and_empty_id(tmp_path):
    expect_error(tmp_path, HEADER + "\n" + row(1).replace("2024-01-02", "yesterday") + "\n", line=2,
                 column="exam_date", match="not a date")  # fmt: skip
    expect_error(tmp_path, HEADER + "\n" + row(1) + "\n" + row(2).replace("A0002", "") + "\n", line=3,
                 column="accession_number", match="empty")  # fmt: skip


def test_error_message_has_no_cell_text(tmp_path):
    text = HEADER + "\n" + 'A1,M,2024-01-01,C,D,i,"SECRETNAME,f,i\n'
    err = expect_error(tmp_path, text, line=2, column="comparison", match="unterminated")
    assert "SECRETNAME" not in str(err)


def test_cli_exit_code(tmp_path):
    path = write(tmp_path, HEADER + "\n" + "A1,M\n")
    outs = outputs(tmp_path, 2)
    proc = subprocess.run(
        [sys.executable, "-m", "radtune.ingest", "--dataset", "demo", "--spec", json.dumps(SPEC),
         "--csv", path, "--outputs", *outs],
        capture_output=True, text=True, env={"PYTHONPATH": str(Path(__file__).parents[1] / "scripts")},
    )  # fmt: skip
    assert proc.returncode == 1
    assert "line 2" in proc.stderr and "Traceback" not in proc.stderr
    main(["--dataset", "demo", "--spec", json.dumps(SPEC), "--csv", write(tmp_path, HEADER + "\n" + row(1) + "\n"),
          "--outputs", *outs])  # fmt: skip
    assert sum(pl.read_parquet(o).height for o in outs) == 1


def test_clean_file_takes_the_polars_fast_path(tmp_path, monkeypatch):
    import radtune.ingest as ingest_mod

    def boom(*args, **kwargs):
        raise AssertionError("slow path used")

    monkeypatch.setattr(ingest_mod, "_scan_with_csv", boom)
    table = read_raw(write(tmp_path, HEADER + "\n" + row(1, findings="x\ny, z") + "\n" + row(2) + "\n"))
    assert table.lines == [2, 4]
    with pytest.raises(AssertionError):  # a short row must not slip through the fast path
        read_raw(write(tmp_path, HEADER + "\n" + row(1) + "\nA2,M\n", "short.csv"))


def test_not_utf8_at_line_start_and_after_multiline_record(tmp_path):
    text = (HEADER + "\n" + row(1, findings="two\nlines") + "\n").encode() + b"\xffA2,M,2024-01-01,C,D,i,c,f,i\n"
    expect_error(tmp_path, text, line=4, column="accession_number", match="UTF-8")


def test_unterminated_quote_after_multiline_record(tmp_path):
    text = HEADER + "\n" + row(1, findings="a\nb\nc") + "\n" + 'A2,M,2024-01-01,C,D,"open,c,f,i\n' + row(3) + "\n"
    expect_error(tmp_path, text, line=5, column="indication", match="unterminated")


def test_context_names_must_not_collide(tmp_path):
    spec = json.loads(json.dumps(SPEC))
    spec["columns"]["context"] = ["indication", "Indication!"]
    with pytest.raises(RadtuneError, match="ctx_indication"):
        ingest("demo", spec, [write(tmp_path, HEADER + "\n")], outputs(tmp_path, 1))
