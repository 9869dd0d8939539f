"""The workflow on a live SLURM cluster (ci/slurm.sh): the planned jobs and their resources, a run through
sbatch to results/eval.tsv, reruns after one input's content changes, and a failing job. Run by bin/test
(RADTUNE_SLURM=1) on the CI machine; skipped elsewhere."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    os.environ.get("RADTUNE_SLURM") != "1", reason="needs a live SLURM cluster: bin/test runs these as root in CI"
)

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))
PROFILE = ["--profile", "slurm", "--profile", "profiles/ci"]
CI_CONFIG = ["--configfile", "config/ci.yaml"]
LOCAL_RULES = {"check_ids", "deid_audit", "merge_predictions", "track", "canaries", "privacy_check",
               "privacy_table"}  # fmt: skip
SUBMITTED = re.compile(r"has been submitted with SLURM jobid (\d+) \(log: \S*/logs/slurm/([^/]+)/")
RULE_HEADER = re.compile(r"^\s*(local)?rule (\w+):", re.M)
# rules a change of the de-id allow-list must rerun (everything downstream of de-identification)
DEID_DOWNSTREAM = {
    "deid_settings",
    "deidentify",
    "deid_audit",
    "filter",
    "split",
    "instructions",
    "tokenize",
    "pack",
    "train",
    "generate",
    "merge_predictions",
    "baseline",
    "score",
    "table",
}


def run(work: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", RADTUNE_CPUS_PER_GPU="1")
    # targets first: --configfile takes every following word as a config file
    return subprocess.run(
        [SNAKEMAKE, *args, *PROFILE, *CI_CONFIG],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def submissions(out: str) -> list[tuple[str, str]]:
    """(SLURM job id, rule name or group id) per sbatch, from the SLURM log folder Snakemake names:
    logs/slurm/rule_<rule>/... or logs/slurm/group_<group id>_<rules>/..."""
    found = []
    for job_id, folder in SUBMITTED.findall(out):
        kind, name = folder.split("_", 1)
        found.append((job_id, name if kind == "rule" else name.split("_", 1)[0]))
    return found


def planned(out: str) -> Counter[str]:
    """Rule -> number of jobs, from the job stats table Snakemake prints."""
    table = out.split("Job stats:", 1)[1] if "Job stats:" in out else ""
    counts: Counter[str] = Counter()
    for line in table.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        counts[parts[0]] = int(parts[1])
    return counts


def executed(out: str) -> Counter[str]:
    return Counter(m.group(2) for m in RULE_HEADER.finditer(out))


def sacct_states(job_ids: list[str]) -> dict[str, str]:
    out = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-j", ",".join(job_ids), "-o", "JobID,State"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split("|", 1) for line in out.split())


def sacct_field(job_id: str, field: str) -> str:
    return subprocess.run(
        ["sacct", "-n", "-X", "-P", "-j", job_id, "-o", field], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the checkout (tracked and new files, no results) with the CI CSV, run like a user's clone.
    Afterwards, no job step of it is left running."""
    work = tmp_path_factory.mktemp("radtune")
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    for name in filter(None, files):
        src = ROOT / name
        if not (src.exists() or src.is_symlink()) or name.startswith(("bench/", "results/", "logs/")):
            continue
        dst = work / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        else:
            shutil.copy2(src, dst)
    from _tiny_model import save_tiny_base, smollm2_tokenizer  # tests/ helper

    save_tiny_base(smollm2_tokenizer(), work / "data/ci/tiny_model")
    for task, n, name in [("impression", 60, "reports.csv"), ("protocol", 240, "orders.csv")]:  # config/ci.yaml
        subprocess.run(
            [sys.executable, "-m", "radtune.deid.corpora.synthetic", "--task", task, "--n", str(n), "--seed", "11"]
            + ["--output", str(work / "data/ci" / name)],
            env=dict(os.environ, PYTHONPATH=str(work / "scripts")),
            check=True,
        )
    yield work
    # A requeued allocation's job step (`snakemake --snakefile <work>/Snakefile --target-jobs ...`) can outlive its
    # job here: CI's SLURM tracks processes by ancestry (proctrack/linuxproc), which an orphan escapes; clusters
    # use proctrack/cgroup, which ends the whole job. Left alone, they idle on until the machine stops.
    subprocess.run(["pkill", "-9", "-f", f"{work}/Snakefile"], check=False)


def test_profile_slurm_resolves_from_the_repository_root():
    # `snakemake --profile slurm` looks for ./slurm in the working directory
    assert (ROOT / "slurm").resolve() == (ROOT / "profiles" / "slurm").resolve()
    assert (ROOT / "slurm" / "config.yaml").is_file()


def test_dry_run_lists_jobs_and_their_resources(work: Path):
    res = run(work, "-n", "results/eval.tsv", "results/privacy.tsv", "results/deid/quality.tsv")
    assert res.returncode == 0, res.stderr[-3000:]
    out = res.stdout + res.stderr
    assert planned(out) == Counter(
        deid_settings=1,
        deid_quality=1,
        ingest=2,
        check_ids=2,
        deidentify=4,
        deid_audit=1,
        filter=1,
        split=1,
        instructions=1,
        tokenize=2,
        pack=1,
        train=1,
        generate=2,
        merge_predictions=2,
        baseline=2,
        score=4,
        table=1,
        canaries=1,  # config/ci.yaml: privacy.canaries on
        privacy_audit=1,
        privacy_check=1,
        privacy_table=1,
    )
    train = out.split("rule train:", 1)[1].split("\n\n", 1)[0]
    resources = re.search(r"resources: (.*)", train).group(1)
    for want in ("slurm_account=ci", "slurm_partition=debug", "mem_mb=16000", "runtime=1440", "gpu=1"):
        assert want in resources
    assert "cpus_per_gpu=1" in resources and "tasks_per_gpu=0" in resources
    assert "--signal=USR1@300" in resources
    score = out.split("rule score:", 1)[1].split("\n\n", 1)[0]
    assert "gpu=" not in score  # scoring stays on CPU
    # the memorisation audit: its own job, on a GPU like generation
    audit = out.split("rule privacy_audit:", 1)[1].split("\n\n", 1)[0]
    resources = re.search(r"resources: (.*)", audit).group(1)
    assert "gpu=1" in resources and "cpus_per_gpu=1" in resources and "tasks_per_gpu=0" in resources


def test_workflow_runs_through_sbatch(work: Path):
    res = run(
        work, "results/eval.tsv", "results/tracking/eval_rows.json", "results/privacy.tsv", "results/deid/quality.tsv"
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:]
    # the memorisation audit ran as its own submitted job and passed its check (no max_exposure in CI)
    (privacy,) = csv.DictReader((work / "results/privacy.tsv").read_text().splitlines(), delimiter="\t")
    assert privacy["variant"] == "lora" and privacy["status"] == "pass" and privacy["inserted"] == "4"
    assert "privacy_audit" in {name for _, name in submissions(out)}
    # tracking (default mlflow, a folder store under results/): the variant's training run got the eval rows
    logged = json.loads((work / "results/tracking/eval_rows.json").read_text())
    meta = json.loads((work / "results/models/lora/radtune_variant.json").read_text())
    assert logged["runs"]["lora"] == meta["tracking"]["run_id"]
    assert {"tiny", "baseline_constant", "baseline_extractive"} <= set(logged["runs"])
    (metrics,) = (work / "results/mlruns").glob(f"*/{meta['tracking']['run_id']}/metrics")  # <experiment>/<run>
    assert {"loss", "eval.impression.rouge_l", "eval.protocol.accuracy"} <= {p.name for p in metrics.iterdir()}
    rows = (work / "results/eval.tsv").read_text().splitlines()
    header = rows[0].split("\t")
    models = {r.split("\t")[header.index("model")] for r in rows[1:]}
    assert {"tiny", "lora", "baseline_constant", "baseline_extractive"} <= models
    tasks = {r.split("\t")[header.index("task")] for r in rows[1:]}
    assert tasks == {"impression", "protocol"}  # both tasks, each with its diagnostics and novel subset
    assert "distinct_share" in header and "novel_n" in header

    ran = executed(out)
    subs = submissions(out)
    submitted_rules = {name for _, name in subs}
    job_ids = [job_id for job_id, _ in subs]
    # every rule that is not a local rule went through sbatch; the four de-id shards (two per dataset) as ONE group job
    assert submitted_rules == set(ran) - LOCAL_RULES - {"deidentify"} | {"deid"}
    assert len(job_ids) == sum(ran.values()) - sum(ran[r] for r in LOCAL_RULES) - ran["deidentify"] + 1
    states = sacct_states(job_ids)
    assert states == dict.fromkeys(job_ids, "COMPLETED")
    # the train job: one task, RADTUNE_CPUS_PER_GPU=1 CPU and the (fake) GPU
    train_id = next(j for j, name in subs if name == "train")
    assert "gres/gpu=1" in sacct_field(train_id, "AllocTRES")
    assert sacct_field(train_id, "AllocCPUS") == "1"


def test_predictions_on_a_new_export_through_sbatch(work: Path):
    """config/ci.yaml's predict entry: new orders without their label column, predicted by the trained variant in
    submitted jobs; one row per order under its original id, owner-only; the evaluation is not touched."""
    new = work / "data/ci/new_orders.csv"
    subprocess.run(
        [sys.executable, "-m", "radtune.deid.corpora.synthetic", "--task", "protocol", "--n", "24", "--seed", "12"]
        + ["--output", str(new)],
        env=dict(os.environ, PYTHONPATH=str(work / "scripts")),
        check=True,
    )
    with open(new, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(new, "w", newline="", encoding="utf-8") as fh:  # a new export: no protocol label yet
        writer = csv.DictWriter(fh, [c for c in rows[0] if c != "protocol_label"], extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    res = run(work, "results/predict/ci_new_orders.csv")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:]
    assert set(executed(out)) == {"predict_ingest", "predict_deid", "predict_generate", "predict_merge"}
    subs = submissions(out)
    assert {name for _, name in subs} == {"predict_ingest", "deid", "predict_generate"}  # merge is local
    assert set(sacct_states([j for j, _ in subs]).values()) == {"COMPLETED"}
    result = work / "results/predict/ci_new_orders.csv"
    assert stat.S_IMODE(result.stat().st_mode) == 0o600
    with open(result, newline="", encoding="utf-8") as fh:
        got = list(csv.DictReader(fh))
    assert [r["order_id"] for r in got] == [r["order_id"] for r in rows]
    assert {"prediction", "label", "confidence", "status", "model_fingerprint"} <= set(got[0])
    assert all(r["status"] == "ok" and 0 < float(r["confidence"]) <= 1 for r in got)
    res = run(work, "-n", "results/eval.tsv", "results/predict/ci_new_orders.csv")
    assert res.returncode == 0 and "Nothing to be done" in res.stdout + res.stderr, res.stdout[-2000:]


def test_content_change_reruns_exactly_the_jobs_downstream(work: Path):
    allow = work / "config/deid_allow_list.txt"
    original = allow.read_text()
    # Snakemake 9 compares checksums: a newer mtime with the same content reruns nothing
    os.utime(allow)
    res = run(work, "-n", "results/eval.tsv")
    assert res.returncode == 0 and "Nothing to be done" in res.stdout + res.stderr, res.stdout[-2000:]

    allow.write_text(original + "\nCI-rerun-check\n")
    res = run(work, "-n", "results/eval.tsv")
    assert res.returncode == 0, res.stderr[-2000:]
    plan = planned(res.stdout + res.stderr)
    # not base_model; ingest (and its id check) remake the raw shards, which are temporary
    assert set(plan) == DEID_DOWNSTREAM | {"ingest", "check_ids"}  # deid_quality: a leaf of `all`
    allow.write_text(original)
    res = run(work, "-n", "results/eval.tsv")
    assert "Nothing to be done" in res.stdout + res.stderr

    # a real rerun: the recipe of the one variant feeds train -> its predictions -> its score -> the table
    recipe = work / "config/recipes/lora_ci.yaml"
    recipe.write_text(recipe.read_text().replace("learning_rate: 5.0e-4", "learning_rate: 4.0e-4"))
    res = run(work, "results/eval.tsv")
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:]
    assert executed(out) == Counter(train=1, generate=1, merge_predictions=1, score=1, table=1)
    assert re.search(r"rule generate:(?:(?!\n\n).)*wildcards: model=lora,", out, re.S)
    assert re.search(r"rule score:(?:(?!\n\n).)*wildcards: model=lora\n", out, re.S)


def test_failing_job_is_reported_and_leaves_no_output(work: Path):
    text = (work / "data/ci/reports.csv").read_text()
    assert text.endswith("\n")
    bad_line = text.count("\n") + 1  # a short row appended after the last record (fields hold newlines)
    (work / "data/ci/broken.csv").write_text(text + "999999,123,2020-01-01,CT1\n")
    extra = work / "config/ci_broken.yaml"
    extra.write_text(
        "datasets:\n  broken:\n    task: impression\n    csv: [data/ci/broken.csv]\n    columns:\n"
        "      report_id: accession_number\n      findings: findings\n      impression: impression\n"
    )
    env = dict(os.environ, RADTUNE_CPUS_PER_GPU="1")
    # the broken dataset's first shard, named like the ci dataset's first one (e.g. 000_0000-of-0002.parquet)
    first_shard = sorted((work / "results/deid/ci").glob("*.parquet"))[0].name  # raw shards are temporary
    res = subprocess.run(
        [SNAKEMAKE, f"results/shards/broken/{first_shard}", *PROFILE, "--configfile", "config/ci.yaml", str(extra)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "Error in rule ingest" in out
    [(job_id, rule)] = submissions(out)
    assert rule == "ingest"
    assert sacct_states([job_id]) == {job_id: "FAILED"}
    assert not (work / "results/shards/broken").exists() or not list((work / "results/shards/broken").iterdir())
    [log] = (work / "logs/ingest/broken").glob("*.log")
    message = log.read_text()
    assert "broken.csv" in message and f"line {bad_line}" in message and "exam_description" in message


# Preemption through SLURM itself: the train job's steps get the real USR1 (`scancel --signal=USR1`, what SLURM's
# --signal=USR1@300 warning sends) once training runs, so there is exactly one requeue, however fast the node
# (2-minute allocations that waited for SLURM's own timer took 6-8 minutes). The deadline logic behind
# RADTUNE_STOP_MARGIN_S (train on until the job's end minus the margin) has its short-time-limit case in
# tests/test_train.py, with a stand-in squeue.
PREEMPT_STEPS = int(os.environ.get("RADTUNE_PREEMPT_STEPS", "150"))


def preemption_chain(work: Path, configs: list[str]) -> tuple[subprocess.CompletedProcess[str], str]:
    """Train the lora variant on a recipe of PREEMPT_STEPS steps; once its first loss is logged, signal the
    job's steps with USR1. Returns the Snakemake run and the train job's SLURM id."""
    import time

    import yaml

    recipe = yaml.safe_load((work / "config/recipes/lora_ci.yaml").read_text())
    recipe |= {"max_steps": PREEMPT_STEPS, "save_steps": 100_000, "logging_steps": 25}  # saves only when signalled
    (work / "config/recipes/lora_preempt.yaml").write_text(yaml.safe_dump(recipe))
    (work / "config/ci_preempt.yaml").write_text("variants:\n  lora:\n    recipe: config/recipes/lora_preempt.yaml\n")
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", RADTUNE_CPUS_PER_GPU="1")
    env.pop("RADTUNE_STOP_MARGIN_S", None)  # stop at the end of the step the signal falls in
    log, train_log = work / "preempt.out", work / "logs/train/lora.log"
    train_log.unlink(missing_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(
            [SNAKEMAKE, "results/models/lora", *PROFILE, "--configfile", *configs, "config/ci_preempt.yaml"],
            cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            deadline, job_id = time.monotonic() + 900, ""
            while time.monotonic() < deadline and proc.poll() is None:
                subs = [j for j, rule in submissions(log.read_text()) if rule == "train"]
                if subs and train_log.exists() and "'loss'" in train_log.read_text(errors="replace"):
                    job_id = subs[0]
                    break
                time.sleep(1)
            assert job_id, f"training never started: {log.read_text()[-3000:]}"
            subprocess.run(["scancel", "--signal=USR1", job_id], check=True)
            proc.wait(timeout=900)
        finally:
            if proc.poll() is None:
                proc.kill()
    text = log.read_text()
    return subprocess.CompletedProcess(proc.args, proc.returncode, text, ""), job_id


def test_preempted_training_requeues_itself_until_done(work: Path):
    """SLURM's USR1 before the time limit: radtune.train.run saves a complete checkpoint and exits 75, the job
    requeues itself (same job id: never two copies at once) and resumes; Snakemake submits it once and sees it
    complete. Other failures still fail (test_failing_job...)."""
    import json
    import time

    t0 = time.perf_counter()
    res, job_id = preemption_chain(work, ["config/ci.yaml"])
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-5000:]
    # one submission of the train job, however many allocations (alone, this test also submits what train needs)
    assert [name for _, name in submissions(out) if name == "train"] == ["train"]
    runs = subprocess.run(
        ["sacct", "-n", "-X", "-P", "--duplicates", "-j", job_id, "-o", "State"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert runs[-1] == "COMPLETED" and runs.count("REQUEUED") == 1, runs  # one signal: one requeue
    # Snakemake truncates the rule's log when a run starts: the last allocation resumed, or delivered the model
    # a signalled run had finished (its job step, signalled too, could not report it)
    last = (work / "logs/train/lora.log").read_text()
    assert "resuming from checkpoint-" in last or "training finished in an earlier, signalled run" in last
    meta = json.loads((work / "results/models/lora/radtune_variant.json").read_text())
    assert meta["global_step"] == PREEMPT_STEPS and meta["resumed_from"]  # the finishing run had resumed
    rows = (work / "results/models/lora/train_log.tsv").read_text().splitlines()[1:]
    assert [int(r.split("\t")[0]) for r in rows] == list(range(25, PREEMPT_STEPS + 1, 25))  # one continuous log
    print(f"preemption: {runs.count('REQUEUED') + 1} allocations, {time.perf_counter() - t0:.0f} s")
