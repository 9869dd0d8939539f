"""Fine-tuning of one variant (LoRA, QLoRA, full/ZeRO-3) from a recipe, with resumable checkpoints."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
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

from radtune.core.common import RadtuneError, atomic_path, json_arg, run_main, stable_hash
from radtune.core.formats import write_tsv
from radtune.core.tracking import RUN_ID_FILE, end_training, git_commit, report_to, start_training
from radtune.data.tokenize import check_dataset
from radtune.train.launch import cpu_ranks, distributed_command, slurm_head_node
from radtune.train.qlora import qlora_quantization

# LORA_ALIASES: recipe `lora:` short names -> peft.LoraConfig fields; MODEL_FIELDS: recipe keys that are options
# of the model radtune loads (attn_implementation), not SFTConfig fields
from radtune.train.recipes import LORA_ALIASES, MODEL_FIELDS, check_keep_best

log = logging.getLogger("radtune.train.run")

METHODS = ("lora", "qlora", "full")
COMPLETE_MARKER = "radtune_complete"  # written into a checkpoint folder only after the Trainer finished saving it
RUN_FILE = "radtune_run.json"
# A finished output whose run was signalled (SLURM's warning also stops the job step that would report it):
# kept beside the checkpoints and delivered by the rerun, which trains nothing.
DONE_DIR = "done"  # what the checkpoints in a folder were trained from (resume only if it matches)
# tokens_per_s: all ranks together; peak_mem_mb: the largest rank; peak_mem_mb_ranks: each rank, "/"-separated;
# eval_loss: the val split's loss where the recipe evaluated at that step (eval_strategy / eval_steps)
LOG_COLUMNS = ("step", "loss", "learning_rate", "tokens_per_s", "peak_mem_mb", "peak_mem_mb_ranks", "eval_loss")
# attention implementation / TRL option -> the package it needs (checked before anything is loaded)
ATTN_PACKAGES = {"flash_attention_2": "flash_attn", "flash_attention_3": "flash_attn_interface"}
# Exit status of a run stopped by SIGUSR1/SIGTERM after saving a complete checkpoint: "resubmit me" (EX_TEMPFAIL).
EXIT_CHECKPOINTED = 75


# Signals received before train() installed its handlers (recorded by main() from its first line on).
_EARLY_SIGNALS: list[int] = []
STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class TrainingInterrupted(RadtuneError):
    """Stopped by SIGTERM/SIGUSR1 after saving a checkpoint; rerunning resumes from it."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum


# ---- recipe -------------------------------------------------------------------------------------
def load_recipe(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read a recipe YAML: SFTConfig fields at the top level (plus MODEL_FIELDS) and an optional `lora:` block."""
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

    known = {f.name for f in dataclasses.fields(SFTConfig)} | set(MODEL_FIELDS)
    unknown = sorted(set(fields) - known)
    if unknown:
        raise RadtuneError(f"recipe {recipe_path}: unknown SFTConfig field(s) {', '.join(unknown)}")
    merged = {k: v for k, v in {**fields, **overrides}.items() if k not in MODEL_FIELDS}
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
    """Fail at once where the method cannot run (before any model is loaded). Every method runs on a CPU
    (qlora and full slowly: they are GPU methods); what cannot work is a missing package."""
    if method not in METHODS:
        raise RadtuneError(f"unknown method {method!r}; expected one of {', '.join(METHODS)}")
    need = {"qlora": "bitsandbytes", "full": "deepspeed"}.get(method)
    if need and importlib.util.find_spec(need) is None:
        how = (
            "DS_BUILD_OPS=0 pip install --no-build-isolation deepspeed"
            if need == "deepspeed"
            else "pip install bitsandbytes"
        )
        raise RadtuneError(f"method {method} needs the {need} package, which is not installed ({how})")
    if not cuda and method != "lora":
        log.warning(
            "no CUDA GPU visible: method %s runs on the CPU (%s), much slower than on a GPU",
            method,
            "4-bit NF4 bitsandbytes kernels" if method == "qlora" else "DeepSpeed ZeRO-3 over gloo CPU ranks",
        )


def check_model_fields(fields: dict[str, Any], recipe_path: str) -> None:
    """A recipe's attention implementation / Liger kernels need their packages: say so before loading anything."""
    attn = fields.get("attn_implementation")
    pkg = ATTN_PACKAGES.get(str(attn))
    if pkg and importlib.util.find_spec(pkg) is None:
        raise RadtuneError(
            f"recipe {recipe_path}: attn_implementation {attn} needs the {pkg} package, which is not installed"
            " (a CUDA GPU build); use attn_implementation: sdpa"
        )
    if fields.get("use_liger_kernel") and importlib.util.find_spec("liger_kernel") is None:
        raise RadtuneError(
            f"recipe {recipe_path}: use_liger_kernel needs the liger-kernel package, which is not installed"
            " (pip install liger-kernel; its Triton kernels need a GPU)"
        )


# ---- checkpoints --------------------------------------------------------------------------------
def run_key(
    spec: dict[str, Any], recipe: dict[str, Any], lora: dict[str, Any], train_fp: str, seed: int, content: str = ""
) -> str:
    """What makes checkpoints resumable: the same variant entry, recipe, tokenization, seed and data content."""
    return stable_hash(json.dumps([spec, recipe, lora, train_fp, seed, content], sort_keys=True, default=str))


def content_fingerprint(*dataset_dirs: str | os.PathLike) -> str:
    """sha256 of the examples of tokenized/packed dataset folders (their Arrow files, in name order): other
    training examples under the same tokenizer and length (new reports, another filter or split) give another
    fingerprint, so checkpoints of the old data are never resumed. Reads every byte once (~1 GB/s)."""
    digest = hashlib.sha256()
    for folder in dataset_dirs:
        for path in sorted(Path(folder).glob("*.arrow")):
            digest.update(path.name.encode())
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


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
        for p in [*folder.glob("checkpoint-*"), folder / DONE_DIR]:
            shutil.rmtree(p, ignore_errors=True)
        (folder / RUN_ID_FILE).unlink(missing_ok=True)  # the tracker run of the old training: a new run starts
    run_file.write_text(json.dumps({"key": key}) + "\n")
    return latest_complete_checkpoint(folder)


# ---- trainer pieces -----------------------------------------------------------------------------
def peak_mem_mb() -> float:
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _world() -> Any:
    """torch.distributed when more than one rank runs, else None."""
    import torch.distributed as dist

    return dist if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1 else None


def job_deadline() -> float | None:
    """With RADTUNE_STOP_MARGIN_S set, inside a SLURM job: the job's end time minus that margin (epoch seconds).
    A signal then lets training go on until that moment instead of stopping at the next step: SLURM's
    warning comes up to a minute early, and a job that stopped right away would waste that time."""
    margin, job = os.environ.get("RADTUNE_STOP_MARGIN_S"), os.environ.get("SLURM_JOB_ID")
    if not margin or not job:
        return None
    try:
        end = subprocess.run(
            ["squeue", "-h", "-j", job, "-o", "%e"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        import datetime

        return datetime.datetime.fromisoformat(end).timestamp() - float(margin)  # SLURM prints local time
    except (OSError, ValueError, subprocess.SubprocessError) as exc:
        log.warning("cannot read the job's end time (%s): stopping at the end of this step", exc)
        return None


def stop_now(stop: dict[str, Any]) -> bool:
    """Whether to checkpoint and stop at the end of this step, the same answer on every rank (ranks that
    disagreed on saving would block each other in ZeRO-3's collectives)."""
    local = False
    if stop["signal"] is not None:
        if "deadline" not in stop:
            stop["deadline"] = job_deadline()
            if stop["deadline"] is not None:
                log.warning(
                    "signal %d: training on until %.0f s from now", stop["signal"], stop["deadline"] - time.time()
                )
        # SIGTERM (the time limit itself, or a preemption) stops at once; USR1 at the deadline if there is one
        local = stop["signal"] == signal.SIGTERM or stop["deadline"] is None or time.time() >= stop["deadline"]
    dist = _world()
    if dist is None:
        return local
    import torch

    device = f"cuda:{torch.cuda.current_device()}" if dist.get_backend() == "nccl" else "cpu"
    flag = torch.tensor([int(local)], device=device)
    dist.all_reduce(flag, op=dist.ReduceOp.MAX)
    return bool(flag.item())


def make_callbacks(stop: dict[str, Any]) -> list[Any]:
    from transformers import TrainerCallback

    class StopOnSignal(TrainerCallback):
        """After a SIGTERM/SIGUSR1: save a checkpoint at the end of the current step, then stop."""

        def on_step_end(self, args, state, control, **kwargs):
            if stop_now(stop):
                stop["signal"] = stop["signal"] or int(signal.SIGUSR1)  # a rank that got no signal itself
                stop["stopping"] = True
                control.should_save = True
                control.should_training_stop = True
            return control

        def on_save(self, args, state, control, **kwargs):
            if stop.get("stopping") and state.global_step < state.max_steps:
                # The checkpoint is written (its trainer_state.json names the best checkpoint, for the rerun).
                # Forget the best in this process only: after the loop the Trainer would load it for nothing
                # (load_best_model_at_end) and, with save_total_limit 1, delete every other checkpoint - this
                # one, the resume point, included.
                state.best_model_checkpoint = None
            return control

    class MarkComplete(TrainerCallback):
        """on_save runs after the Trainer wrote model, optimizer, scheduler, RNG and trainer state."""

        def on_save(self, args, state, control, **kwargs):
            dist = _world()
            if dist is not None:  # every rank has written its part (ZeRO shards, RNG state) before the marker
                dist.barrier()
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
                mem = [round(peak_mem_mb(), 1)]
                dist = _world()
                if dist is not None:  # log() runs on every rank at the same step
                    mem = [None] * dist.get_world_size()
                    dist.all_gather_object(mem, round(peak_mem_mb(), 1))
                logs["peak_mem_mb"] = max(mem)
                logs["peak_mem_mb_ranks"] = "/".join(str(m) for m in mem)
            super().log(logs, start_time)

        def _inner_training_loop(self, *args: Any, **kwargs: Any) -> Any:
            self._last = (time.perf_counter(), int(self.state.num_input_tokens_seen))
            return super()._inner_training_loop(*args, **kwargs)

    return RadtuneTrainer


def preimport_model_class(base: str) -> type:
    """Import the base's model class now. Under ZeRO-3, from_pretrained builds the model inside
    deepspeed.zero.Init, and importing a transformers model module in there fails on torch 2.13
    (TypeError: Signature mismatch ... tensor_pynew: zero.Init patches tensor constructors while
    torch._dynamo registers its polyfills)."""
    from transformers import AutoConfig
    from transformers.models.auto.modeling_auto import MODEL_FOR_CAUSAL_LM_MAPPING

    return MODEL_FOR_CAUSAL_LM_MAPPING[type(AutoConfig.from_pretrained(base, local_files_only=True))]


def load_model(base: str, method: str, cuda: bool, bf16: bool, attn_implementation: str | None = None) -> Any:
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"local_files_only": True, "attn_implementation": attn_implementation or "sdpa"}
    if method == "qlora":
        kwargs["quantization_config"] = qlora_quantization()
        # non-quantized parts (embeddings, norms): bf16 on a GPU; fp32 on a CPU, where bf16 is ~12x slower
        kwargs["dtype"] = torch.bfloat16 if cuda else torch.float32
        kwargs["device_map"] = None if cuda else {"": "cpu"}
    else:
        kwargs["dtype"] = torch.bfloat16 if (cuda and bf16 and method != "full") else torch.float32
    if method == "full":
        preimport_model_class(base)
    model = AutoModelForCausalLM.from_pretrained(base, **kwargs)
    # No KV cache in training: with a cache, transformers skips detecting packed rows from position_ids.
    model.config.use_cache = False
    if method == "qlora":
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    return model


def describe_training(trainer: Any) -> dict[str, Any]:
    """What actually ran (not what the recipe asked): optimizer class, 4-bit layers and their quantization."""
    opt = getattr(trainer.optimizer, "optimizer", trainer.optimizer)  # accelerate wraps it
    four_bit = [m for m in trainer.model.modules() if type(m).__module__ == "bitsandbytes.nn.modules"]
    four_bit = [m for m in four_bit if type(m).__name__ == "Linear4bit"]
    quant = [getattr(m.weight, "quant_state", None) for m in four_bit]
    return {
        "optimizer": f"{type(opt).__module__}.{type(opt).__name__}",
        "optimizer_bits": getattr(getattr(opt, "args", None), "optim_bits", 32),
        "optimizer_paged": bool(getattr(opt, "is_paged", False)),
        "linear4bit_layers": len(four_bit),
        "quant_types": sorted({q.quant_type for q in quant if q is not None}),
        "double_quant": bool(quant) and all(q is not None and q.nested for q in quant),
        "deepspeed_zero_stage": (
            trainer.accelerator.deepspeed_plugin.zero_stage if getattr(trainer, "is_deepspeed_enabled", False) else None
        ),
    }


def greedy_samples(model: Any, val_ds: Any, n: int = 3, new_tokens: int = 8) -> list[dict[str, list[int]]]:
    """Greedy continuations (exactly `new_tokens`, eos not stopping) of the prompt part (labels -100) of the
    first `n` validation examples."""
    import torch

    model.eval()
    out = []
    for row in val_ds.select(range(min(n, len(val_ds)))):
        labels = row["labels"]
        cut = next((i for i, lab in enumerate(labels) if lab != -100), len(labels))
        prompt = row["input_ids"][:cut]
        device = next(model.parameters()).device
        with torch.inference_mode():
            ids = model.generate(
                input_ids=torch.tensor([prompt], device=device),
                attention_mask=torch.ones(1, len(prompt), dtype=torch.long, device=device),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                num_beams=1,
                use_cache=True,
            )
        out.append({"prompt_ids": list(prompt), "output_ids": ids[0, len(prompt) :].tolist()})
    return out


# ---- outputs ------------------------------------------------------------------------------------
def deliver(done: Path, output: str | os.PathLike) -> None:
    """Copy a finished model folder to the rule's output (atomically), then drop it from the checkpoints."""
    with atomic_path(output, directory=True) as tmp:
        for p in done.iterdir():
            shutil.copy2(p, tmp / p.name) if p.is_file() else shutil.copytree(p, tmp / p.name)
    shutil.rmtree(done, ignore_errors=True)


def write_log(log_history: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """One row per step that logged a train loss or ran an evaluation (the Trainer logs them as separate
    records): a cell the step has no value for is empty (loss on an evaluation-only step, eval_loss on most)."""
    by_step: dict[int, dict[str, Any]] = {}
    for h in log_history:
        if "step" in h and ("loss" in h or "eval_loss" in h):
            row = by_step.setdefault(int(h["step"]), {c: "" for c in LOG_COLUMNS})
            row.update({c: h[c] for c in LOG_COLUMNS if c in h})
    rows = [by_step[k] for k in sorted(by_step)]
    write_tsv(path, rows, LOG_COLUMNS)
    return rows


def kept_checkpoint(trainer: Any, eval_rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """With load_best_model_at_end: which checkpoint the output holds (the one the Trainer loaded at the end),
    its step, the metric it was chosen by and the eval loss logged at that step; None without the option."""
    args, state = trainer.args, trainer.state
    if not args.load_best_model_at_end:
        return None
    eval_loss = {int(r["step"]): r["eval_loss"] for r in eval_rows}
    if state.best_model_checkpoint is None:  # nothing evaluated and saved (or the best was deleted): last weights
        log.warning("load_best_model_at_end: no best checkpoint recorded; the output holds the last step's weights")
        step, name = state.global_step, None
    else:
        name = Path(state.best_model_checkpoint).name
        step = int(name.rsplit("-", 1)[1])
    metric = args.metric_for_best_model
    return {
        "checkpoint": name,
        "step": step,
        "eval_loss": eval_loss.get(step),
        "metric": metric if metric.startswith("eval_") else f"eval_{metric}",
        "metric_value": state.best_metric if name else None,
        "greater_is_better": args.greater_is_better,
    }


def plot_loss(
    rows: list[dict[str, Any]],
    eval_rows: list[dict[str, Any]],
    path: Path,
    title: str,
    kept: dict[str, Any] | None = None,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([r["step"] for r in rows], [r["loss"] for r in rows], label="train loss")
    if eval_rows:
        ax.plot([r["step"] for r in eval_rows], [r["eval_loss"] for r in eval_rows], "o-", label="val loss")
    if kept and kept.get("checkpoint") and kept.get("eval_loss") is not None:
        ax.plot([kept["step"]], [kept["eval_loss"]], "k*", markersize=12, label=f"kept ({kept['checkpoint']})")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# ---- main: prepare, run the trainer, write the outputs --------------------------------------------
ADAPTER_METHODS = ("lora", "qlora")  # trained as a peft adapter (the recipe's lora: block); full: every weight


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
    fields: dict[str, Any]  # the recipe's SFTConfig fields (+ MODEL_FIELDS)
    lora: dict[str, Any]  # the recipe's lora: block as peft.LoraConfig fields
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
    fields, lora = load_recipe(recipe_path)
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
    if method == "full" and not fields.get("deepspeed"):
        raise RadtuneError(f"recipe {recipe_path}: method full needs a deepspeed: config (config/deepspeed/zero3.json)")
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
    args = build_sft_config(fields, recipe_path, **overrides)
    return TrainRun(
        variant=variant,
        base=base,
        recipe_path=recipe_path,
        checkpoints=checkpoints,
        seed=seed,
        method=method,
        cuda=cuda,
        fields=fields,
        lora=lora,
        train_meta=train_meta,
        train_ds=train_ds,
        val_ds=val_ds,
        packed=packed,
        args=args,
        tracking=tracking,
    )


def run_trainer(
    run: TrainRun, resume: Path | None, extra_callbacks: list[Any] | None = None
) -> tuple[Any, Any, int | None]:
    """Load the tokenizer and the model and train, from `resume` if given. Returns (trainer, tokenizer, the
    signal received while training or None).

    A SIGTERM/SIGUSR1 (also one that came before this point: main's early handler, or the launcher's) makes
    the trainer save a complete checkpoint at the end of the current step and stop; stopped before the last
    step, this raises TrainingInterrupted (rerunning resumes). The process's own handlers are back on return.
    """
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(run.base, local_files_only=True)
    fields = run.fields
    model = load_model(run.base, run.method, run.cuda, bool(fields.get("bf16")), fields.get("attn_implementation"))
    peft_config = build_lora_config(run.lora, run.recipe_path) if run.method in ADAPTER_METHODS else None

    # a signal that came before this point (main's early handler, or the launcher's) counts: stop after one step
    early = _EARLY_SIGNALS[-1] if _EARLY_SIGNALS else int(os.environ.get("RADTUNE_EARLY_SIGNAL", "0")) or None
    stop: dict[str, Any] = {"signal": early}

    def on_signal(signum: int, _frame: Any) -> None:
        log.warning("signal %d: will save a checkpoint and stop", signum)
        stop["signal"] = signum

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGUSR1)}
    try:
        trainer = trainer_class()(
            model=model,
            args=run.args,
            train_dataset=run.train_ds,
            # unpacked val rows: the padding-free collator concatenates each batch into one row whose position_ids
            # restart per example (the same block-diagonal attention as the packed train rows)
            eval_dataset=run.val_ds if run.args.eval_strategy != "no" else None,
            processing_class=tokenizer,
            peft_config=peft_config,
            callbacks=make_callbacks(stop) + list(extra_callbacks or []),
        )
        trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if stop["signal"] is not None and trainer.state.global_step < trainer.state.max_steps:  # else: done anyway
        raise TrainingInterrupted(
            f"stopped by signal {stop['signal']} at step {trainer.state.global_step}; "
            f"checkpoint saved in {run.checkpoints}, rerun to resume",
            stop["signal"],
        )
    return trainer, tokenizer, stop["signal"]


def variant_summary(run: TrainRun, trainer: Any, resume: Path | None) -> dict[str, Any]:
    """radtune_variant.json as far as the trainer tells it (write_outputs adds losses, what ran and samples)."""
    method = run.method
    return {
        "variant": run.variant,
        "method": method,
        "base": str(run.base),
        "recipe": str(run.recipe_path),
        "recipe_fields": run.fields,
        "lora": run.lora if method in ADAPTER_METHODS else None,
        "packing": run.packed,
        "seed": run.seed,
        "device": "cuda" if run.cuda else "cpu",
        "world_size": run.args.world_size,
        "global_step": trainer.state.global_step,
        "resumed_from": resume.name if resume else None,
        # what radtune.evaluate.generate evaluates: a QLoRA adapter on the same 4-bit base it was trained on (not
        # merged)
        "quantization": (
            {"load_in_4bit": True, "quant_type": "nf4", "double_quant": True, "compute_dtype": "bfloat16"}
            if method == "qlora"
            else None
        ),
        "eval_weights": {
            "lora": "adapter merged into the base",
            "qlora": "adapter on the NF4 base, not merged",
            "full": "the gathered full weights",
        }[method],
        "tokenizer_fingerprint": run.train_meta["tokenizer_fingerprint"],
        "data_fingerprint": run.train_meta["fingerprint"],  # tokenizer + max_seq_len + truncation
        "data_content_fingerprint": run.content,  # the train and val examples themselves
        "max_seq_len": run.train_meta["max_seq_len"],
        # the tracker run of this training (radtune.core.tracking): the eval rows are logged into it too
        "tracking": run.tracking if run.tracking and "backend" in run.tracking and "location" in run.tracking else None,
    }


def write_outputs(
    run: TrainRun, trainer: Any, tokenizer: Any, resume: Path | None, signalled: int | None, output: str
) -> dict[str, Any]:
    """Save the trained model (every rank takes part), then on rank 0 write the finished folder (model,
    tokenizer, train_log.tsv, loss.png, radtune_variant.json) beside the checkpoints and deliver it to `output`.
    Signalled during the run (`signalled`), the folder waits there for the rerun: TrainingInterrupted.
    Returns radtune_variant.json's content ({} on other ranks)."""
    facts = describe_training(trainer)
    samples = greedy_samples(trainer.model, run.val_ds) if run.args.world_size == 1 and len(run.val_ds) else []
    final = Path(run.checkpoints) / "final"
    trainer.save_model(str(final))  # every rank takes part (ZeRO-3 gathers the weights); rank 0 writes
    if not trainer.is_world_process_zero():
        return {}
    history = trainer.state.log_history
    summary = {
        **variant_summary(run, trainer, resume),
        **facts,
        # greedy continuations of the first validation prompts by the model as trained (in memory): the model
        # radtune.evaluate.generate loads from this folder must reproduce them
        "samples": samples,
    }
    done = run.done
    with atomic_path(done, directory=True) as tmp:
        for p in final.iterdir():
            shutil.copy2(p, tmp / p.name) if p.is_file() else shutil.copytree(p, tmp / p.name)
        tokenizer.save_pretrained(tmp)
        rows = write_log(history, tmp / "train_log.tsv")
        eval_rows = [r for r in rows if r["eval_loss"] != ""]
        rows = [r for r in rows if r["loss"] != ""]
        summary["final_loss"] = rows[-1]["loss"] if rows else None
        summary["first_loss"] = rows[0]["loss"] if rows else None
        summary["final_eval_loss"] = eval_rows[-1]["eval_loss"] if eval_rows else None
        # load_best_model_at_end: the output is this checkpoint's weights, not the last step's (None: the last)
        summary["kept_checkpoint"] = kept_checkpoint(trainer, eval_rows)
        plot_loss(rows, eval_rows, tmp / "loss.png", f"{run.variant} ({run.method})", summary["kept_checkpoint"])
        (tmp / "radtune_variant.json").write_text(json.dumps(summary, indent=1, sort_keys=True, default=str) + "\n")
    shutil.rmtree(final, ignore_errors=True)
    if signalled is not None:
        raise TrainingInterrupted(
            f"finished at step {trainer.state.global_step}, but signalled ({signalled}): the output waits in"
            f" {done}; the rerun delivers it",
            signalled,
        )
    deliver(done, output)
    log.info(
        "trained %s: %d steps, loss %s -> %s",
        run.variant,
        summary["global_step"],
        summary["first_loss"],
        summary["final_loss"],
    )
    return summary


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
    tracking: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Train one variant; write the output folder atomically. Returns radtune_variant.json's content.

    `tracking` (config `tracking`): where the trainer reports, unless the recipe sets report_to itself."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    run = prepare(variant, spec, recipe_path, base, train_dir, val_dir, checkpoints, seed, tracking)

    t0 = time.perf_counter()
    run.content = content_fingerprint(train_dir, val_dir)
    log.info("training data content fingerprint %s (%.1f s)", run.content, time.perf_counter() - t0)
    key = run_key(spec, run.fields, run.lora, run.train_meta["fingerprint"], seed, run.content)
    with run.args.main_process_first(desc="checkpoints"):  # rank 0 prepares the folder before the others look
        is_main = run.args.process_index == 0
        resume = prepare_checkpoints(Path(checkpoints), key) if is_main else latest_complete_checkpoint(checkpoints)
    if (run.done / "radtune_variant.json").exists():  # prepare_checkpoints removed it if it was another run's
        log.info("training finished in an earlier, signalled run: delivering %s", run.done)
        summary = json.loads((run.done / "radtune_variant.json").read_text())
        if is_main:
            deliver(run.done, output)
        return summary if is_main else {}
    if resume:
        log.info("resuming from %s", resume.name)

    started = None
    if is_main and run.args.report_to:
        started = start_training(tracking or {}, variant, checkpoints, tracked_params(run), list(run.args.report_to))
        run.tracking = started
    finished = False
    try:
        trainer, tokenizer, signalled = run_trainer(run, resume, extra_callbacks)
        summary = write_outputs(run, trainer, tokenizer, resume, signalled, output)
        finished = True
        return summary
    finally:
        end_training(started, finished)


def tracked_params(run: TrainRun) -> dict[str, Any]:
    """What a tracker run records of a training besides the trainer's own arguments: radtune's facts and the
    recipe (configuration and fingerprints only: no example, no text)."""
    facts = {
        "radtune.variant": run.variant,
        "radtune.method": run.method,
        "radtune.base": str(run.base),
        "radtune.recipe": str(run.recipe_path),
        "radtune.data_fingerprint": run.train_meta["fingerprint"],
        "radtune.data_content_fingerprint": run.content,
        "radtune.tokenizer_fingerprint": run.train_meta["tokenizer_fingerprint"],
        "radtune.max_seq_len": run.train_meta["max_seq_len"],
        "radtune.packing": run.packed,
        "radtune.seed": run.seed,
        "radtune.git_commit": git_commit(),
    }
    return (
        facts | {f"recipe.{k}": v for k, v in run.fields.items()} | {f"recipe.lora.{k}": v for k, v in run.lora.items()}
    )


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def run_distributed(cmd: list[str], output: str, env: dict[str, str]) -> None:
    """Run the per-rank processes (torchrun) and turn their outcome into this process's exit.

    torchrun runs with SIGUSR1 ignored (it would die of it); a SIGUSR1/SIGTERM sent to this process
    (SLURM's warning before the time limit) is passed on as SIGUSR1 to every process below it, which the
    ranks catch: they finish the step, save a complete checkpoint together and exit. Then this process
    exits EXIT_CHECKPOINTED: rerunning resumes."""
    got: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        got.append(signum)
        for pid in descendants(proc.pid):  # torchrun starts each rank in a session of its own
            try:
                os.kill(pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass

    def ignore_usr1() -> None:
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)

    proc = subprocess.Popen(cmd, env=env, start_new_session=True, preexec_fn=ignore_usr1)
    old = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGUSR1)}
    try:
        rc = proc.wait()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if rc == 0 and Path(output).is_dir():
        return
    if rc == 0 or got:  # the ranks stopped on a signal (theirs or ours) after checkpointing
        print(
            f"radtune: stopped by a signal; checkpoint saved, rerun to resume (exit {EXIT_CHECKPOINTED})",
            file=sys.stderr,
        )
        sys.exit(EXIT_CHECKPOINTED)
    raise RadtuneError(f"distributed training exited with status {rc}")


def main(argv: list[str] | None = None) -> None:
    # SLURM's warning may come while this is still importing: remember it (train() then stops after one step)
    old = {s: signal.signal(s, lambda signum, _frame: _EARLY_SIGNALS.append(signum)) for s in STOP_SIGNALS}
    try:
        _main(argv)
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _main(argv: list[str] | None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--variant", required=True)
    ap.add_argument("--spec", required=True, help="JSON variant entry: base, method, recipe, packing, gpus")
    ap.add_argument("--recipe", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--train", required=True)
    ap.add_argument("--val", required=True)
    ap.add_argument("--checkpoints", required=True)
    ap.add_argument("--seed", type=int, required=True, help="config `seed`")
    ap.add_argument("--output", required=True)
    ap.add_argument("--tracking", default="{}", help="JSON: config['tracking'] (backend, uri, experiment)")
    args = ap.parse_args(argv)
    spec = json_arg(args.spec, "--spec")
    tracking = json_arg(args.tracking, "--tracking")

    import torch

    cuda = torch.cuda.is_available()
    method = spec["method"]
    check_method(method, cuda)
    ngpu = torch.cuda.device_count() if cuda else 0
    want = int(spec["gpus"])
    nproc = max(1, min(want or ngpu, ngpu)) if cuda else cpu_ranks(spec)
    nnodes = int(spec["nodes"])
    if nnodes > 1 and "SLURM_JOB_ID" not in os.environ:
        raise RadtuneError(
            f"variant {args.variant}: nodes: {nnodes} needs a SLURM allocation of {nnodes} nodes"
            " (snakemake --profile slurm); without SLURM use nodes: 1"
        )
    if "LOCAL_RANK" not in os.environ and (nproc > 1 or method == "full" or nnodes > 1):
        # One process per GPU of this job (CPU: cpu_ranks gloo processes; srun across nodes): relaunch this
        # module under torchrun.
        head = slurm_head_node() if nnodes > 1 else ""
        cmd = distributed_command(
            list(argv if argv is not None else sys.argv[1:]), nproc, nnodes, head, os.environ.get("SLURM_JOB_ID", "0")
        )
        env = dict(os.environ)
        if not cuda:
            env["DS_ACCELERATOR"] = "cpu"
        if _EARLY_SIGNALS:
            env["RADTUNE_EARLY_SIGNAL"] = str(signal.SIGUSR1)
        log.info("launching %s", " ".join(cmd))
        run_distributed(cmd, args.output, env)
        return
    try:
        train(
            args.variant,
            spec,
            args.recipe,
            args.base,
            args.train,
            args.val,
            args.checkpoints,
            args.seed,
            args.output,
            tracking=tracking,
        )
    except TrainingInterrupted as exc:
        print(f"radtune: {exc}", file=sys.stderr)
        # under torchrun: exit 0 so torchrun does not kill the other ranks mid-save; the launcher exits 75
        sys.exit(0 if "LOCAL_RANK" in os.environ else EXIT_CHECKPOINTED)


if __name__ == "__main__":
    run_main(main)
