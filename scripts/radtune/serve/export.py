"""Servable export of one variant: merged safetensors weights, tokenizer, generation config and model card, checked."""

from __future__ import annotations

import argparse
import datetime
import gc
import json
import logging
import os
from pathlib import Path
from typing import Any

from radtune.core.common import RadtuneError, atomic_path, run_main
from radtune.core.formats import read_tsv
from radtune.evaluate.generate import (
    _device_dtype,
    generate_hf,
    read_test,
    render_prompts,
    select_examples,
    tokenizer_source,
)
from radtune.serve.card import (  # the card's names, re-exported for export's users (tests, tests/test_facts.py)
    CARD_METRICS,  # noqa: F401
    deid_section,
    eval_section,
    model_card,
    privacy_section,
)

log = logging.getLogger("radtune.serve.export")

EXPORT_META = "radtune_export.json"  # what was exported, from what, and the check's result (machine-readable)
DEFAULT_SHARD_SIZE = "5GB"  # safetensors shard size (transformers' own default is one 50GB file)
CHECK_PROMPTS = 4  # first test examples by id (the first ones radtune.evaluate.generate evaluates)
CHECK_NEW_TOKENS = 32
SENTINEL = "RADTUNE_END_OF_TURN_PROBE"


# ---- what is exported -------------------------------------------------------------------------------
def variant_meta(model_dir: Path) -> dict[str, Any]:
    """radtune_variant.json of a trained variant (radtune.train.run writes it last, so its absence means no model)."""
    meta = model_dir / "radtune_variant.json"
    if not meta.exists():
        raise RadtuneError(f"{model_dir} has no radtune_variant.json: not a model folder radtune.train.run wrote")
    return json.loads(meta.read_text())


def end_of_turn_ids(tok: Any) -> list[int]:
    """The token(s) the chat template closes an assistant turn with (ChatML: <|im_end|>), found by rendering a
    probe answer: a server stops there, not at the pretraining eos only."""
    msgs = [{"role": "user", "content": "probe"}, {"role": "assistant", "content": SENTINEL}]
    try:
        text = tok.apply_chat_template(msgs, tokenize=False)
    except Exception as exc:  # a template that cannot render a plain exchange cannot be served either
        raise RadtuneError(f"the tokenizer's chat template cannot render a user/assistant exchange ({exc})") from None
    if SENTINEL not in text:
        raise RadtuneError("the tokenizer's chat template does not render the assistant's message")
    ids = tok(text.split(SENTINEL, 1)[1], add_special_tokens=False)["input_ids"]
    special = set(tok.all_special_ids) | set(tok.get_added_vocab().values())  # ChatML's <|im_end|> is an added token
    if not ids or ids[0] not in special:
        raise RadtuneError(
            "cannot find the chat template's end-of-turn token (no special token follows the assistant's message)"
        )
    return [ids[0]]


def stop_token_ids(model: Any, tok: Any) -> list[int]:
    """generation_config.eos_token_id of the export: the end-of-turn token first, then the model's own eos."""
    own = model.generation_config.eos_token_id
    own = [] if own is None else [own] if isinstance(own, int) else list(own)
    return list(
        dict.fromkeys([*end_of_turn_ids(tok), *own, *([tok.eos_token_id] if tok.eos_token_id is not None else [])])
    )


def _check_tokenizer(folder: Path) -> Any:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    if not getattr(tok, "chat_template", None):
        raise RadtuneError(f"the tokenizer in {folder} has no chat template")
    return tok


def load_adapter_model(base: Path, model_dir: Path, method: str, device: str, dtype: Any) -> Any:
    """The variant as trained, unmerged: its adapter on the base loaded in full precision (bf16/fp32 - for QLoRA
    too, never the 4-bit NF4 base), or the full fine-tune's own weights."""
    from transformers import AutoModelForCausalLM

    if method in ("lora", "qlora"):
        if not (model_dir / "adapter_config.json").exists():
            raise RadtuneError(f"{model_dir}: method {method} but no adapter_config.json")
        from peft import PeftModel

        model = AutoModelForCausalLM.from_pretrained(str(base), dtype=dtype)
        model = PeftModel.from_pretrained(model, str(model_dir))
    elif method == "full":
        model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=dtype)
    else:
        raise RadtuneError(f"{model_dir}: unknown training method {method!r}")
    return model.to(device).eval()


def merged(model: Any) -> Any:
    """The plain transformers model to save: the adapter merged into the base weights (checked for NaNs)."""
    return model.merge_and_unload(safe_merge=True) if hasattr(model, "merge_and_unload") else model


def greedy(model: Any, tok: Any, prompts: list[str], new_tokens: int) -> list[str]:
    """evaluate.generate's greedy decoding, one prompt at a time (no padding), stopping where the export stops."""
    return generate_hf(model, tok, prompts, new_tokens, batch_size=1)


def compare(reference: list[str], exported: list[str]) -> dict[str, Any]:
    same = [a == b for a, b in zip(reference, exported, strict=True)]
    return {"prompts": len(same), "identical": sum(same), "passed": all(same) and bool(same)}


def nf4_agreement(base: Path, model_dir: Path, prompts: list[str], new_tokens: int, exported: list[str]) -> dict:
    """QLoRA: how many check prompts the evaluated model (adapter on the NF4 base, radtune.evaluate.generate) answers as
    the export does; informational (the export is merged into the full-precision base, not the NF4 one)."""
    from radtune.evaluate.generate import load_model

    try:
        model, tok = load_model(base, model_dir)
        outputs = greedy(model, tok, prompts, new_tokens)
    except Exception as exc:  # bitsandbytes missing or unsupported here: say so in the card, do not fail
        return {"measured": False, "reason": f"{type(exc).__name__}: {exc}"[:300]}
    del model
    gc.collect()
    same = sum(a == b for a, b in zip(outputs, exported, strict=True))
    return {"measured": True, "prompts": len(prompts), "identical": same}


# ---- the export -------------------------------------------------------------------------------------
def base_facts(base: Path, base_name: str | None) -> dict[str, Any]:
    """The base model as named in the card: its config name, folder, and source (GGUF spec) when converted."""
    facts: dict[str, Any] = {"name": base_name or base.name, "folder": str(base)}
    spec_file = base / "radtune_base.json"
    if spec_file.exists():
        facts["source"] = json.loads(spec_file.read_text()).get("spec")
    return facts


def export(
    variant: str,
    base: str | Path,
    model_dir: str | Path,
    test: str | Path,
    output: str | Path,
    *,
    base_name: str | None = None,
    eval_table: str | Path | None = None,
    deid_quality: str | Path | None = None,
    privacy_audit: str | Path | None = None,
    privacy_check: str | Path | None = None,
    max_shard_size: str = DEFAULT_SHARD_SIZE,
    check_prompts: int = CHECK_PROMPTS,
    check_new_tokens: int = CHECK_NEW_TOKENS,
) -> dict[str, Any]:
    """Merge, save, reload with plain transformers and check; write the folder atomically only if the check
    passes. Returns radtune_export.json's content."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers import AutoModelForCausalLM

    base, model_dir = Path(base), Path(model_dir)
    for what, folder in (("base model", base), ("model", model_dir)):
        if not folder.is_dir():
            raise RadtuneError(f"{what} folder {folder} does not exist")
    meta = variant_meta(model_dir)
    method = meta.get("method", "lora")
    if privacy_check is not None and Path(privacy_check).exists():
        (head,) = read_tsv(Path(privacy_check))
        if (
            head.get("status") != "pass"
        ):  # radtune.evaluate.privacy check writes only passing rows: a stale or edited file
            raise RadtuneError(f"{privacy_check}: the memorisation audit did not pass its check; not exported")
    test_rows = read_test(test)
    rows = select_examples(test_rows, check_prompts)
    if not rows:
        raise RadtuneError(f"{test} holds no test examples to check the export with")
    device, dtype = _device_dtype()  # bf16 on a GPU, fp32 on a CPU
    log.info("%s (%s): loading on %s in %s", variant, method, device, str(dtype).removeprefix("torch."))

    tok = _check_tokenizer(tokenizer_source(base, model_dir))
    model = load_adapter_model(base, model_dir, method, device, dtype)
    stops = stop_token_ids(model, tok)
    model.generation_config.eos_token_id = stops
    model.generation_config.pad_token_id = tok.pad_token_id
    prompts = render_prompts(rows, tok)
    reference = greedy(model, tok, prompts, check_new_tokens)
    model = merged(model)

    with atomic_path(output, directory=True) as tmp:
        model.save_pretrained(tmp, max_shard_size=max_shard_size)
        tok.save_pretrained(tmp)
        del model
        gc.collect()
        # the check: the folder as a server sees it, loaded with plain transformers
        exported = AutoModelForCausalLM.from_pretrained(str(tmp), dtype=dtype).to(device).eval()
        out_tok = _check_tokenizer(tmp)
        if exported.generation_config.eos_token_id != stops:
            raise RadtuneError(f"the saved generation_config stops at {exported.generation_config.eos_token_id}")
        outputs = greedy(exported, out_tok, render_prompts(rows, out_tok), check_new_tokens)
        del exported
        gc.collect()
        check = {
            **compare(reference, outputs),
            "new_tokens": check_new_tokens,
            "reference": "adapter model (adapter on the base, not merged)"
            if method != "full"
            else "fine-tuned model folder",
            "test_ids": [r["id"] for r in rows],  # keyed pseudonyms, no report text
        }
        facts: dict[str, Any] = {
            "variant": variant,
            "method": method,
            "base": base_facts(base, base_name),
            "model": str(model_dir),
            "dtype": str(dtype).removeprefix("torch."),
            "shards": len(list(tmp.glob("*.safetensors"))),
            "stop_tokens": [[tok.convert_ids_to_tokens(i), i] for i in stops],
            "data_fingerprint": meta.get("data_fingerprint"),
            "exported_at": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "check": check,
            # a retrieval variant's examples show their nearest train reports (radtune.data.retrieval)
            "retrieval": any("neighbours" in r for r in test_rows),
        }
        if method == "qlora":
            facts["nf4_agreement"] = nf4_agreement(base, model_dir, prompts, check_new_tokens, outputs)
        if not check["passed"]:
            first = next(i for i, (a, b) in enumerate(zip(reference, outputs, strict=True)) if a != b)
            raise RadtuneError(
                f"export check failed: the merged model's greedy output differs from the adapter model's on"
                f" {check['prompts'] - check['identical']} of {check['prompts']} test prompts (first: test id"
                f" {rows[first]['id']}); nothing was written"
            )
        eval_lines = eval_section(
            Path(eval_table) if eval_table else None, variant, base_name, model_dir, method
        )  # fmt: skip
        deid_lines = deid_section(Path(deid_quality) if deid_quality else None)
        privacy_lines = privacy_section(
            Path(privacy_audit) if privacy_audit else None, Path(privacy_check) if privacy_check else None
        )
        card = model_card(facts, meta, eval_lines, deid_lines, privacy_lines)
        (tmp / "README.md").write_text(card, encoding="utf-8")
        (tmp / EXPORT_META).write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")
    log.info("exported %s to %s: check passed (%d/%d identical)", variant, output, check["identical"], check["prompts"])
    return facts


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variant", required=True)
    ap.add_argument("--base", required=True, help="the variant's base model folder")
    ap.add_argument("--base-name", help="the base's name in the config (and in eval.tsv)")
    ap.add_argument("--model", required=True, help="results/models/{variant}")
    ap.add_argument("--test", required=True, help="results/data/test.jsonl: the check's prompts")
    ap.add_argument("--eval-table", help="results/eval.tsv: its rows go into the card if it exists (not required)")
    ap.add_argument("--deid-quality", help="results/deid/quality.tsv: de-identification figures for the card")
    ap.add_argument("--privacy-audit", help="results/privacy/{variant}.tsv: the memorisation audit, for the card")
    ap.add_argument("--privacy-check", help="results/privacy/{variant}.check.tsv: its headline and check")
    ap.add_argument("--max-shard-size", default=DEFAULT_SHARD_SIZE)
    ap.add_argument("--check-prompts", type=int, default=CHECK_PROMPTS)
    ap.add_argument("--check-new-tokens", type=int, default=CHECK_NEW_TOKENS)
    ap.add_argument("--output", required=True, help="results/export/{variant}")
    a = ap.parse_args(argv)
    export(
        a.variant, a.base, a.model, a.test, a.output, base_name=a.base_name, eval_table=a.eval_table,
        deid_quality=a.deid_quality, privacy_audit=a.privacy_audit, privacy_check=a.privacy_check,
        max_shard_size=a.max_shard_size, check_prompts=a.check_prompts,
        check_new_tokens=a.check_new_tokens,
    )  # fmt: skip


if __name__ == "__main__":
    run_main(main)
