"""A training run as prepared before any model is loaded (TrainRun): the method, recipe and data checked, and the
trainer arguments (TRL's SFTConfig from the recipe, with the fields radtune sets over it)."""

from __future__ import annotations

import dataclasses
import importlib
import logging
import os
from pathlib import Path
from typing import Any

from radtune.core.common import RadtuneError
from radtune.core.tracking import report_to
from radtune.data.tokenize import check_dataset
from radtune.train.checkpoints import DONE_DIR
from radtune.train.model import check_method, check_model_fields
from radtune.train.recipes import build_sft_config, check_deepspeed, check_keep_best, read_recipe

log = logging.getLogger("radtune.train.run")  # the run's logger: log lines name radtune.train.run as before


@dataclasses.dataclass
class TrainRun:
    """One variant's run as prepared before any model is loaded: the call's arguments, the checked recipe and
    data, and the trainer arguments (SFTConfig)."""

    variant: str
    base: str
    recipe_path: str
    checkpoints: str
    seed: int
    method: str
    cuda: bool
    fields: dict[str, Any]  # the recipe's SFTConfig fields (+ MODEL_FIELDS): recipes.Recipe.fields
    lora: dict[str, Any]  # the recipe's lora: block as peft.LoraConfig fields: recipes.Recipe.lora
    train_meta: dict[str, Any]  # radtune.data.tokenize metadata of the train split (fingerprints, max_seq_len)
    train_ds: Any
    val_ds: Any
    packed: bool
    args: Any  # trl.SFTConfig
    tracking: dict[str, Any] | None = None  # config `tracking`; after start: the run radtune_variant.json records
    content: str = ""  # content_fingerprint of the train and val examples

    @property
    def done(self) -> Path:
        """Where a finished output waits (beside the checkpoints) until it is delivered."""
        return Path(self.checkpoints) / DONE_DIR


def sft_overrides(
    checkpoints: str, seed: int, packed: bool, max_seq_len: int, report_to: list[str] | None = None
) -> dict[str, Any]:
    """SFTConfig fields radtune sets over the recipe's (on any device); report_to: radtune.core.tracking.report_to."""
    return {
        "output_dir": str(checkpoints),
        "seed": seed,
        "data_seed": seed,
        "report_to": report_to or [],
        "save_strategy": "steps",
        "dataset_kwargs": {"skip_prepare_dataset": True},  # tokenized + labelled by radtune.data.tokenize
        "remove_unused_columns": True,  # keeps input_ids, labels, seq_lengths (SFTTrainer's signature columns)
        # padding-free rows hold no padding ("non_padding" would count input_ids != pad, and pad == <|im_end|>);
        # padded batches count their attention mask
        "include_num_input_tokens_seen": "all" if packed else "non_padding",
        # Pre-packed rows: padding-free batches (one flattened row, position_ids restart per example) which
        # transformers turns into a block-diagonal causal mask for sdpa; max_length None because rows are already
        # <= max_seq_len and TRL refuses max_length with padding_free outside its own packing.
        "padding_free": packed,
        "max_length": None if packed else max_seq_len,
    }


def prepare(
    variant: str,
    spec: dict[str, Any],
    recipe_path: str,
    base: str,
    train_dir: str,
    val_dir: str,
    checkpoints: str,
    seed: int,
    tracking: dict[str, Any] | None = None,
) -> TrainRun:
    """Check the method, the recipe and the data, and build the trainer arguments: every error before any model
    is loaded. Method full on CPU ranks also starts DeepSpeed's gloo process group here."""
    import torch

    method = spec["method"]
    cuda = torch.cuda.is_available()
    check_method(method, cuda)
    recipe = read_recipe(recipe_path)
    fields = recipe.fields
    check_model_fields(fields, recipe_path)
    check_keep_best(fields, recipe_path)
    train_meta = check_dataset(train_dir, base)
    val_meta = check_dataset(val_dir, base)
    if val_meta["fingerprint"] != train_meta["fingerprint"]:
        raise RadtuneError(f"{train_dir} and {val_dir} were tokenized with different max_seq_len/truncation")

    from datasets import load_from_disk

    train_ds, val_ds = load_from_disk(train_dir), load_from_disk(val_dir)
    if not len(train_ds):
        raise RadtuneError(f"{train_dir} holds no training examples")
    if fields.get("eval_strategy", "no") not in ("no", False) and not len(val_ds):
        raise RadtuneError(
            f"recipe {recipe_path}: eval_strategy {fields['eval_strategy']} evaluates on {val_dir}, which holds no"
            ' examples (use eval_strategy: "no")'
        )
    packed = "seq_lengths" in train_ds.column_names
    if bool(spec["packing"]) != packed:
        raise RadtuneError(
            f"variant {variant}: packing is {spec.get('packing')} but {train_dir} is {'' if packed else 'not '}packed"
        )

    # the recipe's own report_to wins over config `tracking` (radtune.core.tracking.report_to)
    overrides = sft_overrides(checkpoints, seed, packed, train_meta["max_seq_len"], report_to(fields, tracking))
    if not cuda:  # bf16 on CPU is ~12x slower than fp32 (measured on this project's CI machines)
        overrides.update(bf16=False, fp16=False, use_cpu=True)
        if fields.get("bf16") or fields.get("fp16"):
            log.info(
                "no CUDA: training in fp32 (recipe's bf16/fp16 ignored)%s",
                "; the 4-bit layers compute in bf16" if method == "qlora" else "",
            )
    check_deepspeed(fields, method, recipe_path)
    if fields.get("deepspeed") and not cuda:
        # CPU ranks talk over gloo. The process group must exist before the arguments are built: otherwise
        # accelerate sizes the batch for world size 1 while DeepSpeed sees all ranks (train_batch_size mismatch).
        os.environ.setdefault("DS_ACCELERATOR", "cpu")
        import deepspeed

        if os.environ.get("RADTUNE_DS_SHM_COMM") != "1":
            # Plain gloo collectives: DeepSpeed's shared-memory allreduce op JIT-compiles on first use
            # (~1-2 min on 2 cores) for no gain on a small CPU machine. RADTUNE_DS_SHM_COMM=1 keeps it.
            importlib.import_module("deepspeed.comm.torch").build_shm_op = lambda: None
        deepspeed.init_distributed(dist_backend="gloo")
    args = build_sft_config(recipe.sft, recipe_path, **overrides)
    return TrainRun(
        variant=variant,
        base=base,
        recipe_path=recipe_path,
        checkpoints=checkpoints,
        seed=seed,
        method=method,
        cuda=cuda,
        fields=fields,
        lora=recipe.lora,
        train_meta=train_meta,
        train_ds=train_ds,
        val_ds=val_ds,
        packed=packed,
        args=args,
        tracking=tracking,
    )
