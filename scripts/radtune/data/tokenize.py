"""Tokenization of chat JSONL with the base model's chat template into a cached, fingerprinted datasets folder."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from radtune.core.common import InputError, RadtuneError, atomic_path, iter_jsonl, run_main, stable_hash

log = logging.getLogger("radtune.data.tokenize")

META_FILE = "radtune_tokenize.json"
# Every file that changes how text becomes ids (vocabulary, merges, normalizer, special tokens, chat template).
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "chat_template.jinja",
    "chat_template.json",
    "vocab.json",
    "merges.txt",
    "tokenizer.model",
)
HIST_BINS = 16


# ---- fingerprints: a tokenized/packed dataset is only valid for the tokenizer + length it was built with ----
def tokenizer_fingerprint(model_dir: str | os.PathLike) -> str:
    """Hash of the tokenizer files (incl. chat template) in a model directory."""
    model_dir = Path(model_dir)
    h = hashlib.sha256()
    found = 0
    for name in TOKENIZER_FILES:
        p = model_dir / name
        if p.is_file():
            h.update(name.encode() + b"\0" + p.read_bytes() + b"\0")
            found += 1
    if not found:
        raise RadtuneError(f"no tokenizer files in {model_dir} (expected one of {', '.join(TOKENIZER_FILES[:2])})")
    return h.hexdigest()[:16]


def dataset_fingerprint(tok_fp: str, max_seq_len: int, truncation: str) -> str:
    """Fingerprint of a tokenized dataset: tokenizer + max_seq_len + truncation policy."""
    return stable_hash(tok_fp, int(max_seq_len), truncation)


def make_meta(model_dir: str | os.PathLike, max_seq_len: int, truncation: str) -> dict[str, Any]:
    tok_fp = tokenizer_fingerprint(model_dir)
    return {
        "tokenizer_fingerprint": tok_fp,
        "max_seq_len": int(max_seq_len),
        "truncation": truncation,
        "fingerprint": dataset_fingerprint(tok_fp, max_seq_len, truncation),
    }


def read_meta(dataset_dir: str | os.PathLike) -> dict[str, Any]:
    p = Path(dataset_dir) / META_FILE
    if not p.is_file():
        raise RadtuneError(
            f"{dataset_dir} has no {META_FILE}: it was not built by radtune.data.tokenize/pack (or predates "
            "fingerprints); rebuild it"
        )
    return json.loads(p.read_text())


def check_dataset(dataset_dir: str | os.PathLike, model_dir: str | os.PathLike) -> dict[str, Any]:
    """Refuse a tokenized/packed dataset built with another tokenizer, chat template or length."""
    meta = read_meta(dataset_dir)
    want = tokenizer_fingerprint(model_dir)
    if meta.get("tokenizer_fingerprint") != want:
        raise RadtuneError(
            f"{dataset_dir} was tokenized with a different tokenizer/chat template (fingerprint "
            f"{meta.get('tokenizer_fingerprint')}) than the base model {model_dir} ({want}); re-run tokenize"
        )
    expect = dataset_fingerprint(want, meta.get("max_seq_len", -1), meta.get("truncation", ""))
    if meta.get("fingerprint") != expect:
        raise RadtuneError(f"{dataset_dir}: fingerprint does not match its max_seq_len/truncation; re-run tokenize")
    return meta


# ---- input ----
def read_records(path: str | os.PathLike) -> list[list[dict[str, str]]]:
    """Read the `messages` of each JSONL record, validating them (errors name file, line, column)."""
    out = []
    for i, rec in iter_jsonl(path):
        msgs = rec.get("messages")
        if not isinstance(msgs, list) or len(msgs) < 2:
            raise InputError(path, "needs a list of at least 2 messages", line=i, column="messages")
        for m in msgs:
            if not (isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)):
                raise InputError(path, "each message needs string 'role' and 'content'", line=i, column="messages")
        if msgs[-1]["role"] != "assistant" or not msgs[-1]["content"].strip():
            raise InputError(path, "the last message must be a non-empty assistant answer", line=i, column="messages")
        out.append([{"role": m["role"], "content": m["content"]} for m in msgs])
    return out


# ---- encoding ----
def split_prompt_answer(tokenizer: Any, messages: list[dict[str, str]]) -> tuple[str, str]:
    """Render prompt (with generation prompt) and answer text (up to and incl. the end-of-turn token).

    SmolLM2's template has no {% generation %} markers, so the answer is the rendered conversation minus the
    rendered prompt. Text after the end-of-turn token (the template's trailing newline) is not trained on.
    """
    prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    full = tokenizer.apply_chat_template(messages, tokenize=False)
    if not full.startswith(prompt):
        raise RadtuneError("the chat template does not render the prompt as a prefix of the conversation")
    answer = full[len(prompt) :]
    eos = tokenizer.eos_token
    if eos and eos in answer:
        answer = answer[: answer.rindex(eos) + len(eos)]
    return prompt, answer


def truncate_pair(p: list[int], a: list[int], max_len: int) -> tuple[list[int], list[int]]:
    """Cut the prompt from the left, then the answer from the right, to fit max_len."""
    if len(p) + len(a) <= max_len:
        return p, a
    keep_p = max(0, max_len - len(a))
    p = p[len(p) - keep_p :] if keep_p else []
    return p, a[: max_len - len(p)]


def encode_batch(batch: dict[str, list], tokenizer: Any, max_seq_len: int, truncation: str) -> dict[str, list]:
    """datasets.map function: messages -> input_ids, labels (-100 on the prompt), length, truncated, keep."""
    prompts, answers = zip(*(split_prompt_answer(tokenizer, m) for m in batch["messages"]), strict=True)
    # Prompt and answer are tokenized apart: this is exactly how generation sees them (prompt alone, then
    # the model's tokens), and it makes the label boundary exact.
    enc_p = tokenizer(list(prompts), add_special_tokens=False)["input_ids"]
    enc_a = tokenizer(list(answers), add_special_tokens=False)["input_ids"]
    out: dict[str, list] = {"input_ids": [], "labels": [], "length": [], "truncated": [], "keep": []}
    for p, a in zip(enc_p, enc_a, strict=True):
        over = len(p) + len(a) > max_seq_len
        if over and truncation == "truncate":
            p, a = truncate_pair(p, a, max_seq_len)
        out["input_ids"].append(p + a)
        out["labels"].append([-100] * len(p) + a)
        out["length"].append(len(p) + len(a))
        out["truncated"].append(over)
        out["keep"].append(not (over and truncation == "drop"))
    return out


def histogram(lengths: np.ndarray, max_seq_len: int) -> dict[str, list[int]]:
    edges = np.linspace(0, max_seq_len, HIST_BINS + 1).round().astype(int)
    counts, _ = np.histogram(np.clip(lengths, 0, max_seq_len), bins=edges)
    return {"bin_edges": edges.tolist(), "counts": counts.tolist()}


def parse_params(text: str) -> dict[str, Any]:
    """config['tokenize'] (validated, defaults filled in by the workflow); a bad value named before any work."""
    try:
        params = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RadtuneError(f"--params must be a JSON object ({exc})") from None
    if not isinstance(params, dict):
        raise RadtuneError("--params must be a JSON object")
    if params["truncation"] not in ("truncate", "drop"):
        raise RadtuneError(f"tokenize.truncation must be truncate or drop, not {params['truncation']!r}")
    if int(params["max_seq_len"]) < 16:
        raise RadtuneError("tokenize.max_seq_len must be >= 16")
    return params


def tokenize_file(
    input_path: str | os.PathLike,
    model_dir: str | os.PathLike,
    params: dict[str, Any],
    output: str | os.PathLike,
    stats_path: str | os.PathLike,
    canaries: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """Tokenize input_path into a datasets folder at output; write stats. Returns the stats.

    `canaries` (the train split only; radtune.deid.canaries): the inserted canaries' chat examples, each as many times
    as it is inserted, follow the split's own rows (training shuffles them in)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from datasets import Dataset, Features, Sequence, Value
    from transformers import AutoTokenizer

    max_len, truncation = int(params["max_seq_len"]), params["truncation"]
    records = read_records(input_path)
    n_canary = 0
    if canaries is not None:
        from radtune.deid.canaries import read_canaries, training_examples

        extra = [ex["messages"] for ex in training_examples(read_canaries(canaries))]
        records, n_canary = records + extra, len(extra)
        log.info("%d canary rows added to %d rows", n_canary, len(records) - n_canary)
    tokenizer = AutoTokenizer.from_pretrained(model_dir, local_files_only=True)
    if not tokenizer.is_fast:
        raise RadtuneError(f"{model_dir}: a fast tokenizer is required (tokenizer.json)")
    if not getattr(tokenizer, "chat_template", None):
        raise RadtuneError(f"{model_dir}: the tokenizer has no chat template")
    meta = make_meta(model_dir, max_len, truncation)

    batch_size = int(params["batch_size"])
    n_batches = max(1, -(-len(records) // batch_size))
    num_proc = max(1, min(int(params["num_proc"]), n_batches))
    feats = Features(
        {
            "input_ids": Sequence(Value("int32")),
            "labels": Sequence(Value("int32")),
            "length": Value("int32"),
            "truncated": Value("bool"),
            "keep": Value("bool"),
        }
    )
    if records:
        ds = Dataset.from_dict({"messages": records}).map(
            encode_batch,
            batched=True,
            batch_size=batch_size,
            num_proc=num_proc if num_proc > 1 else None,
            remove_columns=["messages"],
            features=feats,
            fn_kwargs={"tokenizer": tokenizer, "max_seq_len": max_len, "truncation": truncation},
            desc="tokenize",
        )
    else:
        ds = Dataset.from_dict({k: [] for k in feats}, features=feats)
    truncated = int(np.sum(ds["truncated"])) if len(ds) else 0
    kept = ds.filter(lambda k: k, input_columns="keep") if len(ds) else ds
    dropped = len(ds) - len(kept)
    kept = kept.remove_columns(["truncated", "keep"])
    lengths = np.asarray(kept["length"], dtype=np.int64)
    n_label = int(sum(sum(1 for t in row if t != -100) for row in kept["labels"])) if len(kept) else 0
    stats = {
        "input_examples": len(records),
        "canary_examples": n_canary,
        "examples": len(kept),
        "tokens": int(lengths.sum()),
        "label_tokens": n_label,
        "truncated": truncated if truncation == "truncate" else 0,
        "over_length": truncated,
        "dropped": dropped,
        "max_length": int(lengths.max()) if len(lengths) else 0,
        "mean_length": round(float(lengths.mean()), 2) if len(lengths) else 0.0,
        "histogram": histogram(lengths, max_len),
        **meta,
    }
    with atomic_path(output, directory=True) as tmp, atomic_path(stats_path) as tmp_stats:
        kept.save_to_disk(str(tmp))
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
        tmp_stats.write_text(json.dumps(stats, indent=1, sort_keys=True) + "\n")
    log.info(
        "%d examples in, %d kept, %d tokens, %d over %d tokens (%s), %d dropped",
        len(records),
        len(kept),
        stats["tokens"],
        truncated,
        max_len,
        truncation,
        dropped,
    )
    return stats


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--input", required=True, help="results/data/{split}.jsonl")
    ap.add_argument("--model", required=True, help="base model directory (tokenizer + chat template)")
    ap.add_argument("--params", required=True, help="JSON: max_seq_len, truncation, num_proc, batch_size")
    ap.add_argument("--output", required=True, help="datasets folder to write")
    ap.add_argument("--stats", required=True, help="stats JSON to write")
    ap.add_argument("--canaries", help="results/data/canaries.jsonl: the train split's canaries (privacy.canaries)")
    args = ap.parse_args(argv)
    tokenize_file(args.input, args.model, parse_params(args.params), args.output, args.stats, args.canaries)


if __name__ == "__main__":
    run_main(main)
