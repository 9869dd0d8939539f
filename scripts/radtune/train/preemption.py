"""Stopping a training run on SLURM's signals: SIGUSR1/SIGTERM make every rank save a complete checkpoint at the
end of a step (at the job's deadline where RADTUNE_STOP_MARGIN_S gives one) and stop; the run then ends as
TrainingInterrupted / exit EXIT_CHECKPOINTED, and rerunning resumes."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from radtune.core.common import RadtuneError
from radtune.train.checkpoints import COMPLETE_MARKER

log = logging.getLogger("radtune.train.run")  # the run's logger: log lines name radtune.train.run as before

# Exit status of a run stopped by SIGUSR1/SIGTERM after saving a complete checkpoint: "resubmit me" (EX_TEMPFAIL).
EXIT_CHECKPOINTED = 75
STOP_SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class TrainingInterrupted(RadtuneError):
    """Stopped by SIGTERM/SIGUSR1 after saving a checkpoint; rerunning resumes from it."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.signum = signum


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


@contextlib.contextmanager
def stop_signals_caught(early: int | None) -> Iterator[dict[str, Any]]:
    """While inside: SIGTERM/SIGUSR1 are recorded in the yielded dict (`signal`, from `early` on: a signal that
    came before) for make_callbacks' StopOnSignal; the process's own handlers are back on exit."""
    stop: dict[str, Any] = {"signal": early}

    def on_signal(signum: int, _frame: Any) -> None:
        log.warning("signal %d: will save a checkpoint and stop", signum)
        stop["signal"] = signum

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGUSR1)}
    try:
        yield stop
    finally:
        for s, h in old.items():
            signal.signal(s, h)


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
