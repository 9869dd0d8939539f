"""QLoRA and full fine-tuning (DeepSpeed ZeRO-3, 2 CPU ranks) through the real rules on a tiny random Llama:
what ran (NF4 + double quant, paged 8-bit AdamW, ZeRO-3 over 2 ranks), loss going down, the saved folders
loading in radtune.evaluate.generate (QLoRA: the adapter on the NF4 base reproduces the trained model's greedy output),
and a run stopped by SIGUSR1 resuming with the losses of the uninterrupted run. Plus the launch commands for
1 and 4 nodes and the recipe checks (attention implementation, Liger, unknown fields)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))

torch = pytest.importorskip("torch")

from _config import schema_defaults  # noqa: E402
from _helpers import chat_records, read_tsv, snakemake  # noqa: E402

from radtune.core.common import RadtuneError  # noqa: E402
from radtune.core.config_keys import load_schema  # noqa: E402
from radtune.train import model as M  # noqa: E402
from radtune.train import run as T  # noqa: E402
from radtune.train.checkpoints import latest_complete_checkpoint  # noqa: E402
from radtune.train.launch import distributed_command, launch_preview  # noqa: E402
from radtune.train.preemption import EXIT_CHECKPOINTED  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Tiny recipes: few steps at a high learning rate (the loss must visibly go down), a checkpoint every 2 steps.
RECIPES = {
    "qlora": {
        "learning_rate": 5.0e-3,
        "max_steps": 6,
        "per_device_train_batch_size": 1,
        "logging_steps": 1,
        "save_steps": 2,
        "optim": "paged_adamw_8bit",
        "bf16": True,
        "attn_implementation": "sdpa",
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0, "target_modules": "all-linear"},
    },
    "full": {
        "learning_rate": 5.0e-3,
        "max_steps": 10,
        "per_device_train_batch_size": 1,
        "logging_steps": 1,
        "save_steps": 2,
        "deepspeed": str(ROOT / "config/deepspeed/zero3.json"),
    },
}
VARIANTS = {
    "qlora": {"base": "tiny", "method": "qlora", "recipe": "recipes/qlora.yaml"},
    "full": {"base": "tiny", "method": "full", "recipe": "recipes/full.yaml", "cpu_ranks": 2},
}


@pytest.fixture(scope="module")
def wf(tmp_path_factory, tiny_base) -> Path:
    """Chat JSONL splits + a tiny base, then `snakemake results/models/qlora results/models/full` (tokenize,
    pack and train run as rules; everything upstream of the splits is taken as given)."""
    wd = tmp_path_factory.mktemp("methods")
    shutil.copytree(tiny_base, wd / "tiny")
    (wd / "results/data").mkdir(parents=True)
    for split, n in (("train", 40), ("val", 4), ("test", 4)):
        (wd / f"results/data/{split}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in chat_records(n)))
    (wd / "recipes").mkdir()
    for name, recipe in RECIPES.items():
        (wd / f"recipes/{name}.yaml").write_text(yaml.safe_dump(recipe))
    cfg = yaml.safe_load((ROOT / "config/ci.yaml").read_text())
    cfg["base_models"] = {"tiny": {"path": "tiny"}}
    cfg["tokenize"] = {"max_seq_len": 128, "num_proc": 1}
    cfg["variants"] = VARIANTS
    cfg["predict"] = {}  # its entry names the config's own variant
    cfg["privacy"]["canaries"]["enabled"] = False  # the audit's canaries come from a rule not run here
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    t0 = time.perf_counter()
    args = ("results/models/qlora", "results/models/full", "--allowed-rules", "tokenize", "pack", "train")
    res = snakemake(wd, wd / "config.yaml", *args, cores=2, timeout=1200)
    assert res.returncode == 0, res.stderr[-4000:] + "".join(p.read_text()[-3000:] for p in wd.glob("logs/train/*"))
    print(f"snakemake tokenize + pack + train qlora + full: {time.perf_counter() - t0:.0f} s")
    return wd


def _meta(folder: Path) -> dict:
    return json.loads((folder / "radtune_variant.json").read_text())


@pytest.mark.slow
def test_qlora_on_cpu_nf4_double_quant_paged_8bit_adamw(wf: Path):
    out = wf / "results/models/qlora"
    meta = _meta(out)
    assert meta["device"] == "cpu" and meta["method"] == "qlora"
    # what ran, read off the trainer: every linear layer of the base is bitsandbytes 4-bit NF4 with double quant
    assert meta["linear4bit_layers"] == 2 * 7 and meta["quant_types"] == ["nf4"] and meta["double_quant"] is True
    assert meta["optimizer"].startswith("bitsandbytes.optim")
    assert meta["optimizer_bits"] == 8 and meta["optimizer_paged"] is True
    assert meta["eval_weights"] == "adapter on the NF4 base, not merged"
    rows = read_tsv(out / "train_log.tsv")
    assert len(rows) == 6 and float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert (out / "adapter_model.safetensors").exists() and not (out / "model.safetensors").exists()
    assert "on the CPU" in (wf / "logs/train/qlora.log").read_text()  # says it runs slowly on CPU


@pytest.mark.slow
def test_qlora_evaluation_reproduces_the_trained_model(wf: Path):
    """radtune.evaluate.generate loads the adapter on the NF4 base (not merged): its greedy tokens on validation prompts
    equal those the trained model produced in memory at the end of training; and generation runs."""
    from radtune.evaluate import generate as G

    out = wf / "results/models/qlora"
    samples = _meta(out)["samples"]
    assert len(samples) == 3
    model, tok = G.load_model(wf / "tiny", out)
    assert type(model).__name__ == "PeftModelForCausalLM" and model.is_loaded_in_4bit
    for s in samples:
        ids = torch.tensor([s["prompt_ids"]])
        n = len(s["output_ids"])
        with torch.inference_mode():
            gen = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=n,
                                 min_new_tokens=n, do_sample=False, num_beams=1)  # fmt: skip
        assert gen[0, ids.shape[1] :].tolist() == s["output_ids"]
    prompts = [tok.decode(s["prompt_ids"]) for s in samples]
    assert len(G.generate_hf(model, tok, prompts, max_new_tokens=4, batch_size=2)) == 3


@pytest.mark.slow
def test_full_zero3_on_two_cpu_ranks(wf: Path):
    out = wf / "results/models/full"
    meta = _meta(out)
    assert meta["method"] == "full" and meta["world_size"] == 2 and meta["deepspeed_zero_stage"] == 3
    rows = read_tsv(out / "train_log.tsv")
    assert len(rows) == 10 and float(rows[-1]["loss"]) < float(rows[0]["loss"])
    # tokens/s (all ranks) and peak memory of each rank, every logged step
    assert all(float(r["peak_mem_mb"]) > 0 and len(r["peak_mem_mb_ranks"].split("/")) == 2 for r in rows)
    assert all(float(r["tokens_per_s"]) > 0 for r in rows[1:])
    # ZeRO-3 gathered the full weights on save (stage3_gather_16bit_weights_on_model_save): a plain HF folder
    from safetensors.torch import load_file

    from radtune.evaluate import generate as G

    weights = load_file(out / "model.safetensors")
    assert weights["model.layers.0.self_attn.q_proj.weight"].shape == (64, 64)
    model, tok = G.load_model(wf / "tiny", out)
    assert type(model).__name__ == "LlamaForCausalLM"
    base = load_file(wf / "tiny/model.safetensors")
    assert not torch.equal(weights["model.layers.0.mlp.up_proj.weight"], base["model.layers.0.mlp.up_proj.weight"])
    assert len(G.generate_hf(model, tok, ["Findings: liver normal."], max_new_tokens=4, batch_size=1)) == 1
    assert "no CUDA GPU visible: method full runs on the CPU" in (wf / "logs/train/full.log").read_text()


def _interrupt_and_resume(wf: Path, variant: str, tmp_path: Path) -> tuple[dict, float]:
    """Run the rule's command; SIGUSR1 once the first checkpoint is complete; expect exit 75 and a complete
    checkpoint; rerun: it resumes and finishes. Returns the final metadata and the wall time of both runs."""
    spec = {"packing": True, "gpus": 0, "nodes": 1, "cpu_ranks": 1, **VARIANTS[variant]}
    ck, out = tmp_path / "ck", tmp_path / "out"
    cmd = [
        sys.executable, "-m", "radtune.train.run", "--variant", variant, "--spec", json.dumps(spec),
        "--recipe", str(wf / spec["recipe"]), "--base", str(wf / "tiny"),
        "--train", str(wf / "results/packed/tiny/train"), "--val", str(wf / "results/tokenized/tiny/val"),
        "--checkpoints", str(ck), "--seed", "1234", "--output", str(out),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    t0 = time.perf_counter()
    with open(tmp_path / "run1.log", "w") as fh:
        proc = subprocess.Popen(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT)
        while latest_complete_checkpoint(ck) is None:
            assert proc.poll() is None, (tmp_path / "run1.log").read_text()[-3000:]
            assert time.perf_counter() - t0 < 600
            time.sleep(0.2)
        proc.send_signal(signal.SIGUSR1)  # as SLURM's --signal=USR1@N does before the time limit
        rc = proc.wait(timeout=600)
    assert rc == EXIT_CHECKPOINTED, (tmp_path / "run1.log").read_text()[-3000:]
    assert not out.exists()
    stopped = latest_complete_checkpoint(ck)
    max_steps = RECIPES[variant]["max_steps"]
    assert 2 < int(stopped.name.split("-")[1]) < max_steps  # saved where it stopped, not only at save_steps
    if variant == "full":  # ZeRO-3: each rank's parameter and optimizer shards
        shards = {p.name for p in (stopped / f"global_step{stopped.name.split('-')[1]}").iterdir()}
        assert {"zero_pp_rank_0_mp_rank_00_model_states.pt", "zero_pp_rank_1_mp_rank_00_model_states.pt"} <= shards
        assert sum("optim_states" in n for n in shards) == 2
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-3000:]
    return _meta(out) | {"stopped_at": stopped.name}, time.perf_counter() - t0


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["qlora", "full"])
def test_signal_checkpoint_resume_matches_uninterrupted_run(wf: Path, variant: str, tmp_path: Path):
    meta, wall = _interrupt_and_resume(wf, variant, tmp_path)
    print(f"{variant}: interrupted at {meta['stopped_at']} and resumed in {wall:.0f} s")
    assert meta["resumed_from"] == meta["stopped_at"]
    rows, ref = read_tsv(tmp_path / "out/train_log.tsv"), read_tsv(wf / f"results/models/{variant}/train_log.tsv")
    assert [r["step"] for r in rows] == [r["step"] for r in ref]
    for a, b in zip(rows, ref, strict=True):
        assert float(a["loss"]) == pytest.approx(float(b["loss"]), rel=1e-4), (a, b)
        assert float(a["learning_rate"]) == pytest.approx(float(b["learning_rate"]), rel=1e-6)


def test_methods_are_the_schemas_method_enum():
    """The training methods are defined once: radtune.train.model.METHODS (what check_method accepts, what the run
    trains) is exactly the enum of the config key variants.<name>.method in config/schema.yaml."""
    schema = load_schema()
    node = schema["properties"]["variants"]["additionalProperties"]
    node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node
    assert tuple(node["properties"]["method"]["enum"]) == M.METHODS
    assert set(M.ADAPTER_METHODS) < set(M.METHODS)
    with pytest.raises(RadtuneError, match="unknown method 'dpo'; expected one of lora, qlora, full"):
        M.check_method("dpo", cuda=True)


def test_launch_command_one_and_four_nodes():
    one = distributed_command(["--variant", "v"], 8)
    assert one[1:] == [
        "-m", "torch.distributed.run", "--nproc_per_node=8", "--standalone",
        "-m", "radtune.train.run", "--variant", "v",
    ]  # fmt: skip
    four = distributed_command(["--variant", "v"], 8, nnodes=4, head="gpu001", job_id="4242")
    # one torchrun per node, as a step overlapping the job's own (Snakemake's srun -n1 step runs this module)
    assert four[:6] == ["srun", "--nodes=4", "--ntasks=4", "--ntasks-per-node=1", "--overlap", "--kill-on-bad-exit=1"]
    torchrun = four[four.index("torch.distributed.run") + 1 :]
    assert torchrun == [
        "--nproc_per_node=8", "--nnodes=4", "--rdzv_backend=c10d", "--rdzv_endpoint=gpu001:29500",
        "--rdzv_id=4242", "-m", "radtune.train.run", "--variant", "v",
    ]  # fmt: skip
    # what the dry run prints for a variant (host and job id are filled in at run time)
    variant = schema_defaults("variants.<name>")
    preview = launch_preview({**variant, "method": "full", "gpus": 8, "nodes": 4})
    assert preview.startswith("srun --nodes=4 ") and "--nproc_per_node=8 --nnodes=4" in preview
    assert "--rdzv_endpoint=$FIRST_NODE:29500 --rdzv_id=$SLURM_JOB_ID" in preview
    assert "--nproc_per_node=2 --standalone" in launch_preview({**variant, "method": "full", "gpus": 0, "cpu_ranks": 2})
    assert launch_preview({**variant, "method": "lora", "gpus": 1}).startswith("one process")


def test_nodes_without_slurm_is_refused(monkeypatch, tmp_path):
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    spec = json.dumps({**schema_defaults("variants.<name>"), "method": "full", "recipe": "r", "gpus": 8, "nodes": 4})
    argv = ["--variant", "v", "--spec", spec, "--recipe", "r", "--base", "b", "--train", "t", "--val", "v"]
    with pytest.raises(RadtuneError, match="nodes: 4 needs a SLURM allocation"):
        T.main([*argv, "--checkpoints", str(tmp_path / "c"), "--seed", "0", "--output", str(tmp_path / "o")])


def test_zero3_model_class_is_imported_before_zero_init(tiny_base):
    """Under ZeRO-3 the model is built inside deepspeed.zero.Init, where importing a transformers model module
    fails on torch 2.13 (Signature mismatch ... tensor_pynew): load_model imports the class first. Checked in a
    fresh interpreter: the model module is not loaded before load_model, and is when from_pretrained starts."""
    code = (
        "import sys\n"
        "from transformers import AutoModelForCausalLM\n"
        "from radtune.train.model import load_model, preimport_model_class\n"
        "MODULE = 'transformers.models.llama.modeling_llama'\n"
        "seen, real = [], AutoModelForCausalLM.from_pretrained\n"
        "def spy(*args, **kwargs):\n"
        "    seen.append(MODULE in sys.modules)\n"
        "    return real(*args, **kwargs)\n"
        "AutoModelForCausalLM.from_pretrained = spy\n"
        "assert MODULE not in sys.modules\n"
        "load_model(sys.argv[1], 'full', cuda=False, bf16=False)\n"
        "assert seen == [True], seen\n"
        "assert preimport_model_class(sys.argv[1]).__name__ == 'LlamaForCausalLM'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    run = subprocess.run(
        [sys.executable, "-c", code, str(tiny_base)], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-3000:]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"attn_implementation": "flash_attention_2"}, "flash_attention_2 needs the flash_attn package"),
        ({"use_liger_kernel": True}, "use_liger_kernel needs the liger-kernel package"),
    ],
)
def test_missing_attention_or_liger_package_is_a_clear_error(fields, message, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda n, *a: None if n in ("flash_attn", "liger_kernel") else real(n, *a)
    )
    with pytest.raises(RadtuneError, match=f"recipe r.yaml: .*{message}"):
        M.check_model_fields(fields, "r.yaml")
    M.check_model_fields({"attn_implementation": "sdpa"}, "r.yaml")


def test_attn_implementation_is_passed_to_the_model(tiny_base):
    model = M.load_model(str(tiny_base), "lora", cuda=False, bf16=False, attn_implementation="eager")
    assert model.config._attn_implementation == "eager"
    assert M.load_model(str(tiny_base), "lora", False, False).config._attn_implementation == "sdpa"


def test_recipe_field_names_are_trls_own():
    """radtune.train.recipes reads the field names from the installed sources (no TRL import at start-up): they are
    exactly the SFTConfig / LoraConfig dataclass fields."""
    import dataclasses

    from peft import LoraConfig
    from trl import SFTConfig

    from radtune.train import recipes

    assert recipes.sft_fields() == {f.name for f in dataclasses.fields(SFTConfig)}
    assert recipes.lora_fields() == {f.name for f in dataclasses.fields(LoraConfig)}
    for recipe in sorted((ROOT / "config/recipes").glob("*.yaml")):
        recipes.check_recipe(recipe, "full" if "full" in recipe.name else "lora", "test")


@pytest.mark.parametrize(
    ("text", "method", "message"),
    [
        ("learning_rate: 1.0e-4\nlearnig_rate_typo: 3\n", "lora", "unknown field(s) learnig_rate_typo"),
        ("learning_rate: 1.0e-4\nlora: {r: 4, alpah: 8}\n", "lora", "lora: unknown peft LoraConfig field(s) alpah"),
        ("learning_rate: 1.0e-4\n", "full", "method full needs a deepspeed: config"),
    ],
)
def test_recipe_checks_name_the_file_and_field(tmp_path, text, method, message):
    from radtune.train import recipes

    p = tmp_path / "bad.yaml"
    p.write_text(text)
    with pytest.raises(RadtuneError) as exc:
        recipes.check_recipe(p, method, "config: variants.v.recipe")
    assert f"recipe {p}" in str(exc.value) and message in str(exc.value)


def test_bad_recipe_stops_the_workflow_at_startup(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((ROOT / "config/recipes/lora_ci.yaml").read_text() + "warmup_ratioo: 0.1\n")
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    cfg["variants"] = {"v": {"base": next(iter(cfg["base_models"])), "method": "lora", "recipe": str(bad)}}
    cfg["predict"] = {}  # its entry names the config's own variant
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    run = snakemake(ROOT, tmp_path / "c.yaml", "-n")
    assert run.returncode != 0
    assert f"recipe {bad}: unknown field(s) warmup_ratioo" in run.stdout + run.stderr


def test_dry_run_shows_multi_node_resources_and_launch(tmp_path):
    cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())
    base = next(iter(cfg["base_models"]))
    recipe = str(ROOT / "config/recipes/full_zero3.yaml")
    cfg["variants"] = {"big": {"base": base, "method": "full", "recipe": recipe, "gpus": 8, "nodes": 4}}
    cfg["predict"] = {}  # its entry names the config's own variant
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    # with the default workflow profile (profiles/default): it shapes the cluster resources
    run = snakemake(ROOT, tmp_path / "c.yaml", "results/models/big", "-n", "-p", profile=None)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    train = out.split("rule train:", 1)[1]
    resources = train.split("resources: ", 1)[1].split("\n", 1)[0]
    assert "nodes=4" in resources and "gpu=32" in resources and "runtime=1440" in resources
    assert "srun --nodes=4 --ntasks=4 --ntasks-per-node=1 --overlap" in train
    assert "--nproc_per_node=8 --nnodes=4 --rdzv_backend=c10d --rdzv_endpoint=$FIRST_NODE:29500" in train
