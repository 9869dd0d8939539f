"""Bench: CPU LoRA training throughput (real tokens/s) of SmolLM2-135M on packed rows vs padded batches.

Same synthetic chat data, same recipe (config/recipes/lora_cpu.yaml, a few steps): packed = 1 row of max_seq_len
per step (padding-free); baseline = unpacked examples, batch sized to the same ~tokens per step, padded to the
batch's longest. tokens/s counts real (non-padding) tokens, steps after the first.
    python bench/train_speed.py                       # 4 steps each; needs results/base/smollm2_135m
    python bench/train_speed.py --steps 10 --base DIR
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from pathlib import Path

import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "bench")]


def run(tag: str, train_dir: Path, val_dir: Path, base: str, recipe: dict, tmp: Path) -> float:
    from radtune.train.run import train

    rp = tmp / f"{tag}.yaml"
    rp.write_text(yaml.safe_dump(recipe))
    out = tmp / f"out_{tag}"
    spec = {"base": "b", "method": "lora", "recipe": str(rp), "packing": tag == "packed"}
    train(tag, spec, str(rp), base, str(train_dir), str(val_dir), str(tmp / f"ck_{tag}"), 1234, str(out))
    with open(out / "train_log.tsv") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    tps = [float(r["tokens_per_s"]) for r in rows[1:] if r["tokens_per_s"]]
    mean = sum(tps) / len(tps)
    bs = recipe["per_device_train_batch_size"]
    print(f"{tag}: {len(rows)} steps, real tokens/s after step 1: {mean:.1f} (batch {bs})")
    return mean


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default=str(ROOT / "results/base/smollm2_135m"))
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--max-seq-len", type=int, default=512)
    a = ap.parse_args()
    if not Path(a.base).is_dir():
        sys.exit(f"{a.base} missing: convert it first (python -m radtune.train.base_model, see rules/base_model.smk)")

    import chatgen

    from radtune.data.pack import pack_dir
    from radtune.data.tokenize import tokenize_file

    tmp = Path(tempfile.mkdtemp(prefix="trainbench."))
    params = {"max_seq_len": a.max_seq_len, "truncation": "truncate", "num_proc": 1, "batch_size": 1000}
    stats = tokenize_file(chatgen.write_records(tmp / "t.jsonl", 300, 0), a.base, params, tmp / "tok", tmp / "t.json")
    tokenize_file(chatgen.write_records(tmp / "v.jsonl", 4, 1), a.base, params, tmp / "val", tmp / "v.json")
    pack_dir(tmp / "tok", a.max_seq_len, tmp / "packed", tmp / "p.json")
    recipe = yaml.safe_load((ROOT / "config/recipes/lora_cpu.yaml").read_text())
    recipe.update(max_steps=a.steps, save_steps=10**6, logging_steps=1, warmup_steps=0)
    per_step = max(1, round(a.max_seq_len / stats["mean_length"]))
    packed = run("packed", tmp / "packed", tmp / "val", a.base, {**recipe, "per_device_train_batch_size": 1}, tmp)
    padded = run("padded", tmp / "tok", tmp / "val", a.base, {**recipe, "per_device_train_batch_size": per_step}, tmp)
    print(
        f"SUMMARY train_speed: LoRA SmolLM2-135M CPU packed {packed:.1f} vs padded {padded:.1f} real tokens/s, "
        f"ratio {packed / padded:.2f}x"
    )


if __name__ == "__main__":
    main()
