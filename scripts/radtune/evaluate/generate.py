"""Greedy, batched generation on the test split for a base model or a fine-tuned variant: predictions JSONL."""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from radtune.core.common import InputError, RadtuneError, iter_jsonl, json_arg, run_main
from radtune.core.formats import prediction_row, write_predictions

log = logging.getLogger("radtune.evaluate.generate")


def read_test(path: str | Path) -> list[dict[str, Any]]:
    """Test rows with the fields evaluation needs (file/line/column on error)."""
    rows = []
    for line, row in iter_jsonl(path, ("id", "task", "reference"), what="test file"):
        msgs = row.get("messages")
        if not isinstance(msgs, list) or len(msgs) < 2 or msgs[-1].get("role") != "assistant":
            raise InputError(path, "messages must end with the assistant answer", line=line, column="messages")
        rows.append(row)
    return rows


def select_examples(
    rows: list[dict[str, Any]], max_examples: int | None, shard: int = 0, n_shards: int = 1
) -> list[dict[str, Any]]:
    """The evaluated test examples: sorted by id, the first `max_examples`, then every n-th for this shard.

    Baselines use the same function, so every model is scored on exactly the same examples.
    """
    if not 0 <= shard < n_shards:
        raise RadtuneError(f"shard {shard} is out of range for {n_shards} shards")
    rows = sorted(rows, key=lambda r: r["id"])
    if max_examples is not None:
        rows = rows[:max_examples]
    return rows[shard::n_shards]


def strip_prepend(prediction: str, prepend: str | None) -> str:
    """Drop the answer's prepend phrase (e.g. "Impression:") so predictions compare with bare references."""
    p = prediction.strip()
    if prepend and p.lower().startswith(prepend.lower()):
        p = p[len(prepend) :].strip()
    return p


def _device_dtype():
    import torch

    if torch.cuda.is_available():
        return "cuda", torch.bfloat16
    return "cpu", torch.float32  # bf16 on CPU is ~12x slower than fp32 here


def tokenizer_source(base: str | Path, finetuned: str | Path | None) -> Path:
    """The fine-tuned folder when it carries a tokenizer, else the base folder."""
    src = Path(finetuned) if finetuned else Path(base)
    return src if any((src / n).exists() for n in ("tokenizer.json", "tokenizer_config.json")) else Path(base)


def _trained_method(folder: Path) -> str | None:
    """The training method radtune.train.run recorded in a model folder (radtune_variant.json), if any."""
    meta = folder / "radtune_variant.json"
    return json.loads(meta.read_text()).get("method") if meta.exists() else None


def load_model(base: str | Path, finetuned: str | Path | None):
    """(model, tokenizer) for a base folder or a fine-tuned one (LoRA adapter merged into `base`, or full model)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device, dtype = _device_dtype()
    src = Path(finetuned) if finetuned else Path(base)
    if finetuned and (src / "adapter_config.json").exists():
        from peft import PeftModel

        if _trained_method(src) == "qlora":
            # Evaluate the model that was trained: the adapter on top of the same NF4 (double-quant, bf16
            # compute) base, not merged (merging into a dequantized copy changes the weights it was trained on).
            from radtune.train.qlora import qlora_quantization

            device_map = None if device == "cuda" else {"": "cpu"}
            model = AutoModelForCausalLM.from_pretrained(
                str(base), dtype=dtype, quantization_config=qlora_quantization(), device_map=device_map
            )
            model = PeftModel.from_pretrained(model, str(src))
            log.info("QLoRA: the adapter runs on the 4-bit NF4 base (not merged)")
        else:
            model = AutoModelForCausalLM.from_pretrained(str(base), dtype=dtype)
            model = PeftModel.from_pretrained(model, str(src)).merge_and_unload()
            log.info("merged the adapter into the base model")
    else:
        model = AutoModelForCausalLM.from_pretrained(str(src), dtype=dtype)
    tok = AutoTokenizer.from_pretrained(str(tokenizer_source(base, finetuned)))
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if not getattr(model, "is_loaded_in_4bit", False):  # a 4-bit model was placed by device_map
        model.to(device)
    model.eval()
    model.generation_config.pad_token_id = tok.pad_token_id
    return model, tok


def render_prompts(rows: list[dict[str, Any]], tok) -> list[str]:
    """Evaluation prompts: messages[:-1] through the chat template, with the generation prompt."""
    return [tok.apply_chat_template(r["messages"][:-1], tokenize=False, add_generation_prompt=True) for r in rows]


def generate_hf(
    model, tok, prompts: list[str], max_new_tokens: int, batch_size: int, *, with_scores: bool = False
) -> list[str] | tuple[list[str], list[float | None]]:
    """Greedy decoding, left-padded batches of similar length (KV cache on); outputs in input order.

    With `with_scores`, also each output's mean log-probability per generated token (up to and including the
    end-of-turn token; None for an empty output): exp() of it is radtune.serve.predict's confidence."""
    import torch

    ids = [tok(p, add_special_tokens=False)["input_ids"] for p in prompts]  # the template has its own specials
    order = sorted(range(len(ids)), key=lambda i: (-len(ids[i]), i))  # longest first: any OOM shows at once
    out: list[str] = [""] * len(ids)
    scores: list[float | None] = [None] * len(ids)
    eos = model.generation_config.eos_token_id
    eos_ids = set(eos if isinstance(eos, list) else [eos]) | {tok.eos_token_id}
    device = next(model.parameters()).device
    t0, done = time.perf_counter(), 0
    for start in range(0, len(order), batch_size):
        batch = order[start : start + batch_size]
        enc = tok.pad({"input_ids": [ids[i] for i in batch]}, padding=True, return_tensors="pt").to(device)
        with torch.inference_mode():
            gen = model.generate(
                **enc,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                num_beams=1,
                use_cache=True,
                pad_token_id=tok.pad_token_id,
                output_scores=with_scores,
                return_dict_in_generate=True,
            )
            logprobs = (
                model.compute_transition_scores(gen.sequences, gen.scores, normalize_logits=True).float().cpu()
                if with_scores
                else None
            )
        new = gen.sequences[:, enc["input_ids"].shape[1] :]
        for row, (i, seq) in enumerate(zip(batch, new, strict=True)):
            out[i] = tok.decode(seq, skip_special_tokens=True).strip()
            if logprobs is not None:
                tokens = seq.tolist()
                # the tokens after the first end-of-turn are padding of a finished row: not the model's choice
                n = next((k + 1 for k, t in enumerate(tokens) if t in eos_ids), len(tokens))
                scores[i] = float(logprobs[row, :n].mean()) if n else None
        done += len(batch)
        dt = time.perf_counter() - t0
        log.info("generated %d/%d (%.2f examples/s)", done, len(order), done / dt if dt else 0.0)
    return (out, scores) if with_scores else out


def check_vllm() -> None:
    """The vllm backend needs the vllm package and a CUDA device: a clear error at once otherwise."""
    try:
        import vllm  # noqa: F401
    except ImportError:
        raise RadtuneError("eval.backend is 'vllm' but vllm is not installed; install it or use backend: hf") from None
    import torch

    if not torch.cuda.is_available():
        raise RadtuneError("eval.backend is 'vllm' but no CUDA device is visible; use backend: hf on CPU")


VLLM_LORA_RANKS = (8, 16, 32, 64, 128, 256, 320, 512)  # max_lora_rank values vLLM accepts


def vllm_setup(base: str | Path, finetuned: str | Path | None) -> tuple[str, dict[str, Any], dict[str, Any] | None]:
    """(model folder, LLM(...) options, LoRARequest arguments or None). An adapter is served by vLLM on top of
    its base (enable_lora + LoRARequest), without a merged copy; a QLoRA adapter on the base quantized by
    bitsandbytes in 4 bit, as it was trained."""
    path = Path(finetuned) if finetuned else Path(base)
    if not (finetuned and (path / "adapter_config.json").exists()):
        return str(path), {}, None
    rank = int(json.loads((path / "adapter_config.json").read_text()).get("r", 8))
    options: dict[str, Any] = {
        "enable_lora": True,
        "max_loras": 1,
        "max_lora_rank": next((r for r in VLLM_LORA_RANKS if r >= rank), rank),
    }
    if _trained_method(path) == "qlora":
        options["quantization"] = "bitsandbytes"
    return str(base), options, {"lora_name": path.name, "lora_int_id": 1, "lora_path": str(path.resolve())}


def generate_vllm(
    base: str | Path,
    finetuned: str | Path | None,
    prompts: list[str],
    max_new_tokens: int,
    *,
    with_scores: bool = False,
) -> list[str] | tuple[list[str], list[float | None]]:
    """Greedy decoding with vLLM (GPU only); an adapter is applied per request (LoRARequest), not merged. With
    `with_scores`, also the mean log-probability per generated token (as generate_hf)."""
    check_vllm()
    from vllm import LLM, SamplingParams

    model, options, lora = vllm_setup(base, finetuned)
    llm = LLM(model=model, dtype="bfloat16", seed=0, **options)
    kwargs: dict[str, Any] = {}
    if lora:
        from vllm.lora.request import LoRARequest

        kwargs["lora_request"] = LoRARequest(**lora)
    # logprobs=0: the chosen token's log-probability only (cumulative_logprob), no alternatives
    sampling = SamplingParams(temperature=0.0, max_tokens=max_new_tokens, logprobs=0 if with_scores else None)
    res = llm.generate(prompts, sampling, **kwargs)
    texts = [r.outputs[0].text.strip() for r in res]
    if not with_scores:
        return texts
    scores = [
        (o.cumulative_logprob / len(o.token_ids)) if o.token_ids and o.cumulative_logprob is not None else None
        for o in (r.outputs[0] for r in res)
    ]
    return texts, scores


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model-name", required=True)
    ap.add_argument("--base", required=True, help="base model folder")
    ap.add_argument("--finetuned", help="results/models/{variant}: adapter or full model")
    ap.add_argument("--test", required=True)
    ap.add_argument("--shard", type=int, default=0)
    ap.add_argument("--n-shards", type=int, required=True, help="eval.shards")
    ap.add_argument("--params", required=True, help="config['eval'] as JSON")
    ap.add_argument("--output", required=True)
    args = ap.parse_args(argv)
    params = json_arg(args.params, "--params")
    # Fail fast, before any model is loaded.
    if not Path(args.base).is_dir():
        raise RadtuneError(f"base model folder {args.base} does not exist")
    if args.finetuned and not Path(args.finetuned).is_dir():
        raise RadtuneError(f"fine-tuned model folder {args.finetuned} does not exist")
    if params["backend"] == "vllm":
        check_vllm()
    # max_examples: a null (no cap) is left out of a job's config (radtune.core.config_keys.job_config)
    rows = select_examples(read_test(args.test), params["max_examples"], args.shard, args.n_shards)
    log.info("shard %d/%d: %d test examples", args.shard, args.n_shards, len(rows))
    max_new = int(params["max_new_tokens"])
    t0 = time.perf_counter()
    if params["backend"] == "vllm":
        from transformers import AutoTokenizer

        tok = AutoTokenizer.from_pretrained(str(tokenizer_source(args.base, args.finetuned)))
        preds = generate_vllm(args.base, args.finetuned, render_prompts(rows, tok), max_new)
    else:
        model, tok = load_model(args.base, args.finetuned)
        log.info("model loaded in %.1f s", time.perf_counter() - t0)
        t0 = time.perf_counter()
        preds = generate_hf(model, tok, render_prompts(rows, tok), max_new, int(params["batch_size"]))
    dt = time.perf_counter() - t0
    stripped = 0
    out = []
    for row, pred in zip(rows, preds, strict=True):
        clean = strip_prepend(pred, row.get("prepend"))
        stripped += clean != pred.strip()
        out.append(prediction_row(row, args.model_name, clean))
    write_predictions(args.output, out)
    log.info(
        "generated %d predictions in %.1f s (%.2f examples/s); prepend phrase stripped from %d",
        len(out),
        dt,
        len(out) / dt if dt else 0.0,
        stripped,
    )


if __name__ == "__main__":
    run_main(main)
