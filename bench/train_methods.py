"""Tokens/s and peak memory of lora vs qlora vs full (DeepSpeed ZeRO-3, 2 CPU ranks) on the same packed data.

Tiny random Llama (tests/_tiny_model.py: hidden 64, 2 layers, SmolLM2's tokenizer), 80 synthetic chat examples
packed to 256 tokens, batch 1, the same number of steps for each method, run exactly as the train rule runs
them (`python -m radtune.train.run`). Prints one row per method and a one-line summary last.

    .venv/bin/python bench/train_methods.py [--steps 12]

tokens/s: median over the logged steps after the first (all ranks together); peak memory: the largest
per-process peak RSS (CPU) of any rank. On a GPU machine the same script measures the GPU paths.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "scripts")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

LORA = {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": "all-linear"}
METHODS = {
    "lora": ({}, {"lora": LORA}),
    "qlora": ({}, {"optim": "paged_adamw_8bit", "bf16": True, "lora": LORA}),
    "full": ({"cpu_ranks": 2}, {"deepspeed": str(ROOT / "config/deepspeed/zero3.json")}),
}


def build_data(d: Path) -> None:
    from _tiny_model import save_tiny_base, smollm2_tokenizer
    from test_train import _records

    from radtune.data.pack import pack_dir
    from radtune.data.tokenize import tokenize_file

    base = save_tiny_base(smollm2_tokenizer(), d / "base")
    for split, n in (("train", 80), ("val", 4)):
        p = d / f"{split}.jsonl"
        p.write_text("".join(json.dumps(r) + "\n" for r in _records(n)))
        params = {"max_seq_len": 256, "truncation": "truncate", "num_proc": 1, "batch_size": 100}
        tokenize_file(p, base, params, d / "tok" / split, d / "tok" / f"{split}.stats.json")
    pack_dir(d / "tok" / "train", 256, d / "packed", d / "packed.stats.json")


def run(d: Path, method: str, steps: int) -> dict[str, float]:
    import yaml

    extra_spec, fields = METHODS[method]
    recipe = {"learning_rate": 1e-3, "max_steps": steps, "per_device_train_batch_size": 1, "logging_steps": 1}
    recipe |= {"save_steps": 10_000, **fields}
    (d / f"{method}.yaml").write_text(yaml.safe_dump(recipe))
    spec = {"base": "b", "method": method, "recipe": "r", "packing": True, **extra_spec}
    cmd = [sys.executable, "-m", "radtune.train.run", "--variant", method, "--spec", json.dumps(spec)]
    cmd += ["--recipe", str(d / f"{method}.yaml"), "--base", str(d / "base"), "--train", str(d / "packed")]
    cmd += ["--val", str(d / "tok/val"), "--checkpoints", str(d / f"ck_{method}"), "--output", str(d / method)]
    t0 = time.perf_counter()
    res = subprocess.run(cmd, env={**os.environ, "PYTHONPATH": str(ROOT / "scripts")}, capture_output=True, text=True)
    if res.returncode:
        sys.exit(f"{method} failed:\n{res.stderr[-3000:]}")
    wall = time.perf_counter() - t0
    with open(d / method / "train_log.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return {
        "tokens_per_s": statistics.median(float(r["tokens_per_s"]) for r in rows[1:]),
        "peak_mem_mb": max(float(r["peak_mem_mb"]) for r in rows),
        "ranks": len(rows[-1]["peak_mem_mb_ranks"].split("/")),
        "loss": f"{float(rows[0]['loss']):.2f} -> {float(rows[-1]['loss']):.2f}",
        "wall_s": wall,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=12)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        build_data(d)
        results = {m: run(d, m, args.steps) for m in METHODS}
    print(f"\n{'method':8} {'ranks':>5} {'tokens/s':>9} {'peak MB/rank':>13} {'wall s':>7}  loss")
    for m, r in results.items():
        row = f"{m:8} {r['ranks']:>5} {r['tokens_per_s']:>9.1f} {r['peak_mem_mb']:>13.0f} {r['wall_s']:>7.0f}"
        print(f"{row}  {r['loss']}")
    print(
        "summary: "
        + ", ".join(f"{m} {r['tokens_per_s']:.0f} tok/s {r['peak_mem_mb']:.0f} MB" for m, r in results.items())
        + f" ({args.steps} steps, tiny Llama, packed 256, CPU)"
    )


if __name__ == "__main__":
    main()
