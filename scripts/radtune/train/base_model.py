"""Base model conversion: a GGUF (or local) model becomes a plain safetensors model directory + tokenizer."""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path
from typing import Any

from radtune.core.common import RadtuneError, atomic_path, json_arg, resolve_local_model, run_main

log = logging.getLogger("radtune.train.base_model")

# A GGUF tokenizer arrives with model_max_length = 1e30, which silently disables truncation downstream.
# When the config gives no length we cap it at the model's own context length.
DEFAULT_MAX_LENGTH = 2048


def parse_spec(text: str) -> dict[str, Any]:
    """Parse the --spec JSON ({package|path, gguf_file?}) with a clear error."""
    spec = json_arg(text, "--spec")
    if not isinstance(spec, dict) or not (spec.get("path") or spec.get("package")):
        raise RadtuneError("--spec must be a JSON object with 'path' or 'package' (and optionally 'gguf_file')")
    return spec


def load_model_and_tokenizer(spec: dict[str, Any]) -> tuple[Any, Any]:
    """Load (model, tokenizer) from a local folder or GGUF file; never downloads."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = resolve_local_model(spec)
    kwargs: dict[str, Any] = {"local_files_only": True}
    gguf = spec.get("gguf_file")
    if gguf:
        if not (folder / gguf).exists():
            raise RadtuneError(f"GGUF file {gguf!r} not found in {folder}")
        kwargs["gguf_file"] = gguf
    log.info("loading model from %s%s", folder, f" (gguf {gguf})" if gguf else "")
    tokenizer = AutoTokenizer.from_pretrained(folder, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype="float32", **kwargs)
    return model, tokenizer


def make_serializable(model: Any) -> None:
    """Drop the GGUF quantizer marker: the weights are already dequantized fp32 tensors."""
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    for attr in ("is_quantized", "quantization_method"):
        if attr in model.__dict__:
            try:
                delattr(model, attr)
            except AttributeError:
                pass


def fix_tokenizer(tokenizer: Any, model: Any) -> None:
    """Give the tokenizer a finite model_max_length and a pad token (eos when absent)."""
    ctx = getattr(model.config, "max_position_embeddings", None) or DEFAULT_MAX_LENGTH
    if not tokenizer.model_max_length or tokenizer.model_max_length > 10**7:
        tokenizer.model_max_length = int(ctx)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    if not getattr(tokenizer, "chat_template", None):
        raise RadtuneError("the base model's tokenizer has no chat template; instruction tuning needs one")


def convert(spec: dict[str, Any], output: str | os.PathLike) -> Path:
    """Convert the model named by spec into a plain directory at output (atomic)."""
    model, tokenizer = load_model_and_tokenizer(spec)
    make_serializable(model)
    fix_tokenizer(tokenizer, model)
    with atomic_path(output, directory=True) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / "radtune_base.json").write_text(json.dumps({"spec": spec}, sort_keys=True, indent=1) + "\n")
    n = sum(p.numel() for p in model.parameters())
    log.info("wrote %s (%d parameters, model_max_length %d)", output, n, tokenizer.model_max_length)
    return Path(output)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--spec", required=True, help="JSON base_models entry: {package|path, gguf_file?}")
    ap.add_argument("--output", required=True, help="model directory to write")
    args = ap.parse_args(argv)
    convert(parse_spec(args.spec), args.output)


if __name__ == "__main__":
    run_main(main)
