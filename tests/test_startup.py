"""Start-up checks (radtune.core.startup, run by rules/common.smk): one line naming the config key, never a dump."""

from __future__ import annotations

import copy
import os
import stat
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from radtune.core.common import RadtuneError, key_fingerprint
from radtune.core.startup import (
    check_columns,
    check_config,
    check_csv_paths,
    check_max_exposure,
    check_references,
    check_retrieval_budget,
    check_schema,
    check_split,
    check_split_total,
    key_file_problem,
    make_snakemake_dir_private,
    path_problem,
    pseudonym_key,
    schema_error,
)

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "config" / "schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_FILE.read_text())


def demo_config() -> dict:
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())


def full_config() -> dict:
    """The demo config as the workflow sees it after validation: defaults filled in."""
    cfg = demo_config()
    validate(cfg, str(SCHEMA_FILE), set_default=True)
    return cfg


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


def test_split_shares_must_add_up_to_one():
    cfg = full_config()
    check_split_total(cfg)
    cfg["split"].update(train=0.8, val=0.1, test=0.2)
    with pytest.raises(RadtuneError) as info:
        check_split_total(cfg)
    assert str(info.value) == "config: split.train + split.val + split.test must add up to 1"
    cfg["split"].update(train=0.7 + 1e-9)  # rounding is not a mistake
    check_split_total(cfg)


# ---- columns and references between sections -------------------------------------------------------


def test_a_column_the_task_requires_must_be_mapped():
    cfg = full_config()
    check_columns(cfg)
    del cfg["datasets"]["demo"]["columns"]["impression"]
    with pytest.raises(RadtuneError) as info:
        check_columns(cfg)
    assert str(info.value) == (
        "config: datasets.demo.columns.impression is required for task 'impression' but maps to nothing"
    )


def test_a_variant_names_a_base_model_of_the_config():
    cfg = full_config()
    check_references(cfg)
    cfg["variants"]["lora"]["base"] = "llama"
    with pytest.raises(RadtuneError) as info:
        check_references(cfg)
    assert str(info.value) == "config: variants.lora.base is 'llama', which is not a key of base_models"


def test_a_predict_entry_names_a_dataset_and_a_variant_of_the_config_and_its_dataset_maps_report_id():
    cfg = full_config()
    cfg["predict"]["demo"]["dataset"] = "other"
    with pytest.raises(RadtuneError) as info:
        check_references(cfg)
    assert str(info.value) == "config: predict.demo.dataset is 'other', which is not a key of datasets"
    cfg = full_config()
    cfg["predict"]["demo"]["variant"] = "qlora"
    with pytest.raises(RadtuneError) as info:
        check_references(cfg)
    assert str(info.value) == "config: predict.demo.variant is 'qlora', which is not a key of variants"
    cfg = full_config()
    del cfg["datasets"]["demo"]["columns"]["report_id"]
    with pytest.raises(RadtuneError) as info:
        check_references(cfg)
    assert str(info.value) == (
        "config: predict.demo: predictions are keyed by the original report id, but "
        "datasets.demo.columns.report_id maps to nothing"
    )
    cfg["predict"] = {}  # without predict entries, no report id is needed
    check_references(cfg)


# ---- the memorisation audit's limit ------------------------------------------------------------------


def test_a_max_exposure_the_candidates_cannot_resolve_is_refused():
    cfg = full_config()
    cfg["privacy"]["canaries"]["candidates"] = 1000
    cfg["privacy"]["max_exposure"] = 12.0
    with pytest.raises(RadtuneError) as info:
        check_max_exposure(cfg)
    assert str(info.value) == (
        "config: privacy.max_exposure 12.0 can never be exceeded: 1000 candidates resolve exposures up to "
        "log2(1000 + 1) = 9.97 bits; lower it or raise privacy.canaries.candidates"
    )
    cfg["privacy"]["max_exposure"] = 9.96  # just under log2(1001) = 9.967...: an exposure above it can be seen
    check_max_exposure(cfg)
    cfg["privacy"]["max_exposure"] = 9.968
    with pytest.raises(RadtuneError, match="can never be exceeded"):
        check_max_exposure(cfg)
    cfg["privacy"]["max_exposure"] = None  # no limit: nothing to check
    check_max_exposure(cfg)


# ---- all of them, in order ---------------------------------------------------------------------------


def test_check_config_runs_every_check_and_raises_the_first_problem(tmp_path):
    check_config(full_config())
    problems = {
        "csv": lambda c: c["datasets"]["demo"].update(csv=[str(tmp_path / "x.csv" / "y.csv")]),
        "split.test": lambda c: c["split"].update(train=0.9, test=0),
        "columns": lambda c: c["datasets"]["demo"]["columns"].pop("findings"),
        "base": lambda c: c["variants"]["lora"].update(base="llama"),
        "total": lambda c: c["split"].update(train=0.9),
        "exposure": lambda c: c["privacy"].update(max_exposure=50.0),
    }
    (tmp_path / "x.csv").write_text("x\n")
    messages = {
        "csv": "config: datasets.demo.csv[0] ",
        "split.test": "config: split.test is 0: ",
        "columns": "config: datasets.demo.columns.findings is required",
        "base": "config: variants.lora.base is 'llama'",
        "total": "config: split.train + split.val + split.test must add up to 1",
        "exposure": "config: privacy.max_exposure 50.0 can never be exceeded",
    }
    names = list(problems)
    for i, name in enumerate(names):
        # this problem and every later one: this one is raised (the checks run in the order the workflow has)
        cfg = full_config()
        for later in names[i:]:
            problems[later](cfg)
        with pytest.raises(RadtuneError) as info:
            check_config(cfg)
        assert str(info.value).startswith(messages[name]), (name, str(info.value))


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


def key_config(file: Path | str, *, real_data: bool = False) -> dict:
    return {"pseudonym_key": {"file": str(file), "env": "RADTUNE_TEST_KEY"}, "real_data": real_data}


def test_pseudonym_key_gives_the_absolute_file_and_the_fingerprint_never_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("RADTUNE_TEST_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    key = tmp_path / "home" / "k.key"
    key.parent.mkdir()
    key.write_text("radtune-startup-test-key-0123456789abcdef\n")
    key.chmod(0o600)
    file, fingerprint = pseudonym_key(key_config("~/k.key", real_data=True), tmp_path / "repo")
    assert file == str(key)
    assert fingerprint == key_fingerprint(b"radtune-startup-test-key-0123456789abcdef")
    # from the environment variable, when it is set: the file is then not looked at
    monkeypatch.setenv("RADTUNE_TEST_KEY", "radtune-startup-env-key-0123456789abcdef")
    (tmp_path / "results").mkdir()
    file, fingerprint = pseudonym_key(key_config("results/k.key", real_data=True), tmp_path)
    assert file == str(tmp_path / "results" / "k.key")
    assert fingerprint == key_fingerprint(b"radtune-startup-env-key-0123456789abcdef")


def test_pseudonym_key_file_in_results_or_with_real_data_in_the_repository_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("RADTUNE_TEST_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").mkdir()
    in_results = tmp_path / "results" / "k.key"
    with pytest.raises(RadtuneError) as info:
        pseudonym_key(key_config("results/k.key"), tmp_path / "repo")
    assert str(info.value) == (
        f"config: pseudonym_key.file {in_results} is inside results/: keep the key outside the repository and results/"
    )
    assert not in_results.exists()  # refused before a demo key is made there
    repo = tmp_path / "repo"
    repo.mkdir()
    with pytest.raises(RadtuneError) as info:
        pseudonym_key(key_config(repo / "k.key", real_data=True), repo)
    assert str(info.value).startswith(f"config: pseudonym_key.file {repo / 'k.key'} is inside the repository:")
    # demo data: a key in the repository is allowed (and made)
    file, _ = pseudonym_key(key_config(repo / "k.key"), repo)
    assert Path(file).is_file()


def test_pseudonym_key_that_cannot_be_loaded_is_named_by_its_config_key(tmp_path, monkeypatch):
    monkeypatch.delenv("RADTUNE_TEST_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "keys" / "k.key"
    with pytest.raises(RadtuneError) as info:
        pseudonym_key(key_config(missing, real_data=True), tmp_path / "repo")
    assert str(info.value).startswith(f"config: pseudonym_key: pseudonym key file {missing} does not exist")
    assert not missing.exists()  # real data: never made


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


def test_a_retrieval_budget_that_crowds_out_the_report_is_refused():
    cfg = full_config()
    cfg["tokenize"]["max_seq_len"] = 512
    cfg["instructions"]["retrieval"]["max_tokens"] = 300
    cfg["variants"] = {"lora": {**cfg["variants"]["lora"], "retrieval": False}}
    check_retrieval_budget(cfg)  # no variant uses retrieval: nothing to check
    cfg["variants"]["rag"] = {**cfg["variants"]["lora"], "retrieval": True}
    with pytest.raises(RadtuneError) as info:
        check_retrieval_budget(cfg)
    assert str(info.value) == (
        "config: instructions.retrieval.max_tokens 300 leaves too little of tokenize.max_seq_len 512 for the "
        "report itself: at most 256 (half of it)"
    )
    cfg["instructions"]["retrieval"]["max_tokens"] = 256
    check_retrieval_budget(cfg)
