"""What a finished training writes: the model folder (weights, tokenizer, train_log.tsv, loss.png,
radtune_variant.json) beside the checkpoints, delivered atomically to the rule's output, and what a tracker run
records of the training."""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from radtune.core.common import atomic_path
from radtune.core.formats import write_tsv
from radtune.core.tracking import git_commit
from radtune.train.model import ADAPTER_METHODS
from radtune.train.preemption import TrainingInterrupted
from radtune.train.prepare import TrainRun

log = logging.getLogger("radtune.train.run")  # the run's logger: log lines name radtune.train.run as before

# tokens_per_s: all ranks together; peak_mem_mb: the largest rank; peak_mem_mb_ranks: each rank, "/"-separated;
# eval_loss: the val split's loss where the recipe evaluated at that step (eval_strategy / eval_steps)
LOG_COLUMNS = ("step", "loss", "learning_rate", "tokens_per_s", "peak_mem_mb", "peak_mem_mb_ranks", "eval_loss")


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
