"""Tests for radtune.data.ingest: canonical columns, sharding, byte-determinism, and every bad-input case."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from radtune.core.common import InputError, RadtuneError, keyed_hash, stable_hash
from radtune.data.ingest import check_ids, ingest, main, read_raw

KEY = b"radtune-test-pseudonym-key-0123456789abcdef"  # fixed: byte-identical outputs across runs

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
    ingest("demo", spec or SPEC, [write(tmp_path, csv_text)], outs, KEY)
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
    assert df["id"].to_list()[0] == "demo-" + keyed_hash(KEY, "demo", "A0001")
    assert df["patient_key"].to_list()[0] == keyed_hash(KEY, "patient", "M1")
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
    ingest("demo", spec, [path], outs, KEY)
    df = pl.read_parquet(outs[0])
    assert df["id"].to_list() == [
        "demo-" + keyed_hash(KEY, "demo", f"{path}:2"),
        "demo-" + keyed_hash(KEY, "demo", f"{path}:3"),
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


def expect_error(tmp_path, text, *, line, column, match, n=2, max_field_chars=100_000):
    outs = outputs(tmp_path, n)
    with pytest.raises(InputError, match=match) as info:
        ingest("demo", SPEC, [write(tmp_path, text)], outs, KEY, max_field_chars=max_field_chars)
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


def test_file_holding_only_a_byte_order_mark_is_empty(tmp_path):
    for text in (b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n \n"):
        expect_error(tmp_path, text, line=1, column=None, match="empty file")


def test_wrong_delimiter_names_the_configured_one_and_the_one_in_the_header(tmp_path):
    semicolons = HEADER.replace(",", ";") + "\n" + row(1).replace(",", ";") + "\n"
    err = expect_error(tmp_path, semicolons, line=1, column=None, match="header has 1 column with delimiter ','")
    assert "the header contains ';'" in str(err) and "fields" not in str(err)
    # a comma inside a value gave "row has 2 fields but the header has 1"
    text = HEADER.replace(",", ";") + "\n" + row(1).replace(",", ";").replace("Lungs are clear.", "Clear, dry.") + "\n"
    expect_error(tmp_path, text, line=1, column=None, match="another delimiter")
    # and the other way round: a comma file read with ';'
    spec = {**SPEC, "delimiter": ";"}
    with pytest.raises(InputError, match="delimiter ';'.*contains ','") as info:
        ingest("demo", spec, [write(tmp_path, HEADER + "\n" + row(1) + "\n")], outputs(tmp_path), KEY)
    assert info.value.line == 1


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
    key_file = tmp_path / "keys" / "pseudonym.key"
    key_file.parent.mkdir()
    key_file.write_bytes(KEY)
    key_file.chmod(0o600)
    proc = subprocess.run(
        [sys.executable, "-m", "radtune.data.ingest", "--dataset", "demo", "--spec", json.dumps(SPEC),
         "--csv", path, "--outputs", *outs, "--key-file", str(key_file), "--real-data"],
        capture_output=True, text=True, env={"PYTHONPATH": str(Path(__file__).parents[1] / "scripts")},
    )  # fmt: skip
    assert proc.returncode == 1
    assert "line 2" in proc.stderr and "Traceback" not in proc.stderr
    main(["--dataset", "demo", "--spec", json.dumps(SPEC), "--csv", write(tmp_path, HEADER + "\n" + row(1) + "\n"),
          "--outputs", *outs, "--key-file", str(key_file), "--real-data"])  # fmt: skip
    assert sum(pl.read_parquet(o).height for o in outs) == 1


def test_clean_file_takes_the_polars_fast_path(tmp_path, monkeypatch):
    import radtune.data.ingest as ingest_mod

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
        ingest("demo", spec, [write(tmp_path, HEADER + "\n")], outputs(tmp_path, 1), KEY)


# ---- keyed pseudonyms ---------------------------------------------------------------------------


def ids_of(outs: list[str]) -> dict[int, tuple[str, str]]:
    df = pl.concat([pl.read_parquet(o) for o in outs])
    return {line: (rid, pk) for line, rid, pk in zip(df["line"], df["id"], df["patient_key"], strict=True)}


def test_ids_are_keyed_not_recomputable_from_accession_numbers(tmp_path):
    rows = [row(i) for i in range(1, 30)]
    text = HEADER + "\n" + "\n".join(rows) + "\n"
    outs = outputs(tmp_path, 3)
    ingest("demo", SPEC, [write(tmp_path, text)], outs, KEY)
    got = ids_of(outs)
    # An attacker who enumerates the accession format (A0000..A9999) and MRNs with the unkeyed hash
    # (the old scheme, or any plain SHA-256 of the value) matches none of the ids.
    guesses = {stable_hash("demo", f"A{i:04d}") for i in range(10_000)}
    guesses |= {hashlib.sha256(f"A{i:04d}".encode()).hexdigest()[:16] for i in range(10_000)}
    patient_guesses = {stable_hash("patient", f"M{i}") for i in range(100)}
    assert not {rid.removeprefix("demo-") for rid, _ in got.values()} & guesses
    assert not {pk for _, pk in got.values()} & patient_guesses
    # Shards are still assigned by the (keyed) id hash, deterministically.
    for i, o in enumerate(outs):
        assert all(int(rid.split("-")[1], 16) % 3 == i for rid in pl.read_parquet(o)["id"])


def test_same_key_same_ids_other_key_unlinkable_ids(tmp_path):
    text = HEADER + "\n" + "\n".join(row(i) for i in range(1, 30)) + "\n"
    path = write(tmp_path, text)
    runs = {}
    for name, key in (("a", KEY), ("b", KEY), ("c", b"another-radtune-test-key-fedcba9876543210")):
        outs = [str(tmp_path / name / f"{i:04d}.parquet") for i in range(3)]
        ingest("demo", SPEC, [path], outs, key)
        runs[name] = (ids_of(outs), digests(outs))
    assert runs["a"] == runs["b"]  # same key: same ids, patient keys, shards, bytes
    a, c = runs["a"][0], runs["c"][0]
    assert a.keys() == c.keys()
    assert not {v[0] for v in a.values()} & {v[0] for v in c.values()}
    assert not {v[1] for v in a.values()} & {v[1] for v in c.values()}


def test_cli_never_creates_a_key_for_real_data_and_never_prints_it(tmp_path):
    path = write(tmp_path, HEADER + "\n" + row(1) + "\n")
    outs = outputs(tmp_path, 2)
    env = {"PYTHONPATH": str(Path(__file__).parents[1] / "scripts")}
    cmd = [sys.executable, "-m", "radtune.data.ingest", "--dataset", "demo", "--spec", json.dumps(SPEC), "--csv", path,
           "--outputs", *outs, "--key-file", str(tmp_path / "nokey" / "k")]  # fmt: skip
    proc = subprocess.run([*cmd, "--real-data"], capture_output=True, text=True, env=env)
    assert proc.returncode == 1 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "nokey").exists() and not any(Path(o).exists() for o in outs)
    # From the environment: the key is used, and appears nowhere in the output or the log.
    secret = "env-held-pseudonym-key-0123456789abcdef0123"
    proc = subprocess.run(
        [*cmd, "--real-data", "--key-env", "MY_KEY"], capture_output=True, text=True, env={**env, "MY_KEY": secret}
    )
    assert proc.returncode == 0, proc.stderr
    assert secret not in proc.stdout + proc.stderr
    assert ids_of(outs)[2][0] == "demo-" + keyed_hash(secret.encode(), "demo", "A0001")
    assert not (tmp_path / "nokey").exists()


# ---- inputs that must stop at ingest with file, line and column ------------------------------


def test_header_only_csv_is_an_error(tmp_path):
    expect_error(tmp_path, HEADER + "\n", line=2, column=None, match="no data rows")
    expect_error(tmp_path, HEADER + "\n\n\n", line=2, column=None, match="no data rows")


def test_nul_byte_is_rejected_with_line_and_column(tmp_path):
    text = HEADER + "\n" + row(1) + "\n" + row(2, impression="No\x00rmal.") + "\n"
    err = expect_error(tmp_path, text, line=3, column="impression", match="NUL byte")
    assert "\x00" not in str(err) and "rmal" not in str(err)


def test_over_long_field_is_rejected_before_deid(tmp_path):
    big = "x" * 5_000_000
    text = HEADER + "\n" + row(1) + "\n" + row(2, findings=big) + "\n"
    err = expect_error(tmp_path, text, line=3, column="findings", match="longer than 100000 characters")
    assert "xxxx" not in str(err)
    # configurable
    text = HEADER + "\n" + row(1, findings="y" * 60) + "\n"
    expect_error(tmp_path, text, line=2, column="findings", match="longer than 50", max_field_chars=50)


def test_directory_or_missing_csv_path(tmp_path):
    (tmp_path / "exports").mkdir()
    for path, match in ((tmp_path / "exports", "is a folder"), (tmp_path / "none.csv", "does not exist")):
        with pytest.raises(InputError, match=match) as info:
            ingest("demo", SPEC, [str(path)], outputs(tmp_path, 2), KEY)
        assert info.value.file == str(path)
        assert not (tmp_path / "out").exists()


def test_duplicate_ids_across_parts_are_caught_from_the_id_lists(tmp_path):
    jan = write(tmp_path, HEADER + "\n" + row(1) + "\n" + row(2) + "\n", "jan.csv")
    feb = write(tmp_path, HEADER + "\n" + row(3) + "\n" + row(4) + "\n" + row(2, findings="other") + "\n", "feb.csv")
    ids = []
    for name, path in (("jan", jan), ("feb", feb)):
        ids.append(str(tmp_path / "ids" / f"{name}.parquet"))
        ingest("demo", SPEC, [path], [str(tmp_path / name / "0000.parquet")], KEY, ids_output=ids[-1])
    lists = pl.concat([pl.read_parquet(p) for p in ids])
    assert lists.columns == ["id", "source", "line"]  # keyed ids and places, no text, no accession number
    assert "A0002" not in str(lists.rows())
    out = tmp_path / "ids" / "checked.tsv"
    with pytest.raises(InputError, match="duplicate report id") as info:
        check_ids(ids, "accession_number", str(out))
    assert (info.value.file, info.value.line, info.value.column) == (feb, 4, "accession_number")
    assert f"line 3 of {jan}" in str(info.value)
    assert not out.exists()
    assert check_ids(ids[:1], "accession_number", str(out)) == 2
    assert out.read_text() == "parts\trows\n1\t2\n"
    main(["check-ids", "--inputs", *ids[1:], "--column", "accession_number", "--output", str(out)])


def test_outputs_are_owner_only(tmp_path):
    outs = run(tmp_path, HEADER + "\n" + row(1) + "\n" + row(2) + "\n", n=2)
    for o in outs:
        assert Path(o).stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o700
