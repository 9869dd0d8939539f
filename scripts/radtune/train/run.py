"""Fine-tuning of one variant (LoRA, QLoRA, full/ZeRO-3) from a recipe, with resumable checkpoints."""

# The run itself: prepare (radtune.train.prepare), the trainer (radtune.train.model), stopping on signals
# (radtune.train.preemption), checkpoints (radtune.train.checkpoints), the outputs (radtune.train.outputs); the
# command line relaunches itself under torchrun (radtune.train.launch) where it needs more than one process.

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from radtune.core.common import RadtuneError, json_arg, run_main
from radtune.core.tracking import end_training, start_training
from radtune.train.checkpoints import content_fingerprint, latest_complete_checkpoint, prepare_checkpoints, run_key
from radtune.train.launch import cpu_ranks, distributed_command, run_distributed, slurm_head_node
from radtune.train.model import ADAPTER_METHODS, check_method, load_model, trainer_class
from radtune.train.outputs import deliver, tracked_params, write_outputs
from radtune.train.preemption import (
    EXIT_CHECKPOINTED,
    STOP_SIGNALS,
    TrainingInterrupted,
    make_callbacks,
    stop_signals_caught,
)
from radtune.train.prepare import TrainRun, prepare
from radtune.train.recipes import build_lora_config

log = logging.getLogger("radtune.train.run")

# Signals received before train() installed its handlers (recorded by main() from its first line on).
_EARLY_SIGNALS: list[int] = []


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
    with stop_signals_caught(early) as stop:
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
    if stop["signal"] is not None and trainer.state.global_step < trainer.state.max_steps:  # else: done anyway
        raise TrainingInterrupted(
            f"stopped by signal {stop['signal']} at step {trainer.state.global_step}; "
            f"checkpoint saved in {run.checkpoints}, rerun to resume",
            stop["signal"],
        )
    return trainer, tokenizer, stop["signal"]


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
