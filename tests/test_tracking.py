"""Tests for radtune.core.tracking: a tiny training tracked in a local MLflow store (params, loss curve, eval loss), the
rows of eval.tsv logged into the same run, the recipe's report_to honoured, and no report text in the store."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from radtune.core import tracking

torch = pytest.importorskip("torch")
mlflow = pytest.importorskip("mlflow")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

# identifiers and text planted in the training examples: none may reach the store
PLANTED = ["Zbigniew", "Kowalczyk-Oyelaran", "55501234", "Ngozi Abernathy-Takahashi", "hypoattenuating lesion"]
RECIPE = """
learning_rate: 1.0e-3
max_steps: 4
per_device_train_batch_size: 2
logging_steps: 1
save_steps: 4
eval_strategy: steps
eval_steps: 2
lora:
  r: 4
  alpha: 8
  target_modules: [q_proj, v_proj]
"""


def test_report_to_is_the_recipes_own_else_the_backend():
    assert tracking.report_to({}, {"backend": "mlflow"}) == ["mlflow"]
    assert tracking.report_to({}, {"backend": "none"}) == []
    assert tracking.report_to({"report_to": ["tensorboard"]}, {"backend": "mlflow"}) == ["tensorboard"]
    assert tracking.report_to({"report_to": "none"}, {"backend": "mlflow"}) == []
    assert tracking.report_to({"report_to": "mlflow"}, None) == ["mlflow"]


def _records(n: int) -> list[dict]:
    out = []
    for i in range(n):
        who = PLANTED[i % 2]
        out.append(
            {
                "id": f"r{i}",
                "messages": [
                    {"role": "user", "content": f"Findings: Pt {who}, MRN 55501234. Hypoattenuating lesion {i}."},
                    {"role": "assistant", "content": f"Hypoattenuating lesion in segment {i % 8}, {PLANTED[3]}."},
                ],
            }
        )
    return out


@pytest.fixture(scope="module")
def trained(tmp_path_factory, tiny_base):
    """A LoRA variant trained for 4 steps with tracking: mlflow into a folder store; (store, model folder)."""
    from radtune.data.pack import pack_dir
    from radtune.data.tokenize import tokenize_file
    from radtune.train import run as T

    d = tmp_path_factory.mktemp("tracking")
    for split, n in (("train", 16), ("val", 4)):
        p = d / f"{split}.jsonl"
        p.write_text("".join(json.dumps(r) + "\n" for r in _records(n)))
        params = {"max_seq_len": 128, "truncation": "truncate", "num_proc": 1, "batch_size": 100}
        tokenize_file(p, tiny_base, params, d / "tok" / split, d / "tok" / f"{split}.stats.json")
    pack_dir(d / "tok" / "train", 128, d / "packed", d / "packed.stats.json")
    recipe = d / "recipe.yaml"
    recipe.write_text(RECIPE)
    store = d / "mlruns"
    config = {"backend": "mlflow", "uri": str(store), "experiment": "radtune-test"}
    spec = {"method": "lora", "packing": True, "gpus": 0, "nodes": 1, "cpu_ranks": 1}
    out = d / "models" / "lora"
    T.train("lora", spec, str(recipe), str(tiny_base), str(d / "packed"), str(d / "tok" / "val"), str(d / "ck"), 7,
            str(out), tracking=config)  # fmt: skip
    return store, out, config


def test_training_run_has_params_losses_and_eval_loss(trained):
    store, out, config = trained
    meta = json.loads((out / "radtune_variant.json").read_text())
    info = meta["tracking"]
    assert info["backend"] == "mlflow" and info["location"] == store.resolve().as_uri()
    mlflow.set_tracking_uri(info["location"])
    run = mlflow.get_run(info["run_id"])
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["radtune.data_fingerprint"] == meta["data_fingerprint"]
    assert params["radtune.tokenizer_fingerprint"] == meta["tokenizer_fingerprint"]
    assert params["radtune.method"] == "lora" and params["recipe.learning_rate"] == "0.001"
    assert params["radtune.git_commit"]  # a commit, or "unknown" outside a checkout
    client = mlflow.tracking.MlflowClient()
    assert len(client.get_metric_history(run.info.run_id, "loss")) == 4  # the loss curve, one point a step
    assert len(client.get_metric_history(run.info.run_id, "eval_loss")) == 2  # packed training, eval every 2


def test_a_resumed_training_continues_its_run_another_recipe_starts_a_new_one(trained, tiny_base, tmp_path):
    """The run id beside the checkpoints: a rerun of the same training (preemption) logs into the same run; a
    changed recipe wipes the checkpoints and starts a new run (its params differ: MLflow refuses to change one)."""
    from radtune.train import run as T

    store, out, config = trained
    d = out.parents[1]
    first = json.loads((out / "radtune_variant.json").read_text())["tracking"]["run_id"]
    spec = {"method": "lora", "packing": True, "gpus": 0, "nodes": 1, "cpu_ranks": 1}
    args = (str(tiny_base), str(d / "packed"), str(d / "tok" / "val"), str(d / "ck"), 7)
    same = T.train("lora", spec, str(d / "recipe.yaml"), *args, str(tmp_path / "same"), tracking=config)
    assert same["tracking"]["run_id"] == first
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.replace("learning_rate: 1.0e-3", "learning_rate: 5.0e-4"))
    other = T.train("lora", spec, str(recipe), *args, str(tmp_path / "other"), tracking=config)
    assert other["tracking"]["run_id"] != first and other["resumed_from"] is None
    mlflow.set_tracking_uri(store.resolve().as_uri())
    assert mlflow.get_run(other["tracking"]["run_id"]).data.params["recipe.learning_rate"] == "0.0005"


def test_eval_rows_land_in_the_same_run_and_nothing_of_the_text_in_the_store(trained, tmp_path):
    store, out, config = trained
    run_id = json.loads((out / "radtune_variant.json").read_text())["tracking"]["run_id"]
    table = tmp_path / "eval.tsv"
    table.write_text(
        "model\tkind\ttask\tn\trouge_l\tnovel_rouge_l\tp_vs_base\n"
        "tiny\tbase\timpression\t4\t0.1000\t0.0500\t\n"
        "lora\tvariant\timpression\t4\t0.4200\t0.3000\t0.0100\n"
        "baseline_constant\tbaseline\timpression\t4\t0.2000\t0.0100\t\n"
    )
    kinds = {"tiny": "base", "lora": "variant:tiny", "baseline_constant": "baseline"}
    logged = tracking.log_eval(table, {"lora": str(out)}, kinds, config, tmp_path / "logged.json")
    assert logged["lora"] == run_id  # the training run itself
    assert len(set(logged.values())) == 3
    mlflow.set_tracking_uri(store.resolve().as_uri())
    assert mlflow.get_run(run_id).data.metrics["eval.impression.rouge_l"] == pytest.approx(0.42)
    base = mlflow.get_run(logged["tiny"])
    assert base.data.tags["radtune.kind"] == "base" and base.data.metrics["eval.impression.novel_rouge_l"] == 0.05
    # a rerun logs into the same runs (no new ones)
    runs = len(mlflow.search_runs(experiment_names=["radtune-test"], output_format="list"))
    again = tracking.log_eval(table, {"lora": str(out)}, kinds, config, tmp_path / "logged.json")
    assert again == logged
    assert len(mlflow.search_runs(experiment_names=["radtune-test"], output_format="list")) == runs

    text = b"".join(p.read_bytes() for p in store.rglob("*") if p.is_file())
    assert text  # the store holds the runs
    for planted in PLANTED:
        assert planted.lower().encode() not in text.lower(), planted


def test_tensorboard_backend_writes_event_files(tmp_path):
    table = tmp_path / "eval.tsv"
    table.write_text("model\ttask\trouge_l\nlora\timpression\t0.4\n")
    config = {"backend": "tensorboard", "uri": str(tmp_path / "tb")}
    logged = tracking.log_eval(table, {}, {"lora": "variant:tiny"}, config, tmp_path / "logged.json")
    assert list(Path(logged["lora"]).glob("events.out.tfevents.*"))
