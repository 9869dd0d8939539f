"""Integration: the data-preparation rules run through Snakemake on generated CSVs with other column names,
rerun nothing when nothing changed, and rerun only the changed export's shards when one file changes."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from _helpers import ROOT, planned_jobs
from _helpers import snakemake as run_snakemake

from radtune.core.common import keyed_hash
from radtune.deid.corpora.synthetic import generate_protocol_orders, generate_reports, write_csv

pytestmark = pytest.mark.slow
KEY = "radtune-workflow-test-key-0123456789abcdef"  # fixed: the same ids on every run

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


def snakemake(
    workdir: Path, *args: str, configfile: str = "config.yaml", profile: str = "none"
) -> subprocess.CompletedProcess:
    """_helpers.snakemake with this module's settings: `configfile` in `workdir`, 2 cores."""
    return run_snakemake(workdir, workdir / configfile, *args, profile=profile, cores=2, timeout=900)


def planned(dry_run_output: str) -> list[tuple[str, str]]:
    """(rule, wildcards) of each job a dry run plans."""
    return [(job.rule, job.wildcards) for job in planned_jobs(dry_run_output)]


def site_rows() -> list[dict[str, str]]:
    rows, _ = generate_reports(60, seed=3)
    return [{RENAMED[k]: v for k, v in r.items()} for r in rows]


def write_key(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(KEY + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def workdir(tmp_path_factory, tiny_base) -> Path:
    wd = tmp_path_factory.mktemp("wf")
    (wd / "config").symlink_to(ROOT / "config")  # the config files' default paths (config/...) resolve
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
    # Real-data mode: the key must exist (made here, outside results/ and the repository).
    cfg["real_data"] = True
    cfg["pseudonym_key"] = {"file": str(write_key(tmp_path_factory.mktemp("secrets") / "pseudonym.key"))}
    # A tiny local base model (a "path" entry, as a user's own model would be).
    shutil.copytree(tiny_base, wd / "tiny_base")  # a test edits its chat template
    cfg["base_models"] = {"tiny": {"path": str(wd / "tiny_base")}}
    cfg["variants"] = {"lora": {"base": "tiny", "method": "lora", "recipe": str(ROOT / "config/recipes/lora_cpu.yaml")}}
    cfg["predict"] = {}  # the demo's predictions entry names the demo dataset
    cfg["instructions"]["templates"] = str(ROOT / "config" / "instruction_templates.yaml")
    cfg["instructions"]["prepend_phrases"] = str(ROOT / "config" / "prepend_phrases.yaml")
    cfg["deid"]["allow_list"] = str(ROOT / "config" / "deid_allow_list.txt")
    cfg["deid"]["quality_check"] = {"synthetic_reports": 20, "heldout_reports": 20}
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


def test_ids_are_keyed_by_the_configured_key(workdir: Path):
    rows = [json.loads(x) for s in ("train", "val", "test") for x in (workdir / f"results/data/{s}.jsonl").open()]
    accessions = {r["ACC_NO"] for r in site_rows()}
    keyed = {"site_a-" + keyed_hash(KEY.encode(), "site_a", a) for a in accessions}
    site_ids = {r["id"] for r in rows if r["dataset"] == "site_a"}
    assert site_ids and site_ids <= keyed
    # The key is in no log and no Snakemake metadata (the params hold its file path and a fingerprint).
    for meta in (workdir / ".snakemake").rglob("*"):
        if meta.is_file():
            assert KEY.encode() not in meta.read_bytes(), meta
    for log in (workdir / "logs").rglob("*"):
        if log.is_file():
            assert KEY.encode() not in log.read_bytes(), log


def test_raw_shards_are_gone_and_everything_under_results_is_owner_only(workdir: Path):
    # The raw (not de-identified) shards were temporary: de-identification done, they are deleted.
    assert not list((workdir / "results/shards").rglob("*.parquet"))
    assert sorted(p.name for p in (workdir / "results/ids").rglob("*.parquet")) == ["000.parquet"] * 2 + ["001.parquet"]
    # Every file that holds report text (and every other file under results/) is 0600, its folders 0700.
    files = [p for p in (workdir / "results").rglob("*") if p.is_file()]
    for rel in ("deid/site_a/000_0000-of-0002.parquet", "filter/filtered.parquet", "split/assigned.parquet",
                "data/train.jsonl", "data/test.jsonl", "ids/site_a/001.parquet"):  # fmt: skip
        assert workdir / "results" / rel in files
    assert {str(p.relative_to(workdir)): oct(p.stat().st_mode & 0o777) for p in files if p.stat().st_mode & 0o077} == {}
    folders = [workdir / "results"] + [p for p in (workdir / "results").rglob("*") if p.is_dir()]
    assert {str(p): oct(p.stat().st_mode & 0o777) for p in folders if p.stat().st_mode & 0o777 != 0o700} == {}
    # and no temporary of an atomic write is left behind
    assert not [p for p in (workdir / "results").rglob(".*")]


def test_rerun_with_nothing_changed_does_nothing(workdir: Path):
    run = snakemake(workdir, "-n", "results/data/train.jsonl")
    assert run.returncode == 0, run.stderr[-2000:]
    assert planned(run.stdout + run.stderr) == []


def test_changed_export_reruns_only_its_shards(workdir: Path):
    rows = site_rows()[30:]
    rows[0]["IMPRESSION_TXT"] += " Follow-up CT in 3 months is advised."
    write_csv(workdir / "feb.csv", rows, list(RENAMED.values()))
    run = snakemake(workdir, "-n", "results/data/train.jsonl")
    assert run.returncode == 0, run.stderr[-2000:]
    jobs = planned(run.stdout + run.stderr)
    assert ("ingest", "dataset=site_a, part=001") in jobs
    deid = sorted(w for r, w in jobs if r == "deidentify")
    assert deid == ["dataset=site_a, shard=001_0000-of-0002", "dataset=site_a, shard=001_0001-of-0002"]
    assert {r for r, _ in jobs} == {
        "ingest",
        "check_ids",
        "deidentify",
        "deid_audit",
        "filter",
        "split",
        "instructions",
    }


def test_tokenized_cache_goes_stale_with_length_or_template(workdir: Path):
    target = "results/tokenized/tiny/train"
    run = snakemake(workdir, target)
    assert run.returncode == 0, run.stderr[-3000:]
    run = snakemake(workdir, "-n", target)
    assert run.returncode == 0 and planned(run.stdout + run.stderr) == [], run.stderr[-2000:]
    # Another max length: the params changed, so the cache is stale.
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    cfg["tokenize"]["max_seq_len"] = 256
    (workdir / "config_256.yaml").write_text(yaml.safe_dump(cfg))
    run = snakemake(workdir, "-n", target, configfile="config_256.yaml")
    assert ("tokenize", "base=tiny, split=train") in planned(run.stdout + run.stderr), run.stderr[-2000:]
    # Another chat template in the same model folder: the tokenizer files are inputs, so it is stale too.
    template = next(p for p in (workdir / "tiny_base").iterdir() if p.name in ("chat_template.jinja",))
    template.write_text(template.read_text() + "{# site-specific edit #}")
    run = snakemake(workdir, "-n", target)
    assert ("tokenize", "base=tiny, split=train") in planned(run.stdout + run.stderr), run.stderr[-2000:]


def record_lines(path: Path) -> list[int]:
    """Line on which each data record of a CSV starts (header = line 1; fields may hold newlines)."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader)
        starts, end = [], reader.line_num
        for _ in reader:
            starts.append(end + 1)
            end = reader.line_num
    return starts


def test_failures_stop_before_the_filter_and_show_the_one_line_error(workdir: Path, tmp_path: Path):
    """Bad inputs under Snakemake: the failed job's log (file, line, column) is on the console
    (show-failed-logs in the workflow profile), nothing is filtered, no traceback. (A report id repeated across
    CSV parts is found by check_ids, which the filter waits for: not the de-identification jobs, so that a new
    part reruns no other part's shards.)"""
    cfg = yaml.safe_load((workdir / "config.yaml").read_text())
    rows = site_rows()
    header = list(RENAMED.values())
    write_csv(tmp_path / "jan.csv", rows[:5], header)
    write_csv(tmp_path / "feb.csv", rows[5:8] + [dict(rows[8], ACC_NO=rows[2]["ACC_NO"])], header)  # a repeat
    (tmp_path / "empty.csv").write_text(",".join(header) + "\n")
    site = cfg["datasets"]["site_a"]
    cfg["datasets"] = {"site_a": dict(site, csv=["jan.csv", "feb.csv"])}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    (tmp_path / "config").symlink_to(ROOT / "config")
    profile = str(ROOT / "profiles" / "default")
    run = snakemake(tmp_path, "results/filter/filtered.parquet", profile=profile)
    out = run.stdout + run.stderr
    assert run.returncode != 0
    repeat, first = record_lines(tmp_path / "feb.csv")[3], record_lines(tmp_path / "jan.csv")[2]
    want = f"file feb.csv, line {repeat}, column 'ACC_NO': duplicate report id (same as line {first} of jan.csv)"
    assert want in out, out[-3000:]
    assert "Traceback" not in out.split("Error in rule check_ids", 1)[-1].split("Shutting down", 1)[0]
    assert not (tmp_path / "results/filter").exists() or not list((tmp_path / "results/filter").iterdir())

    cfg["datasets"] = {"site_a": dict(site, csv=["empty.csv"])}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    run = snakemake(tmp_path, "results/deid/audit.tsv", profile=profile)
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "radtune error: file empty.csv, line 2: no data rows (only a header)" in out, out[-3000:]
    assert not list((tmp_path / "results/shards").rglob("000_*.parquet"))  # the failed part wrote nothing


def test_real_data_without_its_key_stops_at_start_up(tmp_path: Path):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    cfg["real_data"] = True
    cfg["pseudonym_key"] = {"file": str(tmp_path / "missing" / "pseudonym.key")}
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(cfg))
    run = snakemake(tmp_path, "-n", "results/data/train.jsonl")
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "never makes a key" in out and not (tmp_path / "missing").exists()
    assert "Traceback" not in out
