"""Integration: the data-preparation rules run through Snakemake on generated CSVs with other column names,
rerun nothing when nothing changed, and rerun only the changed export's shards when one file changes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from radtune.synth import generate_protocol_orders, generate_reports, write_csv

sys.path.insert(0, str(Path(__file__).parent))
from _tiny_model import save_tiny_base, smollm2_tokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

# The demo's impression CSV, with every header renamed: only the config's mapping changes.
RENAMED = {
    "accession_number": "ACC_NO",
    "mrn": "PAT_MRN",
    "exam_date": "STUDY_DT",
    "exam_code": "PROC_CD",
    "exam_description": "PROC_DESC",
    "indication": "HISTORY",
    "comparison": "PRIORS",
    "findings": "FINDINGS_TXT",
    "impression": "IMPRESSION_TXT",
}


def snakemake(workdir: Path, *args: str, configfile: str = "config.yaml") -> subprocess.CompletedProcess:
    cmd = [
        sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory", str(workdir),
        "--configfile", str(workdir / configfile), "--workflow-profile", "none", "--cores", "2", *args,
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)


def planned_jobs(dry_run_output: str) -> list[tuple[str, str]]:
    """(rule, wildcards) of each job a dry-run plans."""
    jobs, rule = [], None
    for line in dry_run_output.splitlines():
        m = re.match(r"^\s*(?:local)?rule (\w+):", line)
        if m:
            rule = m.group(1)
            jobs.append((rule, ""))
        m = re.match(r"^\s+wildcards: (.*)", line)
        if m and rule:
            jobs[-1] = (rule, m.group(1))
    return jobs


def site_rows() -> list[dict[str, str]]:
    rows, _ = generate_reports(60, seed=3)
    return [{RENAMED[k]: v for k, v in r.items()} for r in rows]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    wd = tmp_path_factory.mktemp("wf")
    renamed = site_rows()
    write_csv(wd / "jan.csv", renamed[:30], list(RENAMED.values()))
    write_csv(wd / "feb.csv", renamed[30:], list(RENAMED.values()))
    orders, _ = generate_protocol_orders(40, seed=4)
    write_csv(wd / "orders.csv", orders, list(orders[0]))
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg["datasets"] = {
        "site_a": {
            "task": "impression",
            "csv": ["jan.csv", "feb.csv"],
            "columns": {
                "report_id": "ACC_NO",
                "patient_id": "PAT_MRN",
                "date": "STUDY_DT",
                "exam_code": "PROC_CD",
                "exam_description": "PROC_DESC",
                "findings": "FINDINGS_TXT",
                "impression": "IMPRESSION_TXT",
                "context": ["HISTORY", "PRIORS"],
            },  # fmt: skip
        },
        "orders": {
            "task": "protocol",
            "csv": ["orders.csv"],
            "columns": {
                "report_id": "order_id",
                "patient_id": "patient_mrn",
                "order_notes": "ordering_notes",
                "protocol": "protocol_label",
                "context": ["clinical_history"],
            },  # fmt: skip
        },
    }
    cfg["shards"] = 2
    # A tiny local base model (a "path" entry, as a user's own model would be).
    save_tiny_base(smollm2_tokenizer(), wd / "tiny_base")
    cfg["base_models"] = {"tiny": {"path": str(wd / "tiny_base")}}
    cfg["variants"] = {"lora": {"base": "tiny", "method": "lora", "recipe": str(ROOT / "config/recipes/lora_cpu.yaml")}}
    cfg["instructions"]["templates"] = str(ROOT / "config" / "instruction_templates.yaml")
    cfg["instructions"]["prepend_phrases"] = str(ROOT / "config" / "prepend_phrases.yaml")
    cfg["deid"]["allow_list"] = str(ROOT / "config" / "deid_allow_list.txt")
    (wd / "config.yaml").write_text(yaml.safe_dump(cfg))
    run = snakemake(wd, "results/data/train.jsonl")
    assert run.returncode == 0, run.stderr[-3000:]
    return wd


def test_outputs_from_renamed_columns(workdir: Path):
    data = {s: [json.loads(x) for x in (workdir / f"results/data/{s}.jsonl").read_text().splitlines()]
            for s in ("train", "val", "test")}  # fmt: skip
    n = sum(len(v) for v in data.values())
    assert n > 50  # both datasets made it through, minus the filtered rows
    assert {r["task"] for v in data.values() for r in v} == {"impression", "protocol"}
    ids = [r["id"] for v in data.values() for r in v]
    assert len(ids) == len(set(ids))
    audit = (workdir / "results/deid/audit.tsv").read_text()
    assert "PERSON" in audit and "FINDINGS_TXT" not in audit.split("\n")[0]
    report = (workdir / "results/filter/report.tsv").read_text()
    assert "dropped_short_findings" in report
    # No raw accession number or MRN from the CSV survives into the training data.
    raw_ids = {r[k] for r in generate_reports(60, seed=3)[0] for k in ("accession_number", "mrn")}
    text = "".join((workdir / f"results/data/{s}.jsonl").read_text() for s in ("train", "val", "test"))
    assert not [x for x in raw_ids if x and x in text]


def test_rerun_with_nothing_changed_does_nothing(workdir: Path):
    run = snakemake(workdir, "-n", "results/data/train.jsonl")
    assert run.returncode == 0, run.stderr[-2000:]
    assert planned_jobs(run.stdout + run.stderr) == []


def test_changed_export_reruns_only_its_shards(workdir: Path):
    rows = site_rows()[30:]
    rows[0]["IMPRESSION_TXT"] += " Follow-up CT in 3 months is advised."
    write_csv(workdir / "feb.csv", rows, list(RENAMED.values()))
    run = snakemake(workdir, "-n", "results/data/train.jsonl")
    assert run.returncode == 0, run.stderr[-2000:]
    jobs = planned_jobs(run.stdout + run.stderr)
    assert ("ingest", "dataset=site_a, part=001") in jobs
    deid = sorted(w for r, w in jobs if r == "deidentify")
    assert deid == ["dataset=site_a, shard=001_0000", "dataset=site_a, shard=001_0001"]
    assert {r for r, _ in jobs} == {"ingest", "deidentify", "deid_audit", "filter", "split", "instructions"}


def test_tokenized_cache_goes_stale_with_length_or_template(workdir: Path):
    target = "results/tokenized/tiny/train"
    run = snakemake(workdir, target)
    assert run.returncode == 0, run.stderr[-3000:]
    assert planned_jobs(snakemake(workdir, "-n", target).stdout) == []
    # Another max length: the params changed, so the cache is stale.
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    cfg["tokenize"]["max_seq_len"] = 256
    (workdir / "config_256.yaml").write_text(yaml.safe_dump(cfg))
    run = snakemake(workdir, "-n", target, configfile="config_256.yaml")
    assert ("tokenize", "base=tiny, split=train") in planned_jobs(run.stdout + run.stderr), run.stderr[-2000:]
    # Another chat template in the same model folder: the tokenizer files are inputs, so it is stale too.
    template = next(p for p in (workdir / "tiny_base").iterdir() if p.name in ("chat_template.jinja",))
    template.write_text(template.read_text() + "{# site-specific edit #}")
    run = snakemake(workdir, "-n", target)
    assert ("tokenize", "base=tiny, split=train") in planned_jobs(run.stdout + run.stderr), run.stderr[-2000:]
