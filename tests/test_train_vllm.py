"""vLLM generation of a fine-tuned adapter without a merged copy (enable_lora + LoRARequest), checked with a
stand-in vllm module: vLLM itself needs a CUDA GPU and pins its own torch build, so it is not installed here."""

from __future__ import annotations

import json
import sys
import types

from radtune.evaluate import generate as G


def _adapter(folder, method, r):
    folder.mkdir()
    (folder / "adapter_config.json").write_text(json.dumps({"r": r, "peft_type": "LORA"}))
    (folder / "radtune_variant.json").write_text(json.dumps({"method": method}))
    return folder


def _stand_in_vllm(monkeypatch, llm_class, lora_request=None) -> None:
    """Install a stand-in `vllm` module (LLM = llm_class, SamplingParams returns its keywords) and skip the
    CUDA check; with `lora_request`, also vllm.lora.request.LoRARequest."""
    vllm = types.ModuleType("vllm")
    vllm.LLM, vllm.SamplingParams = llm_class, lambda **kw: kw
    monkeypatch.setitem(sys.modules, "vllm", vllm)
    if lora_request is not None:
        lora_mod, request_mod = types.ModuleType("vllm.lora"), types.ModuleType("vllm.lora.request")
        request_mod.LoRARequest = lora_request
        monkeypatch.setitem(sys.modules, "vllm.lora", lora_mod)
        monkeypatch.setitem(sys.modules, "vllm.lora.request", request_mod)
    monkeypatch.setattr(G, "check_vllm", lambda: None)


def test_lora_and_qlora_adapters_are_served_on_the_base(tmp_path, monkeypatch):
    calls = {}

    class LLM:
        def __init__(self, **kw):
            calls["llm"] = kw

        def generate(self, prompts, params, **kw):
            calls["generate"] = kw
            out = types.SimpleNamespace(text=" impression ")
            return [types.SimpleNamespace(outputs=[out]) for _ in prompts]

    class LoRARequest:
        def __init__(self, **kw):
            self.kw = kw

    _stand_in_vllm(monkeypatch, LLM, LoRARequest)

    lora = _adapter(tmp_path / "lora", "lora", 16)
    assert G.generate_vllm(tmp_path / "base", lora, ["p1", "p2"], 8) == ["impression", "impression"]
    assert calls["llm"] == {"model": str(tmp_path / "base"), "dtype": "bfloat16", "seed": 0, "enable_lora": True,
                            "max_loras": 1, "max_lora_rank": 16}  # fmt: skip
    assert calls["generate"]["lora_request"].kw["lora_path"] == str(lora.resolve())

    qlora = _adapter(tmp_path / "qlora", "qlora", 64)
    model, options, request = G.vllm_setup(tmp_path / "base", qlora)
    assert model == str(tmp_path / "base") and options["quantization"] == "bitsandbytes"
    assert options["max_lora_rank"] == 64 and request["lora_name"] == "qlora"
    assert G.vllm_setup(tmp_path / "base", _adapter(tmp_path / "odd", "lora", 12))[1]["max_lora_rank"] == 16
    # a full fine-tune (or a base model) is loaded as is
    assert G.vllm_setup(tmp_path / "base", None) == (str(tmp_path / "base"), {}, None)


def test_scores_ask_vllm_for_the_chosen_tokens_log_probability_only(tmp_path, monkeypatch):
    """Batch predictions' confidence on the vllm backend: logprobs=0 (the sampled token's log-probability, no
    alternatives) and the mean per generated token, as generate_hf gives it; None where vLLM reports none."""
    seen = {}
    outputs = [
        types.SimpleNamespace(text=" CT Abdomen W Contrast ", token_ids=[5, 6, 7, 2], cumulative_logprob=-2.0),
        types.SimpleNamespace(text="", token_ids=[], cumulative_logprob=0.0),
        types.SimpleNamespace(text="x", token_ids=[9], cumulative_logprob=None),
    ]

    class LLM:
        def __init__(self, **kw):
            pass

        def generate(self, prompts, params, **kw):
            seen["params"] = params
            return [types.SimpleNamespace(outputs=[o]) for o in outputs[: len(prompts)]]

    _stand_in_vllm(monkeypatch, LLM)

    texts, scores = G.generate_vllm(tmp_path / "base", None, ["a", "b", "c"], 8, with_scores=True)
    assert seen["params"] == {"temperature": 0.0, "max_tokens": 8, "logprobs": 0}
    assert texts == ["CT Abdomen W Contrast", "", "x"] and scores == [-0.5, None, None]
    assert G.generate_vllm(tmp_path / "base", None, ["a"], 8) == ["CT Abdomen W Contrast"]
    assert seen["params"]["logprobs"] is None  # evaluation asks for no log-probabilities
