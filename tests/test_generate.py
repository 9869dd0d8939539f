"""Tests for radtune.evaluate.generate: example selection, fail-fast checks, batched greedy == one at a time, CLI
output."""

from __future__ import annotations

import json
import os

import pytest
from _config import schema_defaults
from _helpers import WORDS, word_tokenizer

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from radtune.core.common import InputError, RadtuneError, read_jsonl  # noqa: E402
from radtune.evaluate import generate  # noqa: E402


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    d = tmp_path_factory.mktemp("tiny")
    tok = word_tokenizer()
    torch.manual_seed(0)
    cfg = LlamaConfig(
        vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=256, eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id, bos_token_id=None,
    )  # fmt: skip
    model = LlamaForCausalLM(cfg)
    with torch.no_grad():  # larger weights: peaked logits, so greedy choices are not near-ties
        for p in model.parameters():
            p.mul_(8.0)
    model.save_pretrained(d)
    tok.save_pretrained(d)
    return d


def _row(i: int, n_words: int) -> dict:
    text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(n_words))
    return {
        "id": f"demo-{i:03d}",
        "dataset": "demo",
        "task": "impression",
        "group": "CT" if i % 2 else "MR",
        "messages": [
            {"role": "system", "content": "impression"},
            {"role": "user", "content": text},
            {"role": "assistant", "content": "impression : normal ."},
        ],
        "reference": "normal .",
        "input_text": text,
        "prepend": "impression :",
    }


def _write_test(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_select_examples_caps_by_id_then_shards():
    rows = [{"id": f"x{i}"} for i in (5, 3, 9, 1, 7, 2)]
    assert [r["id"] for r in generate.select_examples(rows, 4)] == ["x1", "x2", "x3", "x5"]
    assert [r["id"] for r in generate.select_examples(rows, 4, shard=1, n_shards=2)] == ["x2", "x5"]
    all_shards = [r["id"] for s in range(3) for r in generate.select_examples(rows, None, s, 3)]
    assert sorted(all_shards) == sorted(r["id"] for r in rows)
    with pytest.raises(RadtuneError):
        generate.select_examples(rows, None, shard=2, n_shards=2)


def test_strip_prepend():
    assert generate.strip_prepend("Impression: No acute.", "Impression:") == "No acute."
    assert generate.strip_prepend("No acute.", "Impression:") == "No acute."
    assert generate.strip_prepend(" No acute. ", None) == "No acute."


def test_fail_fast_before_loading(tmp_path, tiny_model_dir):
    test = _write_test(tmp_path / "test.jsonl", [_row(0, 5)])
    out = tmp_path / "o.jsonl"
    params = json.dumps(schema_defaults("eval"))
    common = ["--model-name", "m", "--test", str(test), "--n-shards", "1", "--params", params, "--output", str(out)]
    with pytest.raises(RadtuneError, match="does not exist"):
        generate.main(["--base", str(tmp_path / "nope"), *common])
    with pytest.raises(RadtuneError, match="fine-tuned"):
        generate.main(["--base", str(tiny_model_dir), "--finetuned", str(tmp_path / "nope"), *common])
    bad = ["--model-name", "m", "--base", str(tiny_model_dir), "--n-shards", "1", "--params", params]
    bad += ["--output", str(out)]
    with pytest.raises(InputError, match="test file does not exist"):
        generate.main([*bad, "--test", str(tmp_path / "missing.jsonl")])
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"id": "a", "task": "impression", "messages": []}) + "\n")
    with pytest.raises(InputError, match="line 1"):
        generate.main([*bad, "--test", str(broken)])
    assert not out.exists()


def test_batched_equals_one_at_a_time(tiny_model_dir):
    model, tok = generate.load_model(tiny_model_dir, None)
    assert tok.padding_side == "left"
    rows = [_row(i, n) for i, n in enumerate([3, 11, 6, 2, 9, 14, 5])]  # different lengths: real padding
    prompts = generate.render_prompts(rows, tok)
    assert prompts[0].endswith("<|im_start|>assistant\n") and "impression : normal" not in prompts[0]
    batched = generate.generate_hf(model, tok, prompts, max_new_tokens=8, batch_size=4)
    single = [generate.generate_hf(model, tok, [p], max_new_tokens=8, batch_size=1)[0] for p in prompts]
    assert batched == single
    assert any(batched)  # the tiny model does say something
    assert len(set(batched)) > 1  # and the outputs depend on the prompt (so order restoring is tested)


def test_cli_writes_predictions_and_merges_adapter(tmp_path, tiny_model_dir):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    rows = [_row(i, 3 + i) for i in range(5)]
    test = _write_test(tmp_path / "test.jsonl", rows)
    params = json.dumps({**schema_defaults("eval"), "max_examples": 4, "batch_size": 2, "max_new_tokens": 4})
    out = tmp_path / "base.jsonl"
    generate.main(
        [
            "--model-name",
            "smol",
            "--base",
            str(tiny_model_dir),
            "--test",
            str(test),
            "--n-shards",
            "1",
            "--params",
            params,
            "--output",
            str(out),
        ]
    )
    got = read_jsonl(out)
    assert [r["id"] for r in got] == [f"demo-{i:03d}" for i in range(4)]
    assert set(got[0]) == {"id", "model", "task", "group", "reference", "prediction", "input_text"}
    assert got[1]["group"] == "CT" and got[0]["model"] == "smol" and got[0]["reference"] == "normal ."

    # A LoRA adapter (B initialised to zero => merged model == base): same predictions as the base.
    adapter = tmp_path / "lora"
    peft_model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(tiny_model_dir), LoraConfig(r=2, target_modules=["q_proj", "v_proj"])
    )
    peft_model.save_pretrained(adapter)
    out2 = tmp_path / "lora.jsonl"
    generate.main(
        ["--model-name", "lora", "--base", str(tiny_model_dir), "--finetuned", str(adapter), "--test", str(test),
         "--shard", "1", "--n-shards", "2", "--params", params, "--output", str(out2)]
    )  # fmt: skip
    got2 = read_jsonl(out2)
    assert [r["id"] for r in got2] == ["demo-001", "demo-003"]
    assert [r["prediction"] for r in got2] == [got[1]["prediction"], got[3]["prediction"]]


def test_vllm_backend_fails_clearly_without_vllm_or_cuda(tmp_path, tiny_model_dir):
    pytest.importorskip("torch")
    try:
        import vllm  # noqa: F401

        pytest.skip("vllm is installed here")
    except ImportError:
        pass
    test = _write_test(tmp_path / "test.jsonl", [_row(0, 4)])
    with pytest.raises(RadtuneError, match="vllm"):
        generate.main(
            ["--model-name", "m", "--base", str(tiny_model_dir), "--test", str(test), "--n-shards", "1",
             "--params", json.dumps({**schema_defaults("eval"), "backend": "vllm"}),
             "--output", str(tmp_path / "o.jsonl")]
        )  # fmt: skip


@pytest.mark.slow
def test_batched_equals_one_at_a_time_with_smollm2_tokenizer(tiny_base):
    """The same check with SmolLM2's real tokenizer and chat template (BPE, default system prompt)."""
    import torch

    model, tok = generate.load_model(tiny_base, None)
    with torch.no_grad():  # peaked logits: greedy choices are not near-ties
        for p in model.parameters():
            p.mul_(8.0)
    rows = [_row(i, n) for i, n in enumerate([2, 13, 5, 9, 1, 7])]
    prompts = generate.render_prompts(rows, tok)
    assert all(p.endswith("<|im_start|>assistant\n") for p in prompts)
    batched = generate.generate_hf(model, tok, prompts, max_new_tokens=6, batch_size=3)
    single = [generate.generate_hf(model, tok, [p], max_new_tokens=6, batch_size=1)[0] for p in prompts]
    assert batched == single and len(set(batched)) > 1
