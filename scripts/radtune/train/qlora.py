"""QLoRA's base-model quantization, shared by training and evaluation (light to import)."""

from __future__ import annotations

from typing import Any


def qlora_quantization() -> Any:
    """4-bit NF4, double quantization, bf16 compute (fixed, as in the QLoRA paper). radtune.train.run loads the
    base this way to train the adapter, radtune.evaluate.generate to evaluate it on the same weights."""
    import torch
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
