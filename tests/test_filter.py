"""Tests for radtune.data.filter: normalisation, task texts, each drop reason and its count, determinism."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from _config import schema_defaults

from radtune.core.common import ConservationError, InputError
from radtune.data.filter import filter_rows, load_boilerplate, load_shards, main, strip_boilerplate


def P(over: dict) -> dict:
    """The filter section as the workflow passes it: the schema's defaults with `over` set (one level deep)."""
    params = schema_defaults("filter")
    for k, v in over.items():
        params[k] = {**params[k], **v} if isinstance(v, dict) else v
    return params


ROOT = Path(__file__).resolve().parents[1]
PATTERNS = load_boilerplate(ROOT / "config/boilerplate.yaml")

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
    kept, report = filter_rows(load_shards([shard(tmp_path, "a.parquet", rows)]), {"demo": {}}, P({
        "min_findings_words": 10, "max_input_words": 20}))  # fmt: skip
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
        "rows_in", "dropped_missing_input", "dropped_missing_output", "dropped_boilerplate_only",
        "dropped_short_findings", "dropped_duplicate_pair", "dropped_too_long", "rows_out", "kept_by_context",
    ]  # fmt: skip


def test_duplicate_kept_is_first_by_id_whatever_the_file_order(tmp_path):
    a = shard(tmp_path, "a.parquet", [{"id": "demo-9", "findings": LONG, "impression": "N", "ctx_x": " a  b "}])
    b = shard(tmp_path, "b.parquet", [{"id": "demo-1", "findings": LONG, "impression": "N", "ctx_x": "a b"}])
    k1, _ = filter_rows(load_shards([a, b]), {"demo": {}}, P({"min_findings_words": 0}))
    k2, _ = filter_rows(load_shards([b, a]), {"demo": {}}, P({"min_findings_words": 0}))
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
    kept, report = filter_rows(load_shards([imp, proto, qa]), {"demo": {}, "proto": {}, "qa": {}, "empty": {}}, P({}))
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
        filter_rows(load_shards([a, b]), {"demo": {}}, P({}))
    assert "r.csv line 5" in str(info.value) and info.value.file == "s.csv"


def test_missing_column_and_cli_outputs(tmp_path):
    bad = tmp_path / "bad.parquet"
    pl.DataFrame({"id": ["x"]}).write_parquet(bad)
    with pytest.raises(InputError, match="dataset"):
        load_shards([str(bad)])
    good = shard(tmp_path, "g.parquet", [{"id": "demo-1", "findings": LONG, "impression": "N"}])
    args = ["--inputs", good, "--datasets", json.dumps({"demo": {}}), "--params", json.dumps(P({}))]
    main(args + ["--output", str(tmp_path / "o1.parquet"), "--report", str(tmp_path / "r1.tsv")])
    main(args + ["--output", str(tmp_path / "o2.parquet"), "--report", str(tmp_path / "r2.tsv")])
    assert (tmp_path / "o1.parquet").read_bytes() == (tmp_path / "o2.parquet").read_bytes()
    lines = (tmp_path / "r1.tsv").read_text().splitlines()
    assert lines[0] == "dataset\tstep\trows" and lines[1] == "demo\trows_in\t1" and "demo\trows_out\t1" in lines


def test_note_qa_words_count_both_parts(tmp_path):
    qa = shard(tmp_path, "q.parquet", [
        {"id": "q-1", "dataset": "qa", "task": "note_qa", "note": "one two", "question": "three?", "answer": "A."},
        {"id": "q-2", "dataset": "qa", "task": "note_qa", "note": "one two", "question": "three four?", "answer": "B"},
    ])  # fmt: skip
    kept, report = filter_rows(load_shards([qa]), {"qa": {}}, P({"max_input_words": 3}))
    assert kept["id"].to_list() == ["q-1"] and report_dict(report)[("qa", "dropped_too_long")] == 1


# ---- sign-off / communication boilerplate (config/boilerplate.yaml), after de-identification -------------------

ENDINGS = {
    # report ending in several house styles -> (what stays, pattern names removed)
    "1. Right lower lobe pneumonia.\n2. No effusion.\n\nElectronically signed: <PERSON>, M.D. <DATE>": (
        "1. Right lower lobe pneumonia.\n2. No effusion.",
        ["electronic_signature"],
    ),
    "Small right apical pneumothorax. Findings discussed with <PERSON>, RN, at <DATE>.": (
        "Small right apical pneumothorax.",
        ["communication"],
    ),
    "No acute intracranial abnormality. I have personally reviewed the images and agree with the report.": (
        "No acute intracranial abnormality.",
        ["attestation"],
    ),
    "Acute appendicitis. Critical result called to Dr. <PERSON> at <DATE> by <PERSON>, with read back.": (
        "Acute appendicitis.",
        ["communication"],
    ),
    "Stable 4 mm nodule.\nDictated by: <PERSON>, MD\nTranscribed: <DATE> <DATE>": (
        "Stable 4 mm nodule.",
        ["dictation_transcription", "dictation_transcription"],
    ),
    "Mild degenerative change.\nResident: <PERSON>, MD\nAttending: Dr. <PERSON> (pager <PHONE>)": (
        "Mild degenerative change.",
        ["resident_attending", "resident_attending"],
    ),
    "No fracture. Reviewed and signed by <PERSON>, MD. Questions: <PHONE> or <EMAIL>": (
        "No fracture.",
        ["electronic_signature", "communication"],
    ),
    "Cholelithiasis. The referring physician was notified by telephone.": ("Cholelithiasis.", ["communication"]),
    "Small effusion. This report was dictated using voice recognition software.": (
        "Small effusion.",
        ["dictation_transcription"],
    ),
    # clinical sentences that use the same words stay
    "As discussed in the prior report, the nodule is stable.": (
        "As discussed in the prior report, the nodule is stable.",
        [],
    ),
    "Sign of vertebral collapse at L1. Communicating hydrocephalus is not excluded.": (
        "Sign of vertebral collapse at L1. Communicating hydrocephalus is not excluded.",
        [],
    ),
}


def test_boilerplate_endings_in_several_styles():
    for text, want in ENDINGS.items():
        kept, hits = strip_boilerplate(text, PATTERNS)
        assert (kept.strip(), hits) == want, text


def test_boilerplate_in_the_filter_counts_per_pattern_and_drops_emptied_outputs(tmp_path):
    rows = [
        {"id": "demo-1", "findings": LONG + "\n\nDictated by: <PERSON>, MD",
         "impression": "Pneumonia. Findings discussed with <PERSON>, RN, at <DATE>."},
        {"id": "demo-2", "findings": LONG.replace("today", "now"),
         "impression": "Electronically signed: <PERSON>, M.D. <DATE>"},
        {"id": "demo-3", "findings": LONG.replace("today", "then"),
         "impression": "As discussed in the prior report, stable."},
    ]  # fmt: skip
    src = load_shards([shard(tmp_path, "a.parquet", rows)])
    kept, report = filter_rows(src, {"demo": {}}, P({"min_findings_words": 0}), PATTERNS)
    by_id = {r["id"]: r for r in kept.iter_rows(named=True)}
    assert by_id["demo-1"]["output_text"] == "Pneumonia." and by_id["demo-1"]["input_text"] == LONG
    assert "demo-2" not in by_id  # nothing but a signature: dropped, counted
    assert by_id["demo-3"]["output_text"] == "As discussed in the prior report, stable."
    r = report_dict(report)
    assert r[("demo", "dropped_boilerplate_only")] == 1 and r[("demo", "rows_out")] == 2
    assert r[("demo", "boilerplate_output_communication")] == 1
    assert r[("demo", "boilerplate_output_electronic_signature")] == 1
    assert r[("demo", "boilerplate_input_dictation_transcription")] == 1
    assert r[("demo", "boilerplate_output_attestation")] == 0
    # inputs: false leaves the findings alone; enabled: false leaves everything alone
    kept, report = filter_rows(
        src, {"demo": {}}, P({"min_findings_words": 0, "boilerplate": {"inputs": False}}), PATTERNS
    )
    assert "Dictated by" in kept["input_text"][0] and "boilerplate_input_attestation" not in dict(
        ((s, n) for _, s, n in report)
    )
    kept, report = filter_rows(
        src, {"demo": {}}, P({"min_findings_words": 0, "boilerplate": {"enabled": False}}), PATTERNS
    )
    assert kept.height == 3 and not any(s.startswith("boilerplate_") for _, s, _ in report)


def test_bad_pattern_file_names_file_and_pattern(tmp_path):
    bad = tmp_path / "b.yaml"
    bad.write_text("signature:\n  - '(unclosed'\n")
    with pytest.raises(InputError, match="invalid regular expression") as info:
        load_boilerplate(bad)
    assert info.value.column == "signature"


# ---- duplicates are judged on what the model sees --------------------------------------------------------------


def test_same_notes_with_different_histories_both_survive(tmp_path):
    base = {"dataset": "proto", "task": "protocol", "order_notes": "Rule out hemorrhage, noncontrast.",
            "protocol": "CT Head WO Contrast"}  # fmt: skip
    rows = [
        {**base, "id": "p-1", "ctx_clinical_history": "Fall on anticoagulation.", "exam_code": "CTHEAD"},
        {**base, "id": "p-2", "ctx_clinical_history": "Acute headache.", "exam_code": "CTHEAD"},
        {**base, "id": "p-3", "ctx_clinical_history": "Acute headache.", "exam_code": "CTHEAD"},  # true duplicate
        {**base, "id": "p-4", "ctx_clinical_history": "Acute headache.", "exam_code": "CTHEADX"},
    ]
    kept, report = filter_rows(load_shards([shard(tmp_path, "p.parquet", rows)]), {"proto": {}}, P({}))
    assert kept["id"].to_list() == ["p-1", "p-2", "p-4"]
    r = report_dict(report)
    assert r[("proto", "dropped_duplicate_pair")] == 1
    assert r[("proto", "kept_by_context")] == 2  # the old key (notes + label) would have kept only p-1
    assert r[("proto", "kept_by_ctx_clinical_history")] == 1 and r[("proto", "kept_by_exam_code")] == 1


def _ids(tmp_path: Path, name: str, ids: list[str]) -> str:
    p = tmp_path / name
    pl.DataFrame({"id": ids, "source": ["r.csv"] * len(ids), "line": list(range(2, len(ids) + 2))}).write_parquet(p)
    return str(p)


def test_shards_must_hold_exactly_the_reports_ingest_read(tmp_path):
    """Conservation from ingest to the filter: a shard set cut for another shard count (one piece missing, or a
    piece of an older file list) stops the filter with the counts, and writes nothing."""
    rows = [{"id": f"demo-{i}", "findings": LONG, "impression": f"Normal {i}."} for i in range(4)]
    a = shard(tmp_path, "a.parquet", rows[:2])
    b = shard(tmp_path, "b.parquet", rows[2:])
    parts = {
        "demo": [_ids(tmp_path, "p0.parquet", ["demo-0", "demo-1"]), _ids(tmp_path, "p1.parquet", ["demo-2", "demo-3"])]
    }
    args = ["--datasets", json.dumps({"demo": {}}), "--params", json.dumps(P({})), "--ingested", json.dumps(parts)]
    out, rep = tmp_path / "o.parquet", tmp_path / "r.tsv"
    with pytest.raises(ConservationError, match=r"dataset demo: 4 reports ingested .*, 2 rows .*\(2 missing, 0 not"):
        main(["--inputs", a, *args, "--output", str(out), "--report", str(rep)])
    assert not out.exists() and not rep.exists()
    stale = shard(tmp_path, "stale.parquet", [*rows[2:], {"id": "demo-9", "findings": LONG, "impression": "Old."}])
    with pytest.raises(ConservationError, match=r"4 reports ingested .*, 5 rows .*\(0 missing, 1 not ingested"):
        main(["--inputs", a, stale, *args, "--output", str(out), "--report", str(rep)])
    # the same count, other reports: still refused
    swapped = shard(tmp_path, "swapped.parquet", [rows[2], {"id": "demo-9", "findings": LONG, "impression": "Old."}])
    with pytest.raises(ConservationError, match=r"\(1 missing, 1 not ingested"):
        main(["--inputs", a, swapped, *args, "--output", str(out), "--report", str(rep)])
    main(["--inputs", a, b, *args, "--output", str(out), "--report", str(rep)])
    lines = rep.read_text().splitlines()
    assert lines[1:3] == ["demo\trows_ingested\t4", "demo\trows_in\t4"] and "demo\trows_out\t4" in lines


def test_every_row_is_kept_or_dropped_with_one_reason(tmp_path):
    rows = [
        {"id": "demo-1", "findings": LONG, "impression": "Normal."},
        {"id": "demo-2", "findings": None, "impression": "x"},
        {"id": "demo-3", "findings": "Short.", "impression": "x"},
        {"id": "demo-4", "findings": LONG, "impression": "Normal."},
    ]
    _, report = filter_rows(load_shards([shard(tmp_path, "a.parquet", rows)]), {"demo": {}}, P({}))
    r = report_dict(report)
    reasons = [s for (d, s) in r if s.startswith("dropped_")]
    assert r[("demo", "rows_in")] == 4 == r[("demo", "rows_out")] + sum(r[("demo", s)] for s in reasons)
