"""Tests for radtune.data.instructions: message layout, seeded template/prepend choices, byte-identical output."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from _config import schema_defaults

from radtune.core.common import ConservationError, InputError, RadtuneError, hash_fraction, read_jsonl
from radtune.data.instructions import build_examples, load_prepend, load_templates, main


def P(prepend_prob: float) -> dict:
    """The instructions section as the workflow passes it, with this prepend probability."""
    return {**schema_defaults("instructions"), "prepend_prob": prepend_prob}


ROOT = Path(__file__).parents[1]
TEMPLATES = ROOT / "config" / "instruction_templates.yaml"
PREPEND = ROOT / "config" / "prepend_phrases.yaml"


def assigned(n: int = 6) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [f"demo-{i:04x}" for i in range(n)],
            "dataset": ["demo"] * n,
            "task": ["impression"] * n,
            "exam_code": ["CTCH"] + [None] * (n - 1),
            "exam_description": ["CT chest"] * (n - 1) + [None],
            "ctx_indication": ["cough"] * n,
            "ctx_comparison": [None] * (n - 1) + ["comparison: CT 2020"],
            "findings": [f"findings {i}" for i in range(n)],
            "input_text": [f"findings {i}" for i in range(n)],
            "output_text": [f"impression {i}" for i in range(n)],
            "split": (["train", "val", "test"] * n)[:n],
        }
    )


def test_shipped_config_files():
    t = load_templates(TEMPLATES)
    assert len(t["impression"]) == 20 and len(set(t["impression"])) == 20
    assert 3 <= len(t["protocol"]) and 3 <= len(t["note_qa"])
    p = load_prepend(PREPEND)
    assert len(p) == 10 and "Impression:" in p and "In summary," in p


def test_message_layout_and_fields():
    ex = build_examples(
        assigned(),
        load_templates(TEMPLATES),
        ["Impression:"],
        P(0.0),
        seed=1,
    )
    first = ex["train"][0]
    assert first["id"] == "demo-0000" and first["group"] == "CTCH"
    roles = [m["role"] for m in first["messages"]]
    assert roles == ["system", "user", "assistant"]
    assert first["messages"][0]["content"] == "You are an expert radiologist."
    user = first["messages"][1]["content"]
    assert user.startswith(load_templates(TEMPLATES)["impression"][first["template"]])
    assert "Exam: CTCH - CT chest\nIndication: cough\n\nFindings: findings 0" in user
    assert "Comparison" not in user  # null context is left out
    assert "Indication: cough\ncomparison: CT 2020\n\nFindings" in ex["test"][-1]["messages"][1]["content"]
    assert first["messages"][2]["content"] == first["reference"] == "impression 0"
    assert first["prepend"] is None and first["input_text"] == "findings 0"
    last = ex["val"][-1] if ex["val"][-1]["id"] == "demo-0005" else ex["test"][-1]
    assert last["id"] == "demo-0005" and last["group"] == "all"
    assert ex["val"][0]["group"] == "CT chest"
    assert [len(ex[s]) for s in ("train", "val", "test")] == [2, 2, 2]


def test_choices_are_seeded_by_id_not_row_order():
    df = assigned(400)
    templates = load_templates(TEMPLATES)
    phrases = load_prepend(PREPEND)
    a = build_examples(df, templates, phrases, P(0.3), seed=5)
    b = build_examples(df.reverse(), templates, phrases, P(0.3), seed=5)
    assert a == b
    rows = a["train"] + a["val"] + a["test"]
    for r in rows[:50]:
        assert r["template"] == int(hash_fraction(5, r["id"], "template") * 20)
        assert (r["prepend"] is not None) == (hash_fraction(5, r["id"], "prepend") < 0.3)
    used = Counter(r["template"] for r in rows)
    assert len(used) == 20  # all templates are used
    share = sum(r["prepend"] is not None for r in rows) / len(rows)
    assert 0.2 < share < 0.4
    pre = [r for r in rows if r["prepend"]]
    assert all(r["messages"][-1]["content"] == f"{r['prepend']} {r['reference']}" for r in pre)
    assert not any(r["reference"].startswith(r["prepend"]) for r in pre)
    c = build_examples(df, templates, phrases, P(0.3), seed=6)
    assert [r["template"] for r in c["train"]] != [r["template"] for r in a["train"]]


def test_never_prepend_to_protocol_and_other_tasks_layout():
    df = pl.DataFrame(
        {
            "id": ["p-1", "q-1"],
            "dataset": ["proto", "qa"],
            "task": ["protocol", "note_qa"],
            "order_notes": ["headache", None],
            "note": [None, "Patient had CT."],
            "question": [None, "What study?"],
            "input_text": ["headache", "Patient had CT.\nWhat study?"],
            "output_text": ["CT HEAD WO", "CT"],
            "split": ["train", "train"],
        }
    )
    ex = build_examples(df, load_templates(TEMPLATES), ["Impression:"], P(1.0), seed=1)["train"]
    proto, qa = ex
    assert proto["prepend"] is None and proto["messages"][-1]["content"] == "CT HEAD WO"
    assert proto["messages"][1]["content"].endswith("\n\nOrder notes: headache") and proto["group"] == "all"
    assert qa["messages"][1]["content"].endswith("Note: Patient had CT.\n\nQuestion: What study?")
    with pytest.raises(RadtuneError, match="no instruction templates for task .note_qa"):
        build_examples(df, {"impression": ["x"]}, [], schema_defaults("instructions"), seed=1)


def test_bad_template_files(tmp_path):
    bad = tmp_path / "t.yaml"
    bad.write_text("impression: []\n")
    with pytest.raises(InputError, match="non-empty list"):
        load_templates(bad)
    bad.write_text("summary: [x]\n")
    with pytest.raises(InputError, match="unknown task"):
        load_templates(bad)
    bad.write_text("- [unclosed\n")
    with pytest.raises(InputError, match="cannot read"):
        load_prepend(bad)


def test_cli_is_byte_identical(tmp_path):
    src = tmp_path / "assigned.parquet"
    assigned(30).write_parquet(src)
    params = json.dumps({"prepend_prob": 0.5, "system_prompt": "Be brief."})

    def run(d: str) -> list[bytes]:
        outs = [str(tmp_path / d / f"{s}.jsonl") for s in ("train", "val", "test")]
        main(["--input", str(src), "--templates", str(TEMPLATES), "--prepend", str(PREPEND), "--params", params,
              "--seed", "9", "--outputs", *outs])  # fmt: skip
        return [Path(o).read_bytes() for o in outs]

    a, b = run("a"), run("b")
    assert a == b
    rows = read_jsonl(tmp_path / "a" / "train.jsonl")
    assert len(rows) == 10 and rows[0]["messages"][0]["content"] == "Be brief."
    assert list(json.loads(a[0].splitlines()[0])) == sorted(json.loads(a[0].splitlines()[0]))


def test_an_example_lost_between_split_and_jsonl_stops_the_job(tmp_path, monkeypatch):
    """Conservation: one chat example per assigned row; a builder that loses a row fails the job, writing nothing."""
    import radtune.data.instructions as mod

    src = tmp_path / "assigned.parquet"
    assigned(30).write_parquet(src)
    real = mod.build_examples

    def lossy(*args, **kwargs):
        out = real(*args, **kwargs)
        out["test"] = out["test"][1:]
        return out

    monkeypatch.setattr(mod, "build_examples", lossy)
    outs = [str(tmp_path / f"{s}.jsonl") for s in ("train", "val", "test")]
    with pytest.raises(ConservationError, match=r"at instructions: 30 assigned rows in, 29 accounted for .*1 lost"):
        main(["--input", str(src), "--templates", str(TEMPLATES), "--prepend", str(PREPEND), "--params",
              json.dumps({"prepend_prob": 0.5, "system_prompt": ""}), "--seed", "9", "--outputs", *outs])  # fmt: skip
    assert not any(Path(o).exists() for o in outs)
