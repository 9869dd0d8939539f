"""Tests for radtune.serve.export: a tiny LoRA variant exported, loaded back with plain transformers, and checked."""

from __future__ import annotations

import json
import os
import stat
from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from _config import schema_defaults  # noqa: E402
from _helpers import WORDS, word_tokenizer  # noqa: E402
from _tiny_model import save_random_lora, save_tiny_base  # noqa: E402

from radtune.core.common import RadtuneError, read_jsonl  # noqa: E402
from radtune.evaluate import generate  # noqa: E402
from radtune.serve import card as card_module  # noqa: E402
from radtune.serve import export  # noqa: E402
from radtune.serve.card import RETRIEVAL_LIMITS  # noqa: E402

NEW_TOKENS = 8


def _row(i: int) -> dict:
    text = " ".join(WORDS[(i * 3 + k) % len(WORDS)] for k in range(3 + i))
    return {
        "id": f"demo-{i:03d}",
        "dataset": "demo",
        "task": "impression",
        "group": "CT",
        "messages": [
            {"role": "system", "content": "impression"},
            {"role": "user", "content": text},
            {"role": "assistant", "content": "impression : normal ."},
        ],
        "reference": "normal .",
        "input_text": text,
        "prepend": "impression :",
    }


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    """(base folder, model folder, test file): a tiny base and a LoRA variant saved as radtune.train.run saves one."""
    from transformers import AutoModelForCausalLM

    root = tmp_path_factory.mktemp("export")
    tok = word_tokenizer(endoftext=True)
    base = save_tiny_base(tok, root / "base")
    model = AutoModelForCausalLM.from_pretrained(base)
    with torch.no_grad():  # peaked logits: greedy choices are not near-ties
        for p in model.parameters():
            p.mul_(8.0)
    model.save_pretrained(base)
    meta = {"variant": "lora", "method": "lora", "base": str(base), "recipe": "config/recipes/lora_ci.yaml",
            "recipe_fields": {"learning_rate": 0.0005, "max_steps": 3}, "lora": {"r": 4, "lora_alpha": 8},
            "data_fingerprint": "feedc0ffee123456", "global_step": 3, "seed": 1234}  # fmt: skip
    folder = save_random_lora(model, tok, root / "models" / "lora", meta, ["q_proj", "v_proj", "o_proj"])
    test = root / "test.jsonl"
    test.write_text("".join(json.dumps(_row(i)) + "\n" for i in range(6)))
    return base, folder, test


def _quality(path):
    rows = [
        ("synthetic", "PERSON", 40, 40, "1.0000", 0),
        ("synthetic", "overall", 200, 199, "0.9950", 1),
        ("synthetic", "precision", 210, 199, "0.9476", ""),
        ("synthetic", "over_redaction", 5000, 40, "0.00800", ""),
        ("heldout", "overall", 180, 171, "0.9500", 9),
    ]
    header = "corpus\tkind\tplanted\tfound\trecall\tsurvived\n"
    path.write_text(header + "".join("\t".join(map(str, r)) + "\n" for r in rows))
    return path


def test_export_loads_with_plain_transformers_and_reproduces_the_eval_predictions(variant, tmp_path):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base, folder, test = variant
    params = {**schema_defaults("eval"), "max_examples": 4, "batch_size": 2, "max_new_tokens": NEW_TOKENS}
    preds = {}
    for name, finetuned in (("base", []), ("lora", ["--finetuned", str(folder)])):
        out = tmp_path / f"{name}.jsonl"
        generate.main(["--model-name", name, "--base", str(base), *finetuned, "--test", str(test), "--n-shards",
                       "1", "--params", json.dumps(params), "--output", str(out)])  # fmt: skip
        preds[name] = {r["id"]: r["prediction"] for r in read_jsonl(out)}
    assert preds["lora"] != preds["base"]  # the adapter matters: a merge that dropped it would show

    eval_table = tmp_path / "eval.tsv"
    eval_table.write_text(
        "model\tkind\ttask\tn\trouge_l\trouge_l_lo\trouge_l_hi\tjudge_score\n"
        "tiny\tbase\timpression\t4\t0.1000\t0.0500\t0.2000\t\n"
        "lora\tvariant\timpression\t4\t0.4200\t0.3000\t0.5000\t\n"
    )
    out = tmp_path / "export" / "lora"
    export.main(
        ["--variant", "lora", "--base", str(base), "--base-name", "tiny", "--model", str(folder), "--test", str(test),
         "--eval-table", str(eval_table), "--deid-quality", str(_quality(tmp_path / "quality.tsv")),
         "--max-shard-size", "100KB", "--check-new-tokens", str(NEW_TOKENS), "--output", str(out)]
    )  # fmt: skip

    # safetensors shards, no adapter, owner-only
    shards = sorted(out.glob("model-*.safetensors"))
    assert len(shards) > 1 and (out / "model.safetensors.index.json").exists()
    assert not (out / "adapter_config.json").exists() and not list(out.glob("*.bin"))
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.iterdir())

    # plain transformers, nothing of radtune: the chat template, the greedy outputs of the eval
    tok = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    assert "quantization_config" not in json.loads((out / "config.json").read_text())
    eos = model.generation_config.eos_token_id
    assert tok.convert_tokens_to_ids("<|im_end|>") in ([eos] if isinstance(eos, int) else eos)
    got = {}
    for row in generate.select_examples(generate.read_test(test), 4):
        prompt = tok.apply_chat_template(row["messages"][:-1], tokenize=False, add_generation_prompt=True)
        ids = tok(prompt, add_special_tokens=False, return_tensors="pt")
        with torch.inference_mode():
            gen = model.generate(**ids, max_new_tokens=NEW_TOKENS, do_sample=False, pad_token_id=tok.pad_token_id)
        text = tok.decode(gen[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
        got[row["id"]] = generate.strip_prepend(text, row["prepend"])
    assert got == preds["lora"]

    # the card: base, data fingerprint, the eval rows, the de-id figures, the check, the limits
    card = (out / "README.md").read_text()
    assert "base model **tiny**" in card and str(base) in card
    assert "feedc0ffee123456" in card
    assert "| lora | variant | impression | 4 | 0.4200 [0.3000, 0.5000] |" in card and "judge_score" not in card
    assert "| tiny | base |" in card
    assert "| synthetic | 0.9950 (199 / 200) | 1 | 0.9476 | 0.00800 |" in card
    assert "**passed**" in card and "4/4" in card
    assert "radiologist" in card and "Not a medical device" in card
    assert "vllm serve results/export/lora --served-model-name radtune-lora" in card
    assert not any(json.loads(line)["input_text"] in card for line in test.read_text().splitlines())  # no report text
    facts = json.loads((out / export.EXPORT_META).read_text())
    assert facts["check"]["passed"] and facts["stop_tokens"][0][0] == "<|im_end|>"
    # a plain variant's card says nothing of neighbours; a retrieval variant's (its test examples show them) says
    # that a server must build the same prompts, and that the train reports are not in the export
    assert facts["retrieval"] is False and "Retrieval-augmented prompts" not in card
    meta = json.loads((folder / "radtune_variant.json").read_text())
    rag = export.model_card({**facts, "retrieval": True}, meta, [], [], [])
    assert "Retrieval-augmented prompts" in rag and "A server must build the same prompts" in rag
    assert rag.replace(RETRIEVAL_LIMITS[0] + "\n", "") == export.model_card(facts, meta, [], [], [])


def test_card_leaves_out_a_missing_or_older_eval_table(variant, tmp_path):
    base, folder, test = variant
    older = tmp_path / "eval.tsv"
    older.write_text("model\tkind\ttask\tn\nlora\tvariant\timpression\t4\n")
    os.utime(older, (1, 1))  # 1970: older than the model
    card = "\n".join(export.eval_section(older, "lora", "tiny", folder, "lora"))
    assert "older than this model" in card and "| lora |" not in card
    card = "\n".join(export.eval_section(tmp_path / "missing.tsv", "lora", "tiny", folder, "lora"))
    assert "Not evaluated" in card and "--forcerun export results/export/lora/" in card


EVAL_COLUMNS = ("model", "kind", "task", "n", "rouge_l", "accuracy", "macro_f1", "p_vs_base", "p_vs_best_baseline",
                "distinct_share", "constant_share", "copied_train_share", "placeholder_rate", "length_ratio", "novel_n",
                "novel_rouge_l", "novel_accuracy")  # fmt: skip
# the strongest baseline of each task is not its first baseline row; lora is behind it on impression, ahead on protocol
EVAL_ROWS = (
    ("smol", "base", "impression", 33, "0.0695", "", "", "", "1.0000", "0.9697", "0", "0", "0.0606", "5.9902", 24,
     "0.0848", ""),
    ("lora", "variant", "impression", 33, "0.4649", "", "", "0.0000", "0.9950", "0.6970", "0", "0.1818", "0",
     "1.8447", 24, "0.3786", ""),
    ("smol", "base", "protocol", 20, "", "0.4000", "0.3000", "", "0.9000", "0.2000", "0", "0", "0", "1.0", 5, "",
     "0.2000"),
    ("lora", "variant", "protocol", 20, "", "0.9000", "0.8500", "0.0010", "0.0020", "0.4000", "0", "0.5000", "0",
     "1.0", 5, "", "0.8000"),
    ("baseline_constant", "baseline", "impression", 33, "0.0420", "", "", "0.8820", "1.0000", "0.0303", "1.0000",
     "1.0000", "0", "0.7403", 24, "0.0263", ""),
    ("baseline_retrieval", "baseline", "impression", 33, "0.5839", "", "", "0.0000", "", "0.4545", "0", "1.0000", "0",
     "1.8579", 24, "0.4929", ""),
    ("baseline_extractive", "baseline", "impression", 33, "0.0215", "", "", "0.9920", "1.0000", "0.1818", "0", "0",
     "0", "1.2775", 24, "0.0112", ""),
    ("baseline_constant", "baseline", "protocol", 20, "", "0.3000", "0.1000", "", "", "0.0500", "1.0000", "1.0000",
     "0", "1.0", 5, "", "0.2000"),
    ("baseline_retrieval", "baseline", "protocol", 20, "", "0.6500", "0.6000", "", "", "0.5000", "0", "1.0000", "0",
     "1.0", 5, "", "0.4000"),
)  # fmt: skip


def _card_rows(card: str, section: str) -> dict[tuple[str, str], list[str]]:
    """(model, task) -> cells of the markdown table that follows `section` in the card."""
    lines = card.split(section, 1)[1].splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|"))
    out = {}
    for line in lines[first + 2 : next(i for i in range(first, len(lines) + 1) if i == len(lines) or not lines[i])]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[(cells[0], cells[2])] = cells
    return out


def test_card_shows_the_strongest_baseline_the_gap_and_the_collapse_diagnostics(variant, tmp_path):
    from radtune.evaluate import table

    base, folder, test = variant
    path = tmp_path / "eval.tsv"
    path.write_text("\t".join(EVAL_COLUMNS) + "\n" + "".join("\t".join(map(str, r)) + "\n" for r in EVAL_ROWS))
    rows = [dict(zip(EVAL_COLUMNS, map(str, r), strict=True)) for r in EVAL_ROWS]
    for task, metric in (("impression", "rouge_l"), ("protocol", "accuracy")):  # the table's own choice
        values = {r["model"]: float(r[metric]) for r in rows if r["kind"] == "baseline" and r["task"] == task}
        assert table.best_baseline(values) == "baseline_retrieval" != next(iter(values))
        assert card_module.strongest_baseline(rows, task)["model"] == "baseline_retrieval"
    card = "\n".join(export.eval_section(path, "lora", "smol", folder, "lora"))
    print(card)
    main = _card_rows(card, "## Evaluation")
    assert set(main) == {(m, t) for m in ("lora", "smol", "baseline_retrieval") for t in ("impression", "protocol")}
    assert main[("baseline_retrieval", "impression")][1:5] == ["baseline", "impression", "33", "0.5839"]
    assert "baseline_constant" not in card and "baseline_extractive" not in card
    assert (
        "- impression: lora ROUGE-L 0.4649 vs baseline_retrieval 0.5839 (-0.1190; paired p = 0.9950): behind the"
        " strongest baseline, not better than it. On the 24 novel examples: 0.3786 vs 0.4929 (-0.1143)." in card
    )
    assert (
        "- protocol: lora accuracy 0.9000 vs baseline_retrieval 0.6500 (+0.2500; paired p = 0.0020): better than the"
        " strongest baseline (p < 0.05). On the 5 novel examples: 0.8000 vs 0.4000 (+0.4000)." in card
    )
    diag = _card_rows(card, "Collapse diagnostics and the novel subset:")
    assert diag[("lora", "impression")][3:] == ["0.6970", "0", "0.1818", "0", "1.8447", "24", "0.3786", "-"]
    assert diag[("baseline_retrieval", "impression")][3:] == [
        "0.4545",
        "0",
        "1.0000",
        "0",
        "1.8579",
        "24",
        "0.4929",
        "-",
    ]
    assert diag[("smol", "protocol")][3:] == ["0.2000", "0", "0", "0", "1.0", "5", "-", "0.2000"]

    # ahead but not significantly, and no baseline at all: said so, never "better"
    rows[3] = {**rows[3], "p_vs_best_baseline": "0.2000"}
    line = card_module.versus_baseline(rows[3], card_module.strongest_baseline(rows, "protocol"))
    assert "(+0.2500; paired p = 0.2000): ahead, but not significantly" in line and "not shown better" in line
    alone = [r for r in rows if r["kind"] != "baseline"]
    path.write_text("\t".join(EVAL_COLUMNS) + "\n" + "".join("\t".join(r.values()) + "\n" for r in alone))
    card = "\n".join(export.eval_section(path, "lora", "smol", folder, "lora"))
    assert "- impression: no baseline was evaluated on this task" in card and "baseline_" not in card


def _privacy_files(tmp_path, status: str = "pass"):
    from radtune.core.formats import write_tsv
    from radtune.evaluate.privacy import AUDIT_COLUMNS, CHECK_COLUMNS

    audit, check = tmp_path / "lora.tsv", tmp_path / "lora.check.tsv"
    rows = [{"kind": "name_mrn", "repeats": r, "canaries": 1, "candidates": 1000, "space": 90000000,
             "space_log2": 26.42, "resolvable_max": 9.967, "exposure_mean": e, "exposure_max": e, "extracted": x,
             "extracted_share": x} for r, e, x in ((0, 0.8, 0), (1, 1.7, 0), (16, 9.967, 1))]  # fmt: skip
    write_tsv(audit, rows, AUDIT_COLUMNS)
    head = {"variant": "lora", "inserted": 2, "controls": 1, "candidates": 1000, "resolvable_max": 9.967,
            "exposure_max": 9.967, "exposure_max_kind": "name_mrn", "exposure_max_repeats": 16,
            "exposure_mean_top_repeats": 9.967, "control_exposure_mean": 0.8, "extracted": "1/2",
            "control_extracted": "0/1", "max_exposure": "", "status": status}  # fmt: skip
    write_tsv(check, [head], CHECK_COLUMNS)
    return audit, check


def test_card_quotes_the_memorisation_audit_and_a_failed_check_is_not_exported(variant, tmp_path):
    base, folder, test = variant
    audit, check = _privacy_files(tmp_path)
    card = "\n".join(export.privacy_section(audit, check))
    assert "## Memorisation audit" in card and "| name_mrn | 16 | 1 | 9.967 | 9.967 | 1/1 |" in card
    assert "| name_mrn | never (control) | 1 | 0.8 | 0.8 | 0/1 |" in card
    assert "9.967 bits (name_mrn, inserted 16 times)" in card and "**pass**" in card
    assert export.privacy_section(None, None) == []  # canaries off: no section
    audit, check = _privacy_files(tmp_path, status="fail")
    out = tmp_path / "export" / "lora"
    with pytest.raises(RadtuneError, match="did not pass its check"):
        export.export("lora", base, folder, test, out, privacy_audit=audit, privacy_check=check)
    assert not out.exists()


def test_a_merge_that_changes_outputs_fails_and_writes_nothing(variant, tmp_path, monkeypatch):
    base, folder, test = variant
    monkeypatch.setattr(export, "merged", lambda model: model.unload())  # drops the adapter instead of merging
    out = tmp_path / "export" / "lora"
    with pytest.raises(RadtuneError, match="export check failed"):
        export.export("lora", base, folder, test, out, check_new_tokens=NEW_TOKENS)
    assert not out.exists() and not list(out.parent.iterdir())


def test_qlora_merges_into_the_full_precision_base(variant, tmp_path, monkeypatch):
    """A QLoRA adapter is merged into the base loaded unquantized (fp32 on a CPU), never into the NF4 one."""
    base, folder, test = variant
    qfolder = tmp_path / "qlora"
    qfolder.mkdir()
    for p in folder.iterdir():
        (qfolder / p.name).write_bytes(p.read_bytes())
    meta = json.loads((folder / "radtune_variant.json").read_text()) | {"method": "qlora", "variant": "qlora"}
    (qfolder / "radtune_variant.json").write_text(json.dumps(meta))
    seen = []
    monkeypatch.setattr(export, "nf4_agreement", lambda *a: seen.append(a) or {"measured": True, "prompts": 4,
                                                                              "identical": 3})  # fmt: skip
    out = tmp_path / "export" / "qlora"
    facts = export.export("qlora", base, qfolder, test, out, base_name="tiny", check_new_tokens=NEW_TOKENS)
    assert facts["dtype"] == "float32" and facts["check"]["passed"] and seen
    assert "quantization_config" not in json.loads((out / "config.json").read_text())
    card = (out / "README.md").read_text()
    assert "in full precision (not into the 4-bit NF4 base" in card and "gave 3/4 identical" in card


def test_end_of_turn_token_is_found_from_the_chat_template():
    tok = word_tokenizer(
        eos="<|endoftext|>", endoftext=True
    )  # eos is not the end-of-turn token: a server must stop at both
    im_end = tok.convert_tokens_to_ids("<|im_end|>")
    assert export.end_of_turn_ids(tok) == [im_end]
    model = SimpleNamespace(generation_config=SimpleNamespace(eos_token_id=tok.eos_token_id))
    assert export.stop_token_ids(model, tok) == [im_end, tok.eos_token_id]
    tok.chat_template = "{% for m in messages %}{{ m['content'] }}\n{% endfor %}"  # nothing ends a turn
    with pytest.raises(RadtuneError, match="end-of-turn"):
        export.end_of_turn_ids(tok)
