"""Fine-tuning of one variant (LoRA, QLoRA, full/ZeRO-3) from a recipe, with resumable checkpoints."""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from radtune.common import RadtuneError, atomic_path, json_arg, run_main, stable_hash
from radtune.tokenize import check_dataset

log = logging.getLogger("radtune.train")

METHODS = ("lora", "qlora", "full")
COMPLETE_MARKER = "radtune_complete"  # written into a checkpoint folder only after the Trainer finished saving it
RUN_FILE = "radtune_run.json"  # what the checkpoints in a folder were trained from (resume only if it matches)
LOG_COLUMNS = ("step", "loss", "learning_rate", "tokens_per_s", "peak_mem_mb")
# recipe `lora:` block short names -> peft.LoraConfig fields (any other LoraConfig field is passed as is)
LORA_ALIASES = {"alpha": "lora_alpha", "dropout": "lora_dropout"}


class TrainingInterrupted(RadtuneError):
    """Stopped by SIGTERM/SIGUSR1 after saving a checkpoint; rerunning resumes from it."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum


# ---- recipe -------------------------------------------------------------------------------------
def load_recipe(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a recipe YAML: SFTConfig fields at the top level plus an optional `lora:` block."""
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RadtuneError(f"recipe {path}: cannot read ({exc})") from None
    if not isinstance(data, dict):
        raise RadtuneError(f"recipe {path}: must be a mapping of SFTConfig fields (+ a lora: block)")
    lora = data.pop("lora", None) or {}
    return data, {LORA_ALIASES.get(k, k): v for k, v in lora.items()}


def build_sft_config(fields: dict[str, Any], recipe_path: str, **overrides: Any) -> Any:
    """Parse recipe fields into TRL's own SFTConfig (unknown keys are an error naming the recipe)."""
    from transformers import HfArgumentParser
    from trl import SFTConfig

    known = {f.name for f in dataclasses.fields(SFTConfig)}
    unknown = sorted(set(fields) - known)
    if unknown:
        raise RadtuneError(f"recipe {recipe_path}: unknown SFTConfig field(s) {', '.join(unknown)}")
    merged = {**fields, **overrides}
    try:
        (cfg,) = HfArgumentParser(SFTConfig).parse_dict(merged, allow_extra_keys=False)
    except (ValueError, TypeError) as exc:
        raise RadtuneError(f"recipe {recipe_path}: {exc}") from None
    return cfg


def build_lora_config(lora: dict[str, Any], recipe_path: str) -> Any:
    from peft import LoraConfig

    try:
        return LoraConfig(task_type="CAUSAL_LM", **lora)
    except TypeError as exc:
        raise RadtuneError(f"recipe {recipe_path}: lora: {exc}") from None


# ---- device / method ----------------------------------------------------------------------------
def check_method(method: str, cuda: bool) -> None:
    """Fail at once where the method cannot run (before any model is loaded)."""
    if method not in METHODS:
        raise RadtuneError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    if method in ("qlora", "full") and not cuda:
        raise RadtuneError(
            f"method {method!r} needs a CUDA GPU ({'4-bit bitsandbytes' if method == 'qlora' else 'DeepSpeed ZeRO-3'}"
            "), and this machine has none; run it on a GPU node (gpus: N in the variant) or use method lora"
        )


def distributed_command(argv: list[str], nproc: int) -> list[str]:
    """torchrun command that reruns this module on every GPU (and every SLURM node, via srun)."""
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}"]
    nnodes = int(os.environ.get("SLURM_NNODES", "1"))
    if nnodes > 1:
        host = subprocess.run(
            ["scontrol", "show", "hostnames", os.environ["SLURM_JOB_NODELIST"]],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()[0]
        cmd = ["srun", f"--nodes={nnodes}", "--ntasks-per-node=1", *cmd, f"--nnodes={nnodes}"]
        cmd += [
            "--rdzv_backend=c10d",
            f"--rdzv_endpoint={host}:29500",
            f"--rdzv_id={os.environ.get('SLURM_JOB_ID', 0)}",
        ]
    return [*cmd, "-m", "radtune.train", *argv]


# ---- checkpoints --------------------------------------------------------------------------------
def run_key(spec: dict[str, Any], recipe: dict[str, Any], lora: dict[str, Any], train_fp: str, seed: int) -> str:
    return stable_hash(json.dumps([spec, recipe, lora, train_fp, seed], sort_keys=True, default=str))


def latest_complete_checkpoint(folder: str | os.PathLike) -> Path | None:
    """Newest checkpoint-N with the completion marker (a checkpoint cut off mid-save is ignored)."""
    folder = Path(folder)
    done = [p for p in folder.glob("checkpoint-*") if (p / COMPLETE_MARKER).exists() and p.name[11:].isdigit()]
    return max(done, key=lambda p: int(p.name[11:]), default=None)


def prepare_checkpoints(folder: Path, key: str) -> Path | None:
    """Return the checkpoint to resume from; wipe checkpoints of a different run (other recipe/data/seed)."""
    folder.mkdir(parents=True, exist_ok=True)
    run_file = folder / RUN_FILE
    if run_file.exists() and json.loads(run_file.read_text()).get("key") != key:
        log.warning("checkpoints in %s are from a different recipe/data/seed: starting over", folder)
        for p in folder.glob("checkpoint-*"):
            shutil.rmtree(p, ignore_errors=True)
    run_file.write_text(json.dumps({"key": key}) + "\n")
    return latest_complete_checkpoint(folder)


# ---- trainer pieces -----------------------------------------------------------------------------
def peak_mem_mb() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def make_callbacks(stop: dict[str, int | None]) -> list[Any]:
    from transformers import TrainerCallback

    class StopOnSignal(TrainerCallback):
        """After a SIGTERM/SIGUSR1: save a checkpoint at the end of the current step, then stop."""

        def on_step_end(self, args, state, control, **kwargs):
            if stop["signal"] is not None:
                control.should_save = True
                control.should_training_stop = True
            return control

    class MarkComplete(TrainerCallback):
        """on_save runs after the Trainer wrote model, optimizer, scheduler, RNG and trainer state."""

        def on_save(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
                if ckpt.is_dir():
                    (ckpt / COMPLETE_MARKER).write_text(f"{state.global_step}\n")
            return control

    return [StopOnSignal(), MarkComplete()]


def trainer_class() -> type:
    from trl import SFTTrainer

    class RadtuneTrainer(SFTTrainer):
        """SFTTrainer whose log records carry tokens/s and peak memory (kept in trainer_state.json, so a
        resumed run continues the same log)."""

        _last: tuple[float, int] | None = None

        def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
            if "loss" in logs:
                now, seen = time.perf_counter(), int(self.state.num_input_tokens_seen)
                if self._last is not None and now > self._last[0]:
                    logs["tokens_per_s"] = round((seen - self._last[1]) / (now - self._last[0]), 2)
                self._last = (now, seen)
                logs["peak_mem_mb"] = round(peak_mem_mb(), 1)
            super().log(logs, start_time)

        def _inner_training_loop(self, *args: Any, **kwargs: Any) -> Any:
            self._last = (time.perf_counter(), int(self.state.num_input_tokens_seen))
            return super()._inner_training_loop(*args, **kwargs)

    return RadtuneTrainer


def load_model(base: str, method: str, cuda: bool, bf16: bool) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"local_files_only": True, "attn_implementation": "sdpa"}
    if method == "qlora":
        try:
            import bitsandbytes  # noqa: F401
        except ImportError:
            raise RadtuneError("method qlora needs bitsandbytes (pip install bitsandbytes)") from None
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
        )
        kwargs["dtype"] = torch.bfloat16
    else:
        kwargs["dtype"] = torch.bfloat16 if (cuda and bf16 and method != "full") else torch.float32
    model = AutoModelForCausalLM.from_pretrained(base, **kwargs)
    # No KV cache in training: with a cache, transformers skips detecting packed rows from position_ids.
    model.config.use_cache = False
    if method == "qlora":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    return model


# ---- outputs ------------------------------------------------------------------------------------
def write_log(log_history: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    rows = [{c: h.get(c, "") for c in LOG_COLUMNS} for h in log_history if "loss" in h and "step" in h]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=LOG_COLUMNS, delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return rows


def plot_loss(rows: list[dict[str, Any]], eval_rows: list[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r["step"] for r in rows], [r["loss"] for r in rows], label="train loss")
    if eval_rows:
        ax.plot([r["step"] for r in eval_rows], [r["eval_loss"] for r in eval_rows], "o-", label="val loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---- main ---------------------------------------------------------------------------------------
def train(
    variant: str,
    spec: dict[str, Any],
    recipe_path: str,
    base: str,
    train_dir: str,
    val_dir: str,
    checkpoints: str,
    seed: int,
    output: str,
    extra_callbacks: list[Any] | None = None,
) -> dict[str, Any]:
    """Train one variant; write the output folder atomically. Returns radtune_variant.json's content."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    method = spec.get("method", "lora")
    cuda = torch.cuda.is_available()
    check_method(method, cuda)
    fields, lora = load_recipe(recipe_path)
    train_meta = check_dataset(train_dir, base)
    val_meta = check_dataset(val_dir, base)
    if val_meta["fingerprint"] != train_meta["fingerprint"]:
        raise RadtuneError(f"{train_dir} and {val_dir} were tokenized with different max_seq_len/truncation")

    from datasets import load_from_disk
    from transformers import AutoTokenizer

    train_ds, val_ds = load_from_disk(train_dir), load_from_disk(val_dir)
    if not len(train_ds):
        raise RadtuneError(f"{train_dir} holds no training examples")
    packed = "seq_lengths" in train_ds.column_names
    if bool(spec.get("packing", packed)) != packed:
        raise RadtuneError(
            f"variant {variant}: packing is {spec.get('packing')} but {train_dir} is {'' if packed else 'not '}packed"
        )

    overrides: dict[str, Any] = {
        "output_dir": str(checkpoints),
        "seed": seed,
        "data_seed": seed,
        "report_to": [],
        "save_strategy": "steps",
        "dataset_kwargs": {"skip_prepare_dataset": True},  # tokenized + labelled by radtune.tokenize
        "remove_unused_columns": True,  # keeps input_ids, labels, seq_lengths (SFTTrainer's signature columns)
        # padding-free rows hold no padding ("non_padding" would count input_ids != pad, and pad == <|im_end|>);
        # padded batches count their attention mask
        "include_num_input_tokens_seen": "all" if packed else "non_padding",
        # Pre-packed rows: padding-free batches (one flattened row, position_ids restart per example) which
        # transformers turns into a block-diagonal causal mask for sdpa; max_length None because rows are already
        # <= max_seq_len and TRL refuses max_length with padding_free outside its own packing.
        "padding_free": packed,
        "max_length": None if packed else train_meta["max_seq_len"],
    }
    if not cuda:  # bf16 on CPU is ~12x slower than fp32 (measured on this project's CI machines)
        overrides.update(bf16=False, fp16=False, use_cpu=True)
        if fields.get("bf16") or fields.get("fp16"):
            log.info("no CUDA: training in fp32 (recipe's bf16/fp16 ignored)")
    if method == "full" and not fields.get("deepspeed"):
        raise RadtuneError(f"recipe {recipe_path}: method full needs a deepspeed: config (config/deepspeed/zero3.json)")
    args = build_sft_config(fields, recipe_path, **overrides)

    key = run_key(spec, fields, lora, train_meta["fingerprint"], seed)
    with args.main_process_first(desc="checkpoints"):  # rank 0 prepares the folder before the others look
        is_main = args.process_index == 0
        resume = prepare_checkpoints(Path(checkpoints), key) if is_main else latest_complete_checkpoint(checkpoints)
    if resume:
        log.info("resuming from %s", resume.name)

    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = load_model(base, method, cuda, bool(fields.get("bf16")))
    peft_config = build_lora_config(lora, recipe_path) if method in ("lora", "qlora") else None

    stop: dict[str, int | None] = {"signal": None}

    def on_signal(signum: int, _frame: Any) -> None:
        log.warning("signal %d: saving a checkpoint and stopping", signum)
        stop["signal"] = signum

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGUSR1)}
    try:
        trainer = trainer_class()(
            model=model,
            args=args,
            train_dataset=train_ds,
            eval_dataset=val_ds if len(val_ds) and args.eval_strategy != "no" else None,
            processing_class=tokenizer,
            peft_config=peft_config,
            callbacks=make_callbacks(stop) + list(extra_callbacks or []),
        )
        trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if stop["signal"] is not None:
        raise TrainingInterrupted(
            f"stopped by signal {stop['signal']} at step {trainer.state.global_step}; "
            f"checkpoint saved in {checkpoints}, rerun to resume",
            stop["signal"],
        )

    final = Path(checkpoints) / "final"
    trainer.save_model(str(final))  # every rank takes part (ZeRO-3 gathers the weights); rank 0 writes
    if not trainer.is_world_process_zero():
        return {}
    history = trainer.state.log_history
    summary = {
        "variant": variant,
        "method": method,
        "base": str(base),
        "recipe": str(recipe_path),
        "recipe_fields": fields,
        "lora": lora if peft_config else None,
        "packing": packed,
        "seed": seed,
        "device": "cuda" if cuda else "cpu",
        "world_size": args.world_size,
        "global_step": trainer.state.global_step,
        "resumed_from": resume.name if resume else None,
        "tokenizer_fingerprint": train_meta["tokenizer_fingerprint"],
        "data_fingerprint": train_meta["fingerprint"],
        "max_seq_len": train_meta["max_seq_len"],
    }
    with atomic_path(output, directory=True) as tmp:
        for p in final.iterdir():
            shutil.copy2(p, tmp / p.name) if p.is_file() else shutil.copytree(p, tmp / p.name)
        tokenizer.save_pretrained(tmp)
        rows = write_log(history, tmp / "train_log.tsv")
        eval_rows = [h for h in history if "eval_loss" in h]
        summary["final_loss"] = rows[-1]["loss"] if rows else None
        summary["first_loss"] = rows[0]["loss"] if rows else None
        summary["final_eval_loss"] = eval_rows[-1]["eval_loss"] if eval_rows else None
        plot_loss(rows, eval_rows, tmp / "loss.png", f"{variant} ({method})")
        (tmp / "radtune_variant.json").write_text(json.dumps(summary, indent=1, sort_keys=True, default=str) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    log.info(
        "trained %s: %d steps, loss %s -> %s",
        variant,
        summary["global_step"],
        summary["first_loss"],
        summary["final_loss"],
    )
    return summary


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variant", required=True)
    ap.add_argument("--spec", required=True, help="JSON variant entry: base, method, recipe, packing, gpus")
    ap.add_argument("--recipe", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--checkpoints", required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--output", required=True)
    args = ap.parse_args(argv)
    spec = json_arg(args.spec, "--spec")

    import torch

    cuda = torch.cuda.is_available()
    check_method(spec.get("method", "lora"), cuda)
    ngpu = torch.cuda.device_count() if cuda else 0
    want = int(spec.get("gpus") or 0)
    if cuda and "LOCAL_RANK" not in os.environ and (min(want, ngpu) > 1 or spec.get("method") == "full"):
        # One process per GPU of this job (and srun across nodes): relaunch this module under torchrun.
        cmd = distributed_command(list(argv if argv is not None else sys.argv[1:]), max(1, min(want or ngpu, ngpu)))
        log.info("launching %s", " ".join(cmd[:6]))
        rc = subprocess.run(cmd).returncode
        if rc:
            raise RadtuneError(f"distributed training exited with status {rc}")
        return
    try:
        train(
            args.variant, spec, args.recipe, args.base, args.train, args.val, args.checkpoints, args.seed, args.output
        )
    except TrainingInterrupted as exc:
        print(f"radtune: {exc}", file=sys.stderr)
        sys.exit(128 + exc.signum)


if __name__ == "__main__":
    run_main(main)
