"""Config schema: defaults fill in, bad keys are named, the generated reference is current."""

from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from radtune.config_doc import render

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
    assert doc == render(SCHEMA), "regenerate with: python -m radtune.config_doc"
    assert "| `filter.min_findings_words` | integer | `10` |" in doc


def test_unmapped_required_column_is_rejected_at_startup(tmp_path):
    import subprocess
    import sys

    cfg = demo_config()
    del cfg["datasets"]["demo"]["columns"]["impression"]
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(cfg))
    run = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-s", str(ROOT / "Snakefile"), "--directory", str(ROOT),
         "--workflow-profile", "none", "--configfile", str(tmp_path / "c.yaml")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode != 0
    assert "datasets.demo.columns.impression is required for task 'impression'" in run.stdout + run.stderr
