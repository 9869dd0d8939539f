"""Packing of tokenized examples into max_seq_len rows (best-fit decreasing) with per-example position ids."""

from __future__ import annotations

import argparse
import json
import logging
import os
from typing import Any

import numpy as np

from radtune.core.common import RadtuneError, atomic_path, run_main
from radtune.data.tokenize import META_FILE, read_meta

log = logging.getLogger("radtune.data.pack")

# The padded baseline: examples in dataset order, batches of this many, each padded to its batch's longest
# (what a plain padding collator does with per_device_train_batch_size = 8).
BASELINE_BATCH_SIZE = 8


def padded_efficiency(lengths: np.ndarray, batch_size: int = BASELINE_BATCH_SIZE) -> float:
    """Real tokens / slots when consecutive batches of batch_size are padded to their longest example."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if not len(lengths):
        return 0.0
    slots = sum(
        int(lengths[i : i + batch_size].max()) * len(lengths[i : i + batch_size])
        for i in range(0, len(lengths), batch_size)
    )
    return float(lengths.sum() / slots)


def position_ids_from_seq_lengths(seq_lengths: list[int]) -> list[int]:
    """Positions restarting at 0 for every packed example."""
    return [i for n in seq_lengths for i in range(n)]


def _add_position_ids(batch: dict[str, list]) -> dict[str, list]:
    return {"position_ids": [position_ids_from_seq_lengths(s) for s in batch["seq_lengths"]]}


def pack(dataset: Any, max_seq_len: int) -> Any:
    """Best-fit-decreasing packing over the whole dataset (one global bin-packing pass).

    TRL's pack_dataset(strategy="bfd") does the bin packing (segment tree, O(n log L)) and returns
    `seq_lengths`; we run it as a single batch so the fit is global, not per 1000-row chunk, and add
    `position_ids` ourselves (TRL derives them in its collator; we store them as docs/data-formats.md says).
    """
    from trl import pack_dataset

    cols = [c for c in dataset.column_names if c not in ("input_ids", "labels")]
    ds = dataset.remove_columns(cols)
    if not len(ds):
        return ds.add_column("seq_lengths", []).add_column("position_ids", [])
    packed = pack_dataset(ds, seq_length=max_seq_len, strategy="bfd", map_kwargs={"batch_size": None})
    packed = packed.with_format(None)
    return packed.map(_add_position_ids, batched=True, desc="position_ids")


def pack_dir(
    input_dir: str | os.PathLike, max_seq_len: int, output: str | os.PathLike, stats_path: str | os.PathLike
) -> dict:
    """Pack a tokenized datasets folder into output; write stats. Returns the stats."""
    from datasets import load_from_disk

    if max_seq_len < 1:
        raise RadtuneError("--max-seq-len must be positive")
    meta = read_meta(input_dir)
    ds = load_from_disk(str(input_dir))
    lengths = np.asarray(ds["length"] if "length" in ds.column_names else [len(x) for x in ds["input_ids"]])
    over = int((lengths > max_seq_len).sum())
    if over:
        log.warning("%d examples longer than %d are cut from the right by packing", over, max_seq_len)
    packed = pack(ds, max_seq_len)
    rows = len(packed)
    real = int(np.minimum(lengths, max_seq_len).sum())
    slots = rows * max_seq_len
    stats = {
        "examples": len(ds),
        "rows": rows,
        "real_tokens": real,
        "slots": slots,
        "efficiency": round(real / slots, 6) if slots else 0.0,
        "padded_baseline_efficiency": round(padded_efficiency(lengths), 6),
        "padded_baseline_batch_size": BASELINE_BATCH_SIZE,
        "truncated_examples": over,
        "max_seq_len": max_seq_len,
        "fingerprint": meta.get("fingerprint"),
    }
    with atomic_path(output, directory=True) as tmp, atomic_path(stats_path) as tmp_stats:
        packed.save_to_disk(str(tmp))
        (tmp / META_FILE).write_text(
            json.dumps({**meta, "pack_max_seq_len": max_seq_len}, indent=1, sort_keys=True) + "\n"
        )
        tmp_stats.write_text(json.dumps(stats, indent=1, sort_keys=True) + "\n")
    log.info(
        "%d examples -> %d rows of %d, efficiency %.4f (padded baseline %.4f)",
        len(ds),
        rows,
        max_seq_len,
        stats["efficiency"],
        stats["padded_baseline_efficiency"],
    )
    return stats


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--input", required=True, help="tokenized datasets folder (train)")
    ap.add_argument("--max-seq-len", type=int, required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--stats", required=True)
    args = ap.parse_args(argv)
    pack_dir(args.input, args.max_seq_len, args.output, args.stats)


if __name__ == "__main__":
    run_main(main)
