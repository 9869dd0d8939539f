"""Tests for batch predictions (radtune.serve.predict, radtune.data.ingest --predict): the training prompts for new
rows,
confidences that are the model's own token probabilities, one output row per input row under the original id."""

from __future__ import annotations

import csv
import json
import os
import stat
from pathlib import Path

import polars as pl
import pytest
from _config import schema_defaults

from radtune.core.common import InputError, RadtuneError
from radtune.data.ingest import ingest
from radtune.data.instructions import build_examples
from radtune.serve import predict

torch = pytest.importorskip("torch")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
KEY = b"radtune-test-pseudonym-key-0123456789abcdef"
SPEC = {
    "task": "impression",
    "delimiter": ",",
    "columns": {
        "report_id": "accession_number",
        "exam_code": "exam_code",
        "findings": "findings",
        "impression": "impression",
        "context": ["indication"],
    },
}
ORDERS = {
    "task": "protocol",
    "delimiter": ",",
    "columns": {"report_id": "order_id", "order_notes": "notes", "protocol": "label", "context": ["history"]},
}
FINDINGS = [
    "Lungs are clear. No pleural effusion.\nElectronically signed by Dr. Someone on 01/02/2024.",
    "Small left effusion. Heart size normal.",
    "",
    "Stable 4 mm nodule right upper lobe. No new consolidation.",
]


def params(**eval_keys) -> dict:
    return {
        "seed": 1234,
        "instructions": schema_defaults("instructions"),
        "filter": schema_defaults("filter"),
        "eval": {**schema_defaults("eval"), "max_new_tokens": 6, "batch_size": 2, **eval_keys},
    }


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> str:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return str(path)


def export_csv(tmp_path: Path) -> str:
    """A new export without the impression column; ids as the RIS knows them, one empty findings."""
    rows = [[f"ACC-{900 - i}", "CTCH", f, "cough"] for i, f in enumerate(FINDINGS)]
    return write_csv(tmp_path / "new.csv", ["accession_number", "exam_code", "findings", "indication"], rows)


def ingested(tmp_path: Path, n: int = 2) -> list[str]:
    outs = [str(tmp_path / "raw" / f"{i:04d}.parquet") for i in range(n)]
    ingest("tonight", SPEC, [export_csv(tmp_path)], outs, KEY, predict=True)
    return outs


# ---- ingest of a new export -------------------------------------------------------------------------------------


def test_new_export_keeps_the_original_id_and_needs_no_answer_column(tmp_path):
    df = pl.concat([pl.read_parquet(p) for p in ingested(tmp_path)]).sort("line")
    assert df["source_id"].to_list() == ["ACC-900", "ACC-899", "ACC-898", "ACC-897"]
    assert all(i.startswith("tonight-") and "ACC" not in i for i in df["id"])  # the keyed id stays keyed
    assert df["impression"].null_count() == 4
    assert df["findings"][0].startswith("Lungs are clear")


def test_new_export_errors_name_file_line_and_column(tmp_path):
    path = write_csv(tmp_path / "dup.csv", ["accession_number", "exam_code", "findings", "indication"],
                     [["A1", "CT", "x", "y"], ["A1", "CT", "z", "w"]])  # fmt: skip
    with pytest.raises(InputError, match=r"dup\.csv.*line 3.*accession_number.*duplicate report id"):
        ingest("t", SPEC, [path], [str(tmp_path / "o.parquet")], KEY, predict=True)
    no_id = {**SPEC, "columns": {k: v for k, v in SPEC["columns"].items() if k != "report_id"}}
    with pytest.raises(RadtuneError, match="report_id"):
        ingest("t", no_id, [path], [str(tmp_path / "o.parquet")], KEY, predict=True)
    assert not (tmp_path / "o.parquet").exists()


# ---- prompts ----------------------------------------------------------------------------------------------------


def test_prompts_are_the_training_prompts(tmp_path):
    """The user turn a new row gets is the one build_examples gives the same row in training (same template by
    seed and id, exam, context, boilerplate stripped from the input, whitespace normalised)."""
    from radtune.data.filter import apply_boilerplate, load_boilerplate, normalise_ws, task_texts
    from radtune.data.instructions import load_prepend, load_templates

    df = pl.concat([pl.read_parquet(p) for p in ingested(tmp_path, n=1)]).sort("id")
    templates = load_templates(ROOT / "config/instruction_templates.yaml")
    patterns = load_boilerplate(ROOT / "config/boilerplate.yaml")
    p = params()
    prepared, messages = predict.prompts(df, templates, p, patterns)
    assert [m is None for m in messages] == [x is None for x in prepared["input_text"]]
    assert sum(m is None for m in messages) == 1  # the empty findings: nothing to predict from

    # training: the same rows through filter's boilerplate + normalisation and build_examples
    others = {c: pl.lit(None, dtype=pl.String) for c in ("order_notes", "protocol", "note", "question", "answer")}
    train, _ = apply_boilerplate(df.with_columns(impression=pl.lit("Normal."), **others), patterns, inputs=True)
    text_cols = ["findings", "impression", "exam_code", "ctx_indication"]
    train = train.with_columns(normalise_ws(pl.col(c)).alias(c) for c in text_cols).with_columns(task_texts())
    train = train.filter(pl.col("input_text").is_not_null()).with_columns(split=pl.lit("train"))
    examples = build_examples(train, templates, load_prepend(ROOT / "config/prepend_phrases.yaml"),
                              schema_defaults("instructions"), 1234)["train"]  # fmt: skip
    want = {e["id"]: e["messages"][:-1] for e in examples}
    got = {i: m for i, m in zip(prepared["id"], messages, strict=True) if m is not None}
    assert got == want
    assert not any("signed" in m[-1]["content"].lower() for m in got.values())  # the sign-off is not shown
    assert any("Indication: cough" in m[-1]["content"] for m in got.values())


def test_strip_phrases_and_known_labels(tmp_path):
    assert predict.strip_phrases("Impression: No acute findings.", ["Impression:", "IMPRESSION:"]) == (
        "No acute findings."
    )
    assert predict.strip_phrases("Final impression: stable.", ["Impression:", "Final impression:"]) == "stable."
    train = tmp_path / "train.jsonl"
    rows = [{"task": "protocol", "reference": "CT Abdomen W Contrast"}, {"task": "impression", "reference": "x"}]
    train.write_text("".join(json.dumps(r) + "\n" for r in rows))
    labels = predict.known_labels(train, "protocol")
    assert labels == {"ct abdomen w contrast": "CT Abdomen W Contrast"}


# ---- generation with confidences, the CSV ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def variant(tmp_path_factory, smollm2_tok, tiny_base):
    """(base folder, LoRA variant folder) with SmolLM2's tokenizer and chat template, saved as train.run does."""
    from _tiny_model import save_random_lora
    from transformers import AutoModelForCausalLM

    root = tmp_path_factory.mktemp("predict")
    meta = {"variant": "lora", "method": "lora", "recipe": "config/recipes/lora_ci.yaml", "global_step": 3}
    model = AutoModelForCausalLM.from_pretrained(tiny_base)
    folder = save_random_lora(model, smollm2_tok, root / "models" / "lora", meta, ["q_proj", "v_proj"])
    return tiny_base, folder


def test_confidence_is_the_mean_token_log_probability_up_to_end_of_turn(variant):
    """generate_hf's scores against a forward pass over prompt + generated tokens: a finished row's padding must
    not count, and batching must not change a row's score."""
    from radtune.evaluate.generate import generate_hf, load_model

    base, folder = variant
    model, tok = load_model(base, folder)
    prompts = [
        tok.apply_chat_template([{"role": "user", "content": t}], tokenize=False, add_generation_prompt=True)
        for t in ("Findings: lungs clear.", "Findings: a much longer text about the heart and the lungs here.")
    ]
    texts, scores = generate_hf(model, tok, prompts, 12, batch_size=2, with_scores=True)
    single = [generate_hf(model, tok, [p], 12, batch_size=1, with_scores=True) for p in prompts]
    assert texts == [s[0][0] for s in single]
    assert scores == pytest.approx([s[1][0] for s in single], abs=1e-4)
    eos = {tok.eos_token_id, *([model.generation_config.eos_token_id] if isinstance(
        model.generation_config.eos_token_id, int) else model.generation_config.eos_token_id)}  # fmt: skip
    for prompt, score in zip(prompts, scores, strict=True):
        ids = tok(prompt, add_special_tokens=False, return_tensors="pt")["input_ids"]
        with torch.inference_mode():
            gen = model.generate(ids, max_new_tokens=12, do_sample=False, pad_token_id=tok.pad_token_id)
            new = gen[0, ids.shape[1] :].tolist()
            n = next((k + 1 for k, t in enumerate(new) if t in eos), len(new))
            logits = model(gen[:, : ids.shape[1] + n]).logits[0, ids.shape[1] - 1 : -1]
        want = torch.log_softmax(logits.float(), -1).gather(1, torch.tensor(new[:n])[:, None]).mean().item()
        assert score == pytest.approx(want, abs=1e-4)


def test_predict_shard_and_merge_write_one_row_per_input_row(variant, tmp_path):
    base, folder = variant
    shards = ingested(tmp_path, n=2)
    train = tmp_path / "train.jsonl"
    train.write_text(json.dumps({"task": "impression", "reference": "Normal."}) + "\n")
    outs = []
    for i, shard in enumerate(shards):
        out = tmp_path / "out" / f"{i:04d}.parquet"
        predict.main(["generate", "--input", shard, "--base", str(base), "--finetuned", str(folder), "--train",
                      str(train), "--templates", str(ROOT / "config/instruction_templates.yaml"), "--prepend",
                      str(ROOT / "config/prepend_phrases.yaml"), "--boilerplate", str(ROOT / "config/boilerplate.yaml"),
                      "--params", json.dumps(params()), "--output", str(out)])  # fmt: skip
        outs.append(str(out))
    result = tmp_path / "predict" / "tonight.csv"
    predict.main(["merge", "--inputs", *outs, "--csv", str(tmp_path / "new.csv"), "--id-column",
                  "accession_number", "--task", "impression", "--model", str(folder), "--deidentified", "true",
                  "--output", str(result)])  # fmt: skip
    assert stat.S_IMODE(result.stat().st_mode) == 0o600  # original ids: patient data, owner-only
    with open(result, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["accession_number"] for r in rows] == ["ACC-900", "ACC-899", "ACC-898", "ACC-897"]  # input order
    assert list(rows[0]) == ["accession_number", "prediction", "confidence", "status", "variant", "recipe",
                             "model_fingerprint", "deidentified"]  # fmt: skip
    assert [r["status"] for r in rows] == ["ok", "ok", "empty_input", "ok"]
    assert rows[2]["prediction"] == "" and rows[2]["confidence"] == ""
    for r in (rows[0], rows[1], rows[3]):
        assert 0.0 < float(r["confidence"]) <= 1.0
        assert r["variant"] == "lora" and r["deidentified"] == "True" and len(r["model_fingerprint"]) == 16


def test_label_task_gets_a_known_label_or_none(variant, tmp_path, monkeypatch):
    """A protocol prediction that is (up to case and punctuation) a label of the training data gets that label."""
    from radtune.evaluate import generate

    base, folder = variant
    path = write_csv(tmp_path / "orders.csv", ["order_id", "notes", "history"],
                     [["O-1", "Abdominal pain.", "renal failure"], ["O-2", "Headache.", ""]])  # fmt: skip
    shard = str(tmp_path / "raw.parquet")
    ingest("orders", ORDERS, [path], [shard], KEY, predict=True)
    train = tmp_path / "train.jsonl"
    train.write_text(json.dumps({"task": "protocol", "reference": "CT Abdomen W Contrast"}) + "\n")
    answers = iter(["ct abdomen w contrast.", "MR Brain"])  # rows come in shard (id) order

    def fake(model, tok, prompts, max_new, batch, with_scores=False):
        return [next(answers) for _ in prompts], [-0.1] * len(prompts)

    monkeypatch.setattr(generate, "generate_hf", fake)
    out = tmp_path / "out.parquet"
    predict.predict_shard(shard, base, folder, train, ROOT / "config/instruction_templates.yaml",
                          ROOT / "config/prepend_phrases.yaml", None, params(), out)  # fmt: skip
    df = pl.read_parquet(out).sort("source_id")
    got = dict(zip(df["prediction"], df["label"], strict=True))
    assert got == {"ct abdomen w contrast.": "CT Abdomen W Contrast", "MR Brain": None}
    assert df["confidence"].to_list() == pytest.approx([0.904837, 0.904837], abs=1e-5)


def test_merge_refuses_shards_of_other_files(variant, tmp_path):
    _, folder = variant
    out = tmp_path / "o.parquet"
    pl.DataFrame({"source": ["other.csv"], "line": [2], "source_id": ["X"], "prediction": ["p"], "label": [None],
                  "confidence": [0.5], "status": ["ok"], "neighbours": [None]},
                 schema=predict.OUT_SCHEMA).write_parquet(out)  # fmt: skip
    with pytest.raises(RadtuneError, match="not this entry's csv list"):
        predict.merge([str(out)], ["new.csv"], "id", "impression", folder, True, tmp_path / "p.csv")
    assert not (tmp_path / "p.csv").exists()


# ---- a retrieval variant ------------------------------------------------------------------------------------------


def retrieval_train(tmp_path: Path) -> tuple[Path, Path]:
    """The split assignment's train rows (and a val row, never retrieved) and their chat examples."""
    texts = {
        "t-1": ("Small left effusion. Heart size normal.", "Small left pleural effusion.", "CTCH"),
        "t-2": ("Stable 4 mm nodule right upper lobe. No new consolidation.", "Stable nodule.", "CTCH"),
        "t-3": ("Fracture of the distal radius.", "Distal radius fracture.", "XRWR"),
        "v-1": ("Small left effusion. Heart size normal. Lungs clear.", "Effusion.", "CTCH"),
    }
    rows = [
        {"id": i, "split": "val" if i.startswith("v") else "train", "group_id": f"g{i}", "task": "impression",
         "input_text": f, "output_text": o, "exam_code": e, "exam_description": None, "ctx_indication": "cough"}
        for i, (f, o, e) in texts.items()
    ]  # fmt: skip
    assigned = tmp_path / "assigned.parquet"
    pl.DataFrame(rows).write_parquet(assigned)
    train = tmp_path / "train.jsonl"
    train.write_text(
        "".join(
            json.dumps({"id": r["id"], "task": "impression", "input_text": r["input_text"],
                        "reference": r["output_text"], "group": r["exam_code"]}) + "\n"
            for r in rows if r["split"] == "train"
        )
    )  # fmt: skip
    return assigned, train


def test_retrieval_prompts_show_the_nearest_train_reports_as_training_does(tmp_path, smollm2_tok):
    from radtune.data.filter import load_boilerplate
    from radtune.data.instructions import load_templates
    from radtune.data.retrieval import augment_user, render_neighbours

    assigned, train = retrieval_train(tmp_path)
    df = pl.concat([pl.read_parquet(p) for p in ingested(tmp_path, n=1)]).sort("id")
    templates = load_templates(ROOT / "config/instruction_templates.yaml")
    prepared, messages = predict.prompts(df, templates, params(), load_boilerplate(ROOT / "config/boilerplate.yaml"))
    plain = [None if m is None else [dict(x) for x in m] for m in messages]
    retrieval = {"k": 2, "fields": ["input", "exam"], "max_tokens": 200}
    shown = predict.add_neighbours(prepared, messages, assigned, train, retrieval, smollm2_tok)
    effusion = prepared["input_text"].to_list().index("Small left effusion. Heart size normal.")
    assert shown[effusion][0] == "t-1"  # the same findings in train; the val row is never shown
    assert all(ids is None or "v-1" not in ids for ids in shown)
    assert [ids is None for ids in shown] == [m is None for m in messages]  # no input: no neighbours either
    examples = {json.loads(x)["id"]: json.loads(x) for x in train.read_text().splitlines()}
    for i, ids in enumerate(shown):
        if ids is None:
            continue
        block = render_neighbours([examples[x] for x in ids], "impression", smollm2_tok, 200)
        assert messages[i][-1]["content"] == augment_user(plain[i][-1]["content"], block)
        assert messages[i][:-1] == plain[i][:-1]  # the system turn is untouched
    assert "Impression: Small left pleural effusion." in messages[effusion][-1]["content"]


def test_retrieval_variant_predictions_name_the_neighbours_they_were_shown(variant, tmp_path):
    base, folder = variant
    assigned, train = retrieval_train(tmp_path)
    out = tmp_path / "out" / "0000.parquet"
    predict.main(["generate", "--input", ingested(tmp_path, n=1)[0], "--base", str(base), "--finetuned", str(folder),
                  "--train", str(train), "--templates", str(ROOT / "config/instruction_templates.yaml"),
                  "--prepend", str(ROOT / "config/prepend_phrases.yaml"), "--params", json.dumps(params()),
                  "--assigned", str(assigned), "--retrieval",
                  json.dumps({"k": 2, "fields": ["input"], "max_tokens": 200}), "--output", str(out)])  # fmt: skip
    result = tmp_path / "tonight.csv"
    predict.main(["merge", "--inputs", str(out), "--csv", str(tmp_path / "new.csv"), "--id-column",
                  "accession_number", "--task", "impression", "--model", str(folder), "--deidentified", "true",
                  "--output", str(result)])  # fmt: skip
    with open(result, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[-1] == "neighbours"
    by_id = {r["accession_number"]: r for r in rows}
    assert by_id["ACC-899"]["neighbours"].split()[0] == "t-1"  # "Small left effusion. Heart size normal."
    assert by_id["ACC-898"]["neighbours"] == "" and by_id["ACC-898"]["status"] == "empty_input"
    assert all(len(r["neighbours"].split()) == 2 for r in rows if r["status"] == "ok")
