"""Config schema: defaults fill in, bad keys are named, the generated reference is current."""

from pathlib import Path

import pytest
import yaml
from _helpers import planned_jobs, snakemake
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from radtune.core.config_doc import render

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "config" / "schema.yaml"


def demo_config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def test_demo_config_validates_and_gets_defaults():
    cfg = demo_config()
    validate(cfg, str(SCHEMA), set_default=True)
    assert cfg["filter"]["min_findings_words"] == 10
    assert cfg["eval"]["judge"]["backend"] == "none"  # no text leaves unless the user says so
    assert cfg["split"]["near_duplicates"]["threshold"] == 0.8  # a nested default fills in
    assert cfg["datasets"]["demo"]["columns"]["context"] == ["indication", "comparison"]


def test_unknown_key_is_named():
    cfg = demo_config()
    cfg["filter"]["min_finding_words"] = 5  # typo
    with pytest.raises(WorkflowError, match="min_finding_words"):
        validate(cfg, str(SCHEMA), set_default=True)


def test_bad_task_is_rejected():
    cfg = demo_config()
    cfg["datasets"]["demo"]["task"] = "summarise"
    with pytest.raises(WorkflowError, match="summarise"):
        validate(cfg, str(SCHEMA), set_default=True)


def test_configuration_reference_is_current():
    doc = (ROOT / "docs" / "configuration.md").read_text()
    assert doc == render(SCHEMA), "regenerate with: python -m radtune.core.config_doc"
    assert "| `filter.min_findings_words` | integer | `10` |" in doc


def test_unmapped_required_column_is_rejected_at_startup(tmp_path):
    cfg = demo_config()
    del cfg["datasets"]["demo"]["columns"]["impression"]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    run = snakemake(ROOT, tmp_path / "c.yaml", "-n", timeout=120)
    assert run.returncode != 0
    assert "datasets.demo.columns.impression is required for task 'impression'" in run.stdout + run.stderr


def _dry_run(tmp_path: Path, cfg: dict, *targets: str, key: Path | None = None):
    """A dry run of the demo workflow in an empty folder (no results yet; a pseudonym key of its own)."""
    return _snakemake(tmp_path, cfg, "-n", *targets, key=key)


def _snakemake(tmp_path: Path, cfg: dict, *args: str, key: Path | None = None):
    """Snakemake with `args` on the demo workflow in an empty folder (`key`: the pseudonym key file, else one of its
    own)."""
    if key is None:
        key = tmp_path / "key"
        key.write_text("radtune-config-test-key-0123456789abcdef\n")
        key.chmod(0o600)
    cfg["pseudonym_key"] = {"file": str(key)}
    for folder in ("config", "data"):  # the demo config's relative paths: its CSV, recipe, templates, ...
        (tmp_path / folder).symlink_to(ROOT / folder)
    cfg["predict"] = {}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    return snakemake(tmp_path, tmp_path / "c.yaml", *args, timeout=120)


def _job(out: str, rule: str, wildcard: str = "") -> str:
    """The dry-run block of the (first) job of `rule` whose wildcards hold `wildcard`."""
    return next(j.text for j in planned_jobs(out) if j.rule == rule and wildcard in j.wildcards)


def test_canaries_feed_the_train_split_only_and_export_waits_for_the_privacy_check(tmp_path):
    cfg = demo_config()
    assert cfg["privacy"]["canaries"]["enabled"]  # on in the demo
    run = _dry_run(tmp_path, cfg, "results/export/lora", "results/privacy.tsv")
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-3000:]
    assert "results/data/canaries.jsonl" in _job(out, "tokenize", "split=train")
    assert "canaries" not in _job(out, "tokenize", "split=val")
    for rule in ("canaries", "privacy_audit", "privacy_check", "privacy_table"):
        assert f"rule {rule}:" in out
    export = _job(out, "export")
    assert "results/privacy/lora.check.tsv" in export and "results/privacy/lora.tsv" in export
    # nothing else reads the canaries: not the chat JSONL files, baselines, generation or scoring
    readers = {j.rule for j in planned_jobs(out)
               if "results/data/canaries.jsonl" in j.text.split("input:", 1)[-1].split("\n", 1)[0]}  # fmt: skip
    # (the demo's retrieval variant tokenizes its own train split, canaries included, and its val split without)
    assert readers == {"tokenize", "tokenize_retrieval", "privacy_audit"}
    assert "results/data/canaries.jsonl" in _job(out, "tokenize_retrieval", "split=train")
    assert "canaries" not in _job(out, "tokenize_retrieval", "split=val")


def test_a_max_exposure_the_audit_cannot_resolve_is_rejected_at_startup(tmp_path):
    cfg = demo_config()
    cfg["privacy"]["max_exposure"] = 12.0  # 1000 candidates resolve up to 9.97 bits
    run = _dry_run(tmp_path, cfg)
    assert run.returncode != 0
    assert "privacy.max_exposure 12.0 can never be exceeded" in run.stdout + run.stderr


def test_a_schema_error_is_one_short_message_not_the_schema(tmp_path):
    cfg = demo_config()
    cfg["shard"] = 4  # for shards
    run = _dry_run(tmp_path, cfg)
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "config: unknown key 'shard' (did you mean 'shards'?) = 4; keys allowed here: " in out
    assert len(out.splitlines()) < 30, out[:3000]  # was ~2,150 lines: the schema and the config
    assert "Failed validating" not in out and "description" not in out


def test_a_csv_path_that_is_a_symlink_loop_stops_the_start_up_in_one_line(tmp_path):
    cfg = demo_config()
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    cfg["datasets"]["demo"]["csv"] = ["a.csv"]
    run = _dry_run(tmp_path, cfg)
    out = run.stdout + run.stderr
    assert run.returncode != 0
    assert "config: datasets.demo.csv[0] a.csv is a symlink loop (too many levels of symbolic links)" in out
    assert "Traceback" not in out and "Building DAG" not in out


def test_an_empty_test_split_is_refused_at_startup(tmp_path):
    cfg = demo_config()
    cfg["split"].update(train=1.0, val=0, test=0)
    run = _dry_run(tmp_path, cfg)
    assert run.returncode != 0
    assert "config: split.test is 0: the test split is what eval.tsv scores, it must be > 0" in run.stdout + run.stderr


def test_a_key_file_linked_into_results_is_refused_with_real_data(tmp_path):
    cfg = demo_config()
    cfg["real_data"] = True
    (tmp_path / "results").mkdir(mode=0o700)
    key = tmp_path / "results" / "pseudonym.key"
    key.write_text("radtune-config-test-key-0123456789abcdef\n")
    key.chmod(0o600)
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "pseudonym.key").symlink_to(key)
    run = _dry_run(tmp_path, cfg, key=tmp_path / "keys" / "pseudonym.key")
    assert run.returncode != 0
    assert f"is inside results/ (it resolves to {key})" in run.stdout + run.stderr


def test_snakemake_folder_and_run_logs_are_owner_only(tmp_path):
    """Snakemake makes .snakemake/log/ (and a run's log) before it reads the Snakefile, under the user's umask."""
    import os
    import stat

    old_log = tmp_path / ".snakemake" / "log" / "2026-01-01T000000.snakemake.log"
    old_log.parent.mkdir(parents=True)
    old_log.write_text("an earlier run\n")
    for path, mode in ((tmp_path / ".snakemake", 0o755), (old_log.parent, 0o755), (old_log, 0o644)):
        path.chmod(mode)
    umask = os.umask(0o022)  # a usual login umask; the workflow sets 077 only once it runs
    try:
        run = _snakemake(tmp_path, demo_config(), "--list-rules")  # not a dry run: Snakemake opens its log
    finally:
        os.umask(umask)
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    modes = [stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / ".snakemake", old_log.parent, old_log)]
    assert modes == [0o700, 0o700, 0o600]


def test_the_workflow_profile_reruns_the_jobs_a_killed_run_left_incomplete():
    """After kill -9 only `snakemake --unlock` is needed (README): rerun-incomplete comes from profiles/default,
    which Snakemake loads next to any --profile (the cluster profile here)."""
    from snakemake.cli import parse_args

    snakefile, default = str(ROOT / "Snakefile"), str(ROOT / "profiles" / "default")
    _, args = parse_args(["-s", snakefile, "--workflow-profile", default, "-n"])
    assert args.rerun_incomplete
    _, args = parse_args(
        ["-s", snakefile, "--profile", str(ROOT / "profiles" / "slurm"), "--workflow-profile", default]
    )
    assert args.rerun_incomplete
