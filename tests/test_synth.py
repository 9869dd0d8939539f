"""Tests for radtune.deid.corpora.synthetic: determinism, CSV shape, gold spans, and the content the later stages rely
on."""

import csv
import json
from collections import Counter

import pytest

from radtune.core.norm import PLACEHOLDER_KINDS
from radtune.deid.corpora import synthetic as synth


@pytest.fixture(scope="module")
def reports():
    return synth.generate_reports(400, seed=3)


def test_same_seed_gives_byte_identical_files_and_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    synth.main(["--task", "impression", "--n", "50", "--seed", "5", "--output", str(a), "--gold", str(tmp_path / "g")])
    synth.main(["--task", "impression", "--n", "50", "--seed", "5", "--output", str(b)])
    synth.main(["--task", "impression", "--n", "50", "--seed", "6", "--output", str(c)])
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    gold = [json.loads(line) for line in (tmp_path / "g").read_text().splitlines()]
    assert gold and set(gold[0]) == {"row", "column", "start", "end", "entity_type"}


def test_csv_round_trips_with_commas_and_newlines(tmp_path):
    rows, _ = synth.generate_reports(60, seed=1)
    out = tmp_path / "r.csv"
    synth.write_csv(out, rows, synth.IMPRESSION_COLUMNS)
    with open(out, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == synth.IMPRESSION_COLUMNS
        back = list(reader)
    assert back == rows
    assert any("\n" in r["findings"] and "," in r["findings"] for r in rows)


def test_gold_spans_point_at_planted_identifiers(reports):
    rows, spans = reports
    types = Counter(s.entity_type for s in spans)
    assert set(types) == set(synth.ENTITY_TYPES)  # every identifier type is planted
    for s in spans:
        text = rows[s.row][s.column]
        piece = text[s.start : s.end]
        assert piece and piece == piece.strip(), s
        assert s.column in {"indication", "comparison", "findings", "impression"}
    by_type = {s.entity_type: rows[s.row][s.column][s.start : s.end] for s in spans}
    assert "@" in by_type["EMAIL"] and by_type["URL"].startswith("https://")
    ages = [rows[s.row][s.column][s.start : s.end] for s in spans if s.entity_type == "AGE"]
    assert all(int(a[:3].strip("- y")) >= 90 for a in ages)


def test_content_mix_for_later_stages(reports):
    rows, _ = reports
    findings = Counter(r["findings"] for r in rows)
    assert findings.most_common(1)[0][1] >= 5  # templated normal studies repeat exactly
    assert any(0 < len(r["findings"].split()) < 10 for r in rows)
    assert any(r["impression"] == "" for r in rows)
    text = " ".join(r["findings"] + r["impression"] + r["indication"] for r in rows)
    for term in ["Hodgkin", "Crohn", "Parkinson", "Wilms", "Colles", "Bankart", "Swan-Ganz", "Foley", "Barrett",
                 "Baker", "Graves", "Paget", "T2 hyperintense", "C5-C6", " cm"]:  # fmt: skip
        assert term in text, term
    assert {r["exam_code"][:2] for r in rows} >= {"CT", "MR", "XR", "CR", "US", "FL"}


def test_protocol_orders_columns_labels_and_identifiers():
    rows, spans = synth.generate_protocol_orders(200, seed=2)
    assert list(rows[0]) == synth.PROTOCOL_COLUMNS
    labels = Counter(r["protocol_label"] for r in rows)
    assert 8 <= len(labels) <= 12
    assert {s.column for s in spans} == {"clinical_history", "ordering_notes"}

    # notes and history together determine the label; some notes alone do not (only the history resolves them)
    def core(history):
        return history.split(". ", 1)[-1] if "year-old" in history or "male. " in history else history

    by_pair, by_note = {}, {}
    for r in rows:
        note = r["ordering_notes"].split(" Ordering provider")[0].split(" Prior MRN")[0].split(" Send report")[0]
        note = note.split(" Patient address")[0]
        history = core(r["clinical_history"]).split(" Prior imaging")[0]
        by_pair.setdefault((note, history), set()).add(r["protocol_label"])
        by_note.setdefault(note, set()).add(r["protocol_label"])
    assert all(len(v) == 1 for v in by_pair.values())
    assert any(len(v) > 1 for v in by_note.values())
    assert labels.most_common(1)[0][0] == "CT Head WO Contrast"  # a majority class for the constant baseline


def test_committed_demo_files_match_the_generator(tmp_path):
    out = tmp_path / "r.csv"
    synth.main(["--task", "impression", "--n", "300", "--seed", "7", "--output", str(out)])
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    assert out.read_bytes() == (root / "data/demo/reports.csv").read_bytes()
    synth.main(["--task", "protocol", "--n", "600", "--seed", "7", "--output", str(out)])
    assert out.read_bytes() == (root / "data/demo/protocol_orders.csv").read_bytes()


def test_entity_types_are_the_placeholder_kinds():
    assert synth.ENTITY_TYPES == list(PLACEHOLDER_KINDS)


def test_data_files_are_listed_in_the_readme():
    readme = (synth.DATA_DIR / "README.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in synth.DATA_DIR.iterdir() if p.name != "README.md")
    assert files and all(f"`{f}`" in readme for f in files), files
