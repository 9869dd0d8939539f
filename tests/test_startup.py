"""Start-up checks (radtune.core.startup, run by rules/common.smk): one line naming the config key, never a dump."""

from __future__ import annotations

import copy
import os
import stat
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from radtune.core.common import RadtuneError
from radtune.core.startup import (
    check_csv_paths,
    check_schema,
    check_split,
    key_file_problem,
    make_snakemake_dir_private,
    path_problem,
    schema_error,
)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "config" / "schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_FILE.read_text())


def demo_config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def error_of(cfg: dict) -> str:
    message = schema_error(cfg, SCHEMA)
    assert message is not None
    assert "\n" not in message and len(message) < 700, message
    return message


# ---- schema violations ----------------------------------------------------------------------------


def test_valid_config_has_no_error_and_is_left_as_it_is():
    cfg = demo_config()
    before = copy.deepcopy(cfg)
    assert schema_error(cfg, SCHEMA) is None
    assert cfg == before  # defaults are filled in by Snakemake's validate, not here
    check_schema(cfg, SCHEMA_FILE)
    validate(cfg, str(SCHEMA_FILE), set_default=True)  # and Snakemake agrees


def test_unknown_top_level_key_names_it_the_close_key_and_the_allowed_ones():
    cfg = demo_config()
    cfg["shard"] = 4
    message = error_of(cfg)
    assert message.startswith("config: unknown key 'shard' (did you mean 'shards'?) = 4; keys allowed here: ")
    assert "datasets" in message and "split" in message
    with pytest.raises(RadtuneError, match="unknown key 'shard'"):
        check_schema(cfg, SCHEMA_FILE)


def test_unknown_nested_key_is_named_by_its_path():
    cfg = demo_config()
    cfg["filter"]["min_finding_words"] = 5
    message = error_of(cfg)
    assert "unknown key 'filter.min_finding_words' (did you mean 'min_findings_words'?) = 5" in message
    assert "description" not in message  # not the schema


def test_unknown_key_with_a_large_value_is_cut_short():
    cfg = demo_config()
    cfg["evaluation"] = {f"k{i}": list(range(50)) for i in range(50)}
    message = error_of(cfg)
    assert "unknown key 'evaluation'" in message and "..." in message


def test_enum_names_the_key_the_value_and_the_allowed_values():
    cfg = demo_config()
    cfg["datasets"]["demo"]["task"] = "summarise"
    assert error_of(cfg) == (
        "config key datasets.demo.task: value 'summarise' not one of ['impression', 'protocol', 'note_qa']"
    )


def test_type_minimum_and_required_are_one_line_with_the_key():
    cfg = demo_config()
    cfg["split"]["train"] = "most"
    assert error_of(cfg) == "config key split.train: value 'most' is not of type number"
    cfg = demo_config()
    cfg.setdefault("tokenize", {})["max_seq_len"] = 8
    assert error_of(cfg) == "config key tokenize.max_seq_len: 8 is less than the minimum of 16"
    cfg = demo_config()
    del cfg["datasets"]["demo"]["csv"]
    assert error_of(cfg) == "config key datasets.demo: required key 'datasets.demo.csv' is missing"
    cfg = demo_config()
    cfg["shards"] = {"a": 1}  # a whole object where a number goes: its repr, not the schema
    assert error_of(cfg).startswith("config key shards: value {'a': 1} is not of type")


# ---- CSV paths -------------------------------------------------------------------------------------


def test_csv_symlink_loop_is_named_by_key_and_path(tmp_path):
    (tmp_path / "a.csv").symlink_to(tmp_path / "b.csv")
    (tmp_path / "b.csv").symlink_to(tmp_path / "a.csv")
    (tmp_path / "ok.csv").write_text("x\n")
    assert "symlink loop" in path_problem(tmp_path / "a.csv")
    assert path_problem(tmp_path / "ok.csv") is None
    assert path_problem(tmp_path / "missing.csv") is None  # left to Snakemake's missing-input message
    assert "cannot be looked at" in path_problem(tmp_path / "ok.csv" / "x.csv")  # a file as a folder
    cfg = {"datasets": {"demo": {"csv": [str(tmp_path / "ok.csv"), str(tmp_path / "a.csv")]}}, "predict": {}}
    with pytest.raises(RadtuneError) as info:
        check_csv_paths(cfg)
    loop = tmp_path / "a.csv"
    assert (
        str(info.value) == f"config: datasets.demo.csv[1] {loop} is a symlink loop (too many levels of symbolic links)"
    )
    cfg = {
        "datasets": {"demo": {"csv": [str(tmp_path / "ok.csv")]}},
        "predict": {"new": {"csv": [str(tmp_path / "b.csv")]}},
    }
    with pytest.raises(RadtuneError, match=r"^config: predict\.new\.csv\[0\] .*b\.csv is a symlink loop"):
        check_csv_paths(cfg)
    check_csv_paths({"datasets": {"demo": {"csv": [str(tmp_path / "ok.csv")]}}})


# ---- split shares ---------------------------------------------------------------------------------


def test_empty_test_split_is_refused_and_empty_val_split_with_variants():
    with pytest.raises(RadtuneError, match=r"^config: split\.test is 0: "):
        check_split({"split": {"train": 0.9, "val": 0.1, "test": 0}, "variants": {}})
    with pytest.raises(RadtuneError, match=r"^config: split\.val is 0: "):
        check_split({"split": {"train": 0.9, "val": 0, "test": 0.1}, "variants": {"lora": {}}})
    check_split({"split": {"train": 0.9, "val": 0, "test": 0.1}, "variants": {}})  # nothing trains: no val needed
    check_split({"split": {"train": 0.8, "val": 0.1, "test": 0.1}, "variants": {"lora": {}}})


# ---- the pseudonym key file --------------------------------------------------------------------------


def test_key_file_linked_into_results_is_inside_results(tmp_path):
    results, keys = tmp_path / "work" / "results", tmp_path / "keys"
    results.mkdir(parents=True)
    keys.mkdir()
    (results / "pseudonym.key").write_text("k" * 64)
    (keys / "pseudonym.key").symlink_to(results / "pseudonym.key")
    (keys / "own.key").write_text("k" * 64)
    folders = {"results/": str(results)}
    message = key_file_problem(keys / "pseudonym.key", folders)
    assert message == (
        f"config: pseudonym_key.file {keys / 'pseudonym.key'} is inside results/ (it resolves to "
        f"{results / 'pseudonym.key'}): keep the key outside the repository and results/"
    )
    assert key_file_problem(keys / "own.key", folders) is None
    assert "is inside results/:" in key_file_problem(results / "pseudonym.key", folders)  # by its path
    # results/ itself a link to scratch space: a key there is inside results/ too
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (tmp_path / "w2").mkdir()
    (tmp_path / "w2" / "results").symlink_to(scratch)
    assert "inside results/" in key_file_problem(
        scratch / "pseudonym.key", {"results/": str(tmp_path / "w2" / "results")}
    )
    # a folder whose name merely starts like results/ is not inside it
    assert key_file_problem(tmp_path / "work" / "results2" / "k", folders) is None


# ---- .snakemake/ ----------------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def test_snakemake_folder_and_its_logs_become_owner_only(tmp_path):
    make_snakemake_dir_private(tmp_path)  # none yet: nothing to do
    sm = tmp_path / ".snakemake"
    (sm / "log").mkdir(parents=True)
    (sm / "conda" / "env" / "bin").mkdir(parents=True)
    log = sm / "log" / "2026-01-01T000000.snakemake.log"
    log.write_text("log\n")
    tool = sm / "conda" / "env" / "bin" / "python"
    tool.write_text("")
    for path, m in ((sm, 0o755), (sm / "log", 0o755), (log, 0o644), (tool, 0o755)):
        path.chmod(m)
    make_snakemake_dir_private(tmp_path)
    assert (mode(sm), mode(sm / "log"), mode(log)) == (0o700, 0o700, 0o600)
    assert mode(tool) == 0o755  # executables in conda environments keep working (the folder keeps others out)
