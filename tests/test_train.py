"""Tests for radtune.train.run and the modules it is made of (recipes, model, checkpoints, preemption, prepare):
packed-sequence isolation, package checks, fingerprint refusal, resume after a signal."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))

torch = pytest.importorskip("torch")

from _config import schema_defaults  # noqa: E402
from _helpers import chat_records, read_tsv  # noqa: E402
from _tiny_model import tiny_llama  # noqa: E402

from radtune.core.common import RadtuneError  # noqa: E402
from radtune.data.pack import pack_dir  # noqa: E402
from radtune.data.tokenize import tokenize_file  # noqa: E402
from radtune.train import checkpoints as C  # noqa: E402
from radtune.train import model as M  # noqa: E402
from radtune.train import preemption as P  # noqa: E402
from radtune.train import recipes as R  # noqa: E402
from radtune.train import run as T  # noqa: E402
from radtune.train.prepare import prepare  # noqa: E402

TINY_RECIPE = """
learning_rate: 1.0e-3
max_steps: {max_steps}
per_device_train_batch_size: 2
logging_steps: 1
save_steps: {save_steps}
lora:
  r: 4
  alpha: 8
  dropout: 0.0
  target_modules: [q_proj, v_proj]
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_base):
    """Tokenized train/val for the tiny base + packed train (max_seq_len 128); `base` links to the shared base."""
    d = tmp_path_factory.mktemp("train")
    (d / "base").symlink_to(tiny_base, target_is_directory=True)
    for split, n in (("train", 40), ("val", 6)):
        p = d / f"{split}.jsonl"
        p.write_text("".join(json.dumps(r) + "\n" for r in chat_records(n)))
        params = {"max_seq_len": 128, "truncation": "truncate", "num_proc": 1, "batch_size": 100}
        tokenize_file(p, tiny_base, params, d / "tok" / split, d / "tok" / f"{split}.stats.json")
    pack_dir(d / "tok" / "train", 128, d / "packed", d / "packed.stats.json")
    return d


def _write_recipe(d: Path, max_steps: int, save_steps: int) -> Path:
    p = d / f"recipe_{max_steps}_{save_steps}.yaml"
    p.write_text(TINY_RECIPE.format(max_steps=max_steps, save_steps=save_steps))
    return p


@pytest.fixture(scope="module")
def unpacked_run(workdir, tmp_path_factory) -> SimpleNamespace:
    """One LoRA training of 2 steps on padded batches of the tokenized (unpacked) train split, a checkpoint at step
    2: summary, spec, recipe, checkpoint and output folders. Shared: a test that trains on copies the checkpoints."""
    d = tmp_path_factory.mktemp("unpacked")
    recipe = str(_write_recipe(d, 2, 2))
    spec = {"base": "b", "method": "lora", "recipe": recipe, "packing": False}
    base, train, val = str(workdir / "base"), str(workdir / "tok" / "train"), str(workdir / "tok" / "val")
    summary = T.train("u", spec, recipe, base, train, val, str(d / "ck"), 1, str(d / "out"))
    return SimpleNamespace(summary=summary, spec=spec, recipe=recipe, ck=d / "ck", out=d / "out")


def _token_losses(model, batch, logits=None) -> torch.Tensor:
    if logits is None:
        with torch.no_grad():  # use_cache=False as in training (SFTTrainer.compute_loss sets it)
            logits = model(**{k: v for k, v in batch.items() if k != "labels"}, use_cache=False).logits
    labels = batch["labels"]
    shift_logits, shift_labels = logits[:, :-1], labels[:, 1:]
    return torch.nn.functional.cross_entropy(
        shift_logits.reshape(-1, shift_logits.size(-1)), shift_labels.reshape(-1), ignore_index=-100, reduction="none"
    ).reshape(shift_labels.shape)


def test_packed_example_loss_equals_alone(workdir, smollm2_tok):
    """Per-token loss of an example packed beside others equals its loss computed alone (no cross attention)."""
    from datasets import load_from_disk

    tok = copy.deepcopy(smollm2_tok)  # the trainer may set its pad token
    model = tiny_llama(len(tok), seed=3, eos_token_id=tok.eos_token_id)
    packed = load_from_disk(str(workdir / "packed"))
    row = next(r for r in packed if len(r["seq_lengths"]) >= 3)
    # The exact training path: radtune.train's trainer on our packed data (padding-free collator, compute_loss).
    args = R.build_sft_config(
        {},
        "test",
        output_dir=str(workdir / "iso"),
        report_to=[],
        use_cpu=True,
        bf16=False,
        padding_free=True,
        max_length=None,
        dataset_kwargs={"skip_prepare_dataset": True},
    )
    trainer = M.trainer_class()(model=model, args=args, train_dataset=packed, processing_class=tok)
    batch = trainer.data_collator([{k: row[k] for k in ("input_ids", "labels", "seq_lengths")}])
    assert "attention_mask" not in batch and batch["input_ids"].shape[0] == 1
    model.eval()
    with torch.no_grad():
        loss, out = trainer.compute_loss(model, dict(batch), return_outputs=True)
    packed_losses = _token_losses(model, batch, logits=out.logits)[0]
    # the loss the optimizer sees is the mean of exactly these per-token losses
    valid = batch["labels"][0, 1:] != -100
    torch.testing.assert_close(loss, packed_losses[valid].mean(), rtol=1e-5, atol=1e-6)

    start = 0
    for n in row["seq_lengths"]:
        ids, labels = row["input_ids"][start : start + n], row["labels"][start : start + n]
        alone = _token_losses(model, {"input_ids": torch.tensor([ids]), "labels": torch.tensor([labels])})[0]
        # losses of predicting tokens start+1 .. start+n-1 from inside the example
        inside = packed_losses[start : start + n - 1]
        mask = torch.tensor(labels[1:]) != -100
        assert mask.any()
        torch.testing.assert_close(inside[mask], alone[mask], rtol=1e-4, atol=1e-5)
        start += n

    # control: the same row WITHOUT restarting positions (one long causal sequence) does leak across examples
    leaky = {"input_ids": batch["input_ids"], "labels": batch["labels"].clone()}
    leaky_losses = _token_losses(model, leaky)[0]
    second = slice(row["seq_lengths"][0], sum(row["seq_lengths"][:2]) - 1)
    assert not torch.allclose(leaky_losses[second], packed_losses[second], atol=1e-4)


@pytest.mark.parametrize(("method", "package"), [("qlora", "bitsandbytes"), ("full", "deepspeed")])
def test_gpu_methods_without_their_package_fail_at_once(method, package, tmp_path, monkeypatch):
    """qlora and full run on a CPU too (tests/test_train_methods.py); what stops them is a missing package."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == package else real(n, *a))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    spec = json.dumps({**schema_defaults("variants.<name>"), "method": method, "recipe": "r", "gpus": 1})
    with pytest.raises(RadtuneError, match=f"method {method} needs the {package} package"):
        T.main(
            [
                "--variant",
                "v",
                "--spec",
                spec,
                "--recipe",
                "nonexistent.yaml",
                "--base",
                "nowhere",
                "--train",
                "x",
                "--val",
                "y",
                "--checkpoints",
                str(tmp_path / "c"),
                "--seed",
                "0",
                "--output",
                str(tmp_path / "o"),
            ]
        )
    assert not (tmp_path / "o").exists()


def test_recipe_unknown_key_is_an_error(tmp_path):
    """One reader of a recipe (radtune.train.recipes.read_recipe), at start-up and when training starts: it splits
    the file into SFTConfig fields, model fields and the lora: block, and refuses an unknown field."""
    p = tmp_path / "r.yaml"
    p.write_text("learning_rate: 1.0e-4\nnot_a_field: 3\nlora: {r: 4, alpha: 8}\n")
    with pytest.raises(RadtuneError, match=f"recipe {p}: unknown field\\(s\\) not_a_field"):
        R.read_recipe(p)
    with pytest.raises(RadtuneError, match="not_a_field"):
        prepare("v", {"method": "lora", "packing": True}, str(p), "b", "t", "v", str(tmp_path / "ck"), 0)
    p.write_text("learning_rate: 1.0e-4\nattn_implementation: eager\nlora: {r: 4, alpha: 8}\n")
    recipe = R.read_recipe(p)
    assert recipe.lora == {"r": 4, "lora_alpha": 8}
    assert recipe.fields == {"learning_rate": 1e-4, "attn_implementation": "eager"}
    assert recipe.sft == {"learning_rate": 1e-4} and recipe.model == {"attn_implementation": "eager"}
    cfg = R.build_sft_config(recipe.sft, str(p), output_dir=str(tmp_path), use_cpu=True, bf16=False)
    assert cfg.learning_rate == 1e-4
    assert R.build_lora_config(recipe.lora, str(p)).lora_alpha == 8


def test_refuses_dataset_of_another_tokenizer(workdir, tiny_base, tmp_path):
    """A tokenized dataset built for one tokenizer/template is refused for a base with another."""
    other = shutil.copytree(tiny_base, tmp_path / "other")
    (other / "chat_template.jinja").write_text("{% for m in messages %}{{ m['content'] }}\n{% endfor %}")
    spec = {"base": "b", "method": "lora", "recipe": "r", "packing": True}
    with pytest.raises(RadtuneError, match="different tokenizer/chat template"):
        T.train(
            "v",
            spec,
            str(_write_recipe(tmp_path, 2, 2)),
            str(other),
            str(workdir / "packed"),
            str(workdir / "tok" / "val"),
            str(tmp_path / "ck"),
            0,
            str(tmp_path / "out"),
        )
    assert not (tmp_path / "out").exists()


def test_other_training_data_never_resumes_old_checkpoints(workdir, unpacked_run, tmp_path):
    """Same recipe, tokenizer and length, other examples (new reports, another split): the checkpoints of the
    finished run are not resumed (that would deliver the old model for the new data)."""
    first, spec, recipe = unpacked_run.summary, unpacked_run.spec, unpacked_run.recipe
    base, val, ck = str(workdir / "base"), str(workdir / "tok" / "val"), str(tmp_path / "ck")
    shutil.copytree(unpacked_run.ck, ck)  # the finished run's checkpoints
    assert C.latest_complete_checkpoint(ck) is not None
    other = tmp_path / "other.jsonl"
    other.write_text("".join(json.dumps(r) + "\n" for r in chat_records(40)[::-1][:30]))
    params = {"max_seq_len": 128, "truncation": "truncate", "num_proc": 1, "batch_size": 100}
    tokenize_file(other, base, params, tmp_path / "tok_other", tmp_path / "tok_other.stats.json")
    second = T.train("u", spec, recipe, base, str(tmp_path / "tok_other"), val, ck, 1, str(tmp_path / "b"))
    assert second["data_fingerprint"] == first["data_fingerprint"]  # same tokenizer and length
    assert second["data_content_fingerprint"] != first["data_content_fingerprint"]
    assert second["resumed_from"] is None and second["global_step"] == 2
    again = T.train("u", spec, recipe, base, str(tmp_path / "tok_other"), val, ck, 1, str(tmp_path / "c"))
    assert again["data_content_fingerprint"] == second["data_content_fingerprint"]  # stable: resumable


@pytest.mark.slow
def test_signal_checkpoint_and_resume_continue_the_run(workdir, tmp_path):
    """SIGTERM mid-run saves a checkpoint and stops; the rerun resumes (same steps/losses as an uninterrupted run)."""
    from transformers import TrainerCallback

    recipe = str(_write_recipe(tmp_path, 8, 3))
    spec = {"base": "b", "method": "lora", "recipe": recipe, "packing": True}
    args = (str(workdir / "base"), str(workdir / "packed"), str(workdir / "tok" / "val"))

    ref = T.train("ref", spec, recipe, *args, str(tmp_path / "ck_ref"), 7, str(tmp_path / "ref"))
    assert ref["global_step"] == 8 and ref["resumed_from"] is None

    class SendSigterm(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            if state.global_step == 4:
                os.kill(os.getpid(), signal.SIGTERM)

    ck = tmp_path / "ck"
    with pytest.raises(P.TrainingInterrupted) as exc:
        T.train("v", spec, recipe, *args, str(ck), 7, str(tmp_path / "out"), extra_callbacks=[SendSigterm()])
    assert exc.value.signum == signal.SIGTERM
    assert not (tmp_path / "out").exists()
    assert C.latest_complete_checkpoint(ck).name == "checkpoint-5"  # saved at the end of the step it was in

    summary = T.train("v", spec, recipe, *args, str(ck), 7, str(tmp_path / "out"))
    assert summary["resumed_from"] == "checkpoint-5" and summary["global_step"] == 8
    rows, ref_rows = read_tsv(tmp_path / "out" / "train_log.tsv"), read_tsv(tmp_path / "ref" / "train_log.tsv")
    assert [r["step"] for r in rows] == [str(i) for i in range(1, 9)]  # log continued, not restarted
    for a, b in zip(rows, ref_rows, strict=True):
        assert float(a["loss"]) == pytest.approx(float(b["loss"]), rel=1e-4)
        assert float(a["learning_rate"]) == pytest.approx(float(b["learning_rate"]), rel=1e-6)
    for name in ("adapter_model.safetensors", "radtune_variant.json", "loss.png", "tokenizer.json"):
        assert (tmp_path / "out" / name).exists()


def test_incomplete_checkpoint_is_ignored(tmp_path):
    (tmp_path / "checkpoint-2").mkdir()
    (tmp_path / "checkpoint-2" / C.COMPLETE_MARKER).write_text("2\n")
    (tmp_path / "checkpoint-10").mkdir()
    (tmp_path / "checkpoint-4").mkdir()
    (tmp_path / "checkpoint-4" / C.COMPLETE_MARKER).write_text("4\n")
    assert C.latest_complete_checkpoint(tmp_path).name == "checkpoint-4"
    # checkpoints of another run (other recipe/data/seed) are wiped rather than resumed
    assert C.prepare_checkpoints(tmp_path, "a").name == "checkpoint-4"
    assert C.prepare_checkpoints(tmp_path, "b") is None


def test_unpacked_variant_trains_and_packing_mismatch_is_refused(workdir, unpacked_run, tmp_path):
    """packing: false trains on padded batches of the tokenized split; a packed/unpacked mix-up is an error."""
    summary, spec, recipe = unpacked_run.summary, unpacked_run.spec, unpacked_run.recipe
    base, tok_train, val = str(workdir / "base"), str(workdir / "tok" / "train"), str(workdir / "tok" / "val")
    assert summary["global_step"] == 2 and summary["packing"] is False
    rows = read_tsv(unpacked_run.out / "train_log.tsv")
    assert [r["step"] for r in rows] == ["1", "2"] and all(float(r["peak_mem_mb"]) > 0 for r in rows)
    with pytest.raises(RadtuneError, match="packing is True"):
        T.train("u", {**spec, "packing": True}, recipe, base, tok_train, val, str(tmp_path / "c2"), 1, str(tmp_path))


EVAL_RECIPE = """
learning_rate: 1.0e-3
max_steps: 6
per_device_train_batch_size: 2
logging_steps: 1
save_steps: 2
save_total_limit: 1
eval_strategy: steps
eval_steps: 2
per_device_eval_batch_size: 3
load_best_model_at_end: true
lora:
  r: 4
  alpha: 8
  dropout: 0.0
  target_modules: [q_proj, v_proj]
"""


def _spoil_after_step_3():
    """A callback that spoils the adapter at the end of step 3 (before any checkpoint of that step is saved):
    the eval loss then rises, so the lowest is step 2's, not the last step's."""
    from transformers import TrainerCallback

    class Spoil(TrainerCallback):
        def on_step_end(self, args, state, control, model=None, **kw):
            if state.global_step == 3:
                with torch.no_grad():
                    for name, p in model.named_parameters():
                        if "lora_B" in name:
                            p.add_(0.5)

    return Spoil()


def _val_loss_of(folder: Path, base: Path, val_dir: Path, batch_size: int) -> float:
    """The eval loss the Trainer reports, computed directly: the saved adapter on the base, each val example
    alone (unpacked, no padding); per batch of `batch_size` examples the mean over its label tokens, then the
    mean over the batches (transformers weighs each eval batch alike)."""
    from datasets import load_from_disk
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), folder).eval()
    val = load_from_disk(str(val_dir))
    means = []
    for start in range(0, len(val), batch_size):
        total, count = 0.0, 0
        for row in val.select(range(start, min(start + batch_size, len(val)))):
            batch = {"input_ids": torch.tensor([row["input_ids"]]), "labels": torch.tensor([row["labels"]])}
            mask = batch["labels"][0, 1:] != -100
            total += float(_token_losses(model, batch)[0][mask].sum())
            count += int(mask.sum())
        means.append(total / count)
    return sum(means) / len(means)


def _eval_losses(path: Path) -> dict[int, float]:
    return {int(r["step"]): float(r["eval_loss"]) for r in read_tsv(path) if r["eval_loss"]}


@pytest.fixture(scope="module")
def keep_best_run(workdir, tmp_path_factory) -> tuple[dict, Path]:
    """EVAL_RECIPE on the packed train split (eval every 2 steps, keep the best), spoiled after step 3, run to the
    end: (summary, output folder)."""
    d = tmp_path_factory.mktemp("keep_best")
    recipe = d / "eval.yaml"
    recipe.write_text(EVAL_RECIPE)
    spec = {"base": "b", "method": "lora", "recipe": str(recipe), "packing": True}
    args = (str(workdir / "base"), str(workdir / "packed"), str(workdir / "tok" / "val"))
    summary = T.train("e", spec, str(recipe), *args, str(d / "ck"), 7, str(d / "out"),
                      extra_callbacks=[_spoil_after_step_3()])  # fmt: skip
    return summary, d / "out"


def test_eval_loss_with_packed_training_and_keep_best(workdir, keep_best_run):
    """Packed train rows, the unpacked val split evaluated every 2 steps (a batch's examples in one padding-free
    row, position ids restarting per example): eval_loss in the train log at exactly those steps, equal to the
    loss of the delivered model on val computed example by example; with load_best_model_at_end the output is
    the checkpoint with the lowest eval loss, named in radtune_variant.json."""
    import math

    summary, out = keep_best_run
    base, val = workdir / "base", workdir / "tok" / "val"
    rows = read_tsv(out / "train_log.tsv")
    assert [r["step"] for r in rows] == [str(i) for i in range(1, 7)] and all(r["loss"] for r in rows)
    evals = _eval_losses(out / "train_log.tsv")
    assert sorted(evals) == [2, 4, 6] and all(math.isfinite(v) for v in evals.values())
    best = min(evals, key=evals.get)
    assert best == 2 and evals[6] > evals[2]  # spoiled after step 3: the last step is not the best
    kept = summary["kept_checkpoint"]
    assert kept["step"] == best and kept["checkpoint"] == f"checkpoint-{best}" and kept["metric"] == "eval_loss"
    assert kept["eval_loss"] == pytest.approx(evals[best]) and kept["metric_value"] == pytest.approx(evals[best])
    assert summary["global_step"] == 6 and summary["final_eval_loss"] == pytest.approx(evals[6])
    # the delivered adapter is step 2's: its loss on val, example by example, is the loss logged at step 2
    assert _val_loss_of(out, base, val, 3) == pytest.approx(evals[best], rel=1e-4)
    assert json.loads((out / "radtune_variant.json").read_text())["kept_checkpoint"] == kept


def test_keep_best_needs_eval_at_every_save(tmp_path):
    """load_best_model_at_end only with eval_strategy steps and eval_steps == save_steps (radtune saves by steps;
    only a saved checkpoint can be kept): stopped at start-up (radtune.train.recipes) and by train itself."""
    from radtune.train import recipes

    for extra, message in (
        ('eval_strategy: "no"\n', "needs eval_strategy: steps .*, not no$"),
        ("eval_strategy: no\n", "needs eval_strategy: steps .*, not no$"),
        ("eval_strategy: epoch\n", "needs eval_strategy: steps .*, not epoch$"),
        ("eval_strategy: steps\neval_steps: 1\n", "eval_steps 1, save_steps 2"),
        ("eval_strategy: steps\n", "eval_steps None"),
    ):
        p = tmp_path / "r.yaml"
        p.write_text(TINY_RECIPE.format(max_steps=4, save_steps=2) + "load_best_model_at_end: true\n" + extra)
        with pytest.raises(RadtuneError, match=message):
            recipes.check_recipe(p, "lora", "test")
        with pytest.raises(RadtuneError, match=message):
            prepare("v", {"method": "lora", "packing": True}, str(p), "b", "t", "v", str(tmp_path / "ck"), 0)
    p.write_text(TINY_RECIPE.format(max_steps=4, save_steps=2) + "load_best_model_at_end: true\neval_strategy: steps\n")
    p.write_text(p.read_text() + "eval_steps: 2\n")
    recipes.check_recipe(p, "lora", "test")
    for name in ("lora_ci.yaml", "lora_cpu.yaml", "qlora.yaml"):  # eval "no" (CI, CPU demo) and steps (GPU)
        recipes.check_recipe(Path(__file__).parents[1] / "config/recipes" / name, "lora", "test")


@pytest.mark.slow
def test_keep_best_survives_signal_and_resume(workdir, keep_best_run, tmp_path):
    """SIGUSR1 in step 3 (after the best checkpoint, step 2's, was saved): the run checkpoints step 3 and stops
    without loading the best; the rerun resumes, evaluates at 4 and 6 like an uninterrupted run, and delivers
    step 2's checkpoint (kept by the rotation, save_total_limit 1, as the best)."""
    from transformers import TrainerCallback

    recipe = tmp_path / "eval.yaml"
    recipe.write_text(EVAL_RECIPE)
    spec = {"base": "b", "method": "lora", "recipe": str(recipe), "packing": True}
    args = (str(workdir / "base"), str(workdir / "packed"), str(workdir / "tok" / "val"))
    ref, ref_out = keep_best_run  # the same training uninterrupted

    class SignalInStep3(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            if state.global_step == 2:
                os.kill(os.getpid(), signal.SIGUSR1)

    ck, out = tmp_path / "ck", tmp_path / "out"
    with pytest.raises(P.TrainingInterrupted):
        T.train("v", spec, str(recipe), *args, str(ck), 7, str(out),
                extra_callbacks=[_spoil_after_step_3(), SignalInStep3()])  # fmt: skip
    assert sorted(p.name for p in ck.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-3"]
    summary = T.train("v", spec, str(recipe), *args, str(ck), 7, str(out), extra_callbacks=[_spoil_after_step_3()])
    assert summary["resumed_from"] == "checkpoint-3"
    evals, ref_evals = _eval_losses(out / "train_log.tsv"), _eval_losses(ref_out / "train_log.tsv")
    assert sorted(evals) == [2, 4, 6]
    for step, loss in ref_evals.items():
        assert evals[step] == pytest.approx(loss, rel=1e-4)
    assert summary["kept_checkpoint"]["step"] == ref["kept_checkpoint"]["step"] == 2
    from safetensors.torch import load_file

    a, b = load_file(out / "adapter_model.safetensors"), load_file(ref_out / "adapter_model.safetensors")
    assert a.keys() == b.keys()
    for k in a:  # the same (step 2's) adapter
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_signal_in_the_last_step_keeps_the_output_for_the_rerun(workdir, tmp_path):
    """Signalled in its last step (SLURM's warning, whose job step cannot report success): the finished model
    waits beside the checkpoints (exit as interrupted), and the rerun delivers it without training."""
    from transformers import TrainerCallback

    recipe = str(_write_recipe(tmp_path, 3, 100))
    spec = {"base": "b", "method": "lora", "recipe": recipe, "packing": True}
    args = (str(workdir / "base"), str(workdir / "packed"), str(workdir / "tok" / "val"), str(tmp_path / "ck"), 7)

    class SignalLastStep(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            if state.global_step == 2:
                os.kill(os.getpid(), signal.SIGUSR1)

    with pytest.raises(P.TrainingInterrupted, match="the rerun delivers it"):
        T.train("v", spec, recipe, *args, str(tmp_path / "out"), extra_callbacks=[SignalLastStep()])
    assert not (tmp_path / "out").exists() and (tmp_path / "ck" / C.DONE_DIR / "adapter_model.safetensors").exists()
    summary = T.train("v", spec, recipe, *args, str(tmp_path / "out"))
    assert summary["global_step"] == 3 and (tmp_path / "out" / "adapter_model.safetensors").exists()
    assert not (tmp_path / "ck" / C.DONE_DIR).exists()


def test_usr1_trains_on_until_the_deadline_and_sigterm_stops_at_once(tmp_path, monkeypatch):
    """The deadline logic behind SLURM's early warning, on a short time limit without SLURM: with
    RADTUNE_STOP_MARGIN_S, a USR1 lets training go on until the job's end time (squeue %e) minus the margin; a
    SIGTERM (the limit itself, a preemption) stops at the next step; without the margin, USR1 stops at once."""
    import datetime
    import time

    from radtune.train.preemption import job_deadline, stop_now

    end = datetime.datetime.now().replace(microsecond=0) + datetime.timedelta(seconds=120)  # a 2-minute limit
    squeue = tmp_path / "squeue"
    squeue.write_text(f'#!/bin/sh\n[ "$3" = 4242 ] && echo {end.isoformat()}\n')
    squeue.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SLURM_JOB_ID", "4242")
    monkeypatch.delenv("RADTUNE_STOP_MARGIN_S", raising=False)
    assert job_deadline() is None and stop_now({"signal": int(signal.SIGUSR1)})  # no margin: stop now
    monkeypatch.setenv("RADTUNE_STOP_MARGIN_S", "40")
    assert abs(job_deadline() - (end.timestamp() - 40)) < 1e-6
    stop = {"signal": int(signal.SIGUSR1)}
    assert not stop_now(stop) and abs(stop["deadline"] - (end.timestamp() - 40)) < 1e-6  # 80 s left: train on
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 81)
    assert stop_now(stop)  # past end - margin: checkpoint and stop
    monkeypatch.setattr(time, "time", lambda: now)
    assert stop_now({"signal": int(signal.SIGTERM)})  # the limit itself: at once, whatever the deadline
    monkeypatch.setenv("SLURM_JOB_ID", "7")  # squeue knows no such job (prints nothing): stop at once, not crash
    assert job_deadline() is None
