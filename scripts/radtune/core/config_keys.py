"""Which job reads which config key: the `x-rules` / `x-options` / `x-plan` annotations of config/schema.yaml, the
part of the config each job is given, and the set of rules a change of each key reruns.

An annotation on a schema node holds for every key below it, unless a key below has its own:
- `x-rules: [rule, ...]`   the rules whose scripts read the key as a tracked param: changing it reruns their jobs;
- `x-options: [rule, ...]` the rules that read it as an untracked option (batch sizes, workers, where the key file
  is, a check's limit): how a job runs, never what it writes; changing it reruns nothing;
- `x-plan: [rule, ...]`    the key shapes the plan in rules/common.smk (which jobs, which input files): changing
  it reruns (or adds) these rules' jobs. `x-plan: []` marks a key that changes no job at all.
Every leaf key has at least one of them (tests/test_config_keys.py), and a changed key reruns exactly its rules
plus the jobs downstream of them (tests/test_staleness.py checks that on a finished run, key by key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SCHEMA = Path(__file__).resolve().parents[3] / "config" / "schema.yaml"
KINDS = ("x-rules", "x-options", "x-plan")
NAME = "<name>"  # a map entry in a key path (datasets.<name>.task)


@dataclass(frozen=True)
class Key:
    """One leaf key of the schema and who reads it."""

    path: tuple[str, ...]
    node: dict[str, Any]
    rules: tuple[str, ...]  # tracked readers: rerun
    options: tuple[str, ...]  # untracked readers: no rerun
    plan: tuple[str, ...]  # planned in rules/common.smk: these rules' jobs rerun or appear
    annotated: bool  # some node on its path carries an x-* annotation (x-plan: [] means: reruns nothing)

    @property
    def name(self) -> str:
        return ".".join(self.path)

    @property
    def reruns(self) -> tuple[str, ...]:
        """Rules whose jobs a change reruns directly (their downstream jobs follow)."""
        return tuple(dict.fromkeys(self.rules + self.plan))


def load_schema(path: str | Path = SCHEMA) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def _deref(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _children(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Named sub-keys of an object node; a map (additionalProperties: {...}) has the one child <name>."""
    out = {k: _deref(v, schema) for k, v in node.get("properties", {}).items()}
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        out[NAME] = _deref(extra, schema)
    return out


def _annotation(node: dict[str, Any], inherited: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    own = {k: tuple(node[k]) for k in KINDS if k in node}
    return own if own else inherited


def leaf_keys(schema: dict[str, Any] | None = None) -> list[Key]:
    """Every leaf key (a value that is not an object of named keys) with its effective annotation."""
    schema = schema or load_schema()
    keys: list[Key] = []

    def walk(node: dict[str, Any], path: tuple[str, ...], ann: dict[str, tuple[str, ...]]) -> None:
        ann = _annotation(node, ann)
        children = _children(node, schema)
        if not children:
            rules, options, plan = (ann.get(k, ()) for k in KINDS)
            keys.append(Key(path, node, rules, options, plan, bool(ann)))
            return
        for name, child in children.items():
            walk(child, (*path, name), ann)

    walk(schema, (), {})
    return keys


_NONE = object()  # nothing of this value is read by the rule (a null value may be read: max_examples: null)


def _select(value: Any, node: dict[str, Any], schema: dict[str, Any], rule: str, kinds: tuple[str, ...], ann) -> Any:
    """The part of `value` (config under `node`) whose leaf keys name `rule` under one of `kinds`; _NONE if none."""
    ann = _annotation(node, ann)
    children = _children(node, schema)
    if not children or not isinstance(value, dict):
        return value if any(rule in ann.get(k, ()) for k in kinds) else _NONE
    out = {}
    for key, sub in value.items():
        child = children.get(key, children.get(NAME))
        if child is None:
            continue
        picked = _select(sub, child, schema, rule, kinds, ann)
        if picked is not _NONE:
            out[key] = picked
    return out or _NONE


def job_config(
    config: dict[str, Any], rule: str, *section: str, tracked_only: bool = False, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The keys of config[section...] that `rule` reads: x-rules keys, plus x-options keys unless tracked_only.

    A section may pass through map entries by their name, e.g. ("variants", "lora")."""
    schema = schema or load_schema()
    node, value, ann = schema, config, {}
    for part in section:
        ann = _annotation(node, ann)
        children = _children(node, schema)
        node = children.get(part, children.get(NAME))
        if node is None:
            raise KeyError(f"config key {'.'.join(section)} is not in the schema")
        value = value[part]
    kinds = ("x-rules",) if tracked_only else ("x-rules", "x-options")
    picked = _select(value, node, schema, rule, kinds, ann)
    return {} if picked is _NONE else picked


# rule -> the rules that take its outputs as inputs (not through ancient() inputs, which rerun nothing); the
# rule graph of the Snakefile, restated so that the configuration reference can show what a change costs.
# tests/test_staleness.py checks it against `snakemake --rulegraph`.
CONSUMERS: dict[str, set[str]] = {
    "ingest": {"check_ids", "deidentify", "filter"},  # filter: the keyed id lists (conservation check)
    "check_ids": {"filter"},
    "deid_settings": {"deid_quality", "deidentify", "predict_deid"},
    "deid_quality": {"all"},  # a leaf (and an ancient input of export); its check also gates deid_settings
    "deidentify": {"deid_audit", "filter"},
    "deid_audit": {"filter"},
    "filter": {"split"},
    "split": {"instructions", "neighbours", "predict_generate"},  # predict_generate: a retrieval variant's index
    "instructions": {"tokenize", "baseline", "generate", "score", "export", "predict_generate", "retrieval_data"},
    "neighbours": {"retrieval_data"},
    "retrieval_data": {"tokenize_retrieval", "generate", "export"},
    # privacy.canaries: the train split's tokenize jobs only
    "canaries": {"tokenize", "tokenize_retrieval", "privacy_audit"},
    "base_model": {
        "tokenize",
        "tokenize_retrieval",
        "retrieval_data",
        "train",
        "generate",
        "export",
        "predict_generate",
        "privacy_audit",
    },  # fmt: skip
    "tokenize": {"pack", "train"},
    "pack": {"train"},
    "tokenize_retrieval": {"pack_retrieval", "train"},
    "pack_retrieval": {"train"},
    "train": {"generate", "export", "predict_generate", "predict_merge", "track", "privacy_audit"},
    "generate": {"merge_predictions"},
    "merge_predictions": {"score", "judge"},
    "baseline": {"score", "judge"},
    "score": {"table"},
    "judge": {"table"},
    "table": {"all", "track"},
    "track": {"all"},
    "privacy_audit": {"privacy_check"},  # and export (ancient)
    "privacy_check": {"privacy_table"},  # and export (ancient: a new limit re-merges nothing)
    "privacy_table": {"all"},
    "export": set(),  # on request (results/export/{variant}/), not in `all`
    # on request (results/predict/{name}.csv), not in `all`
    "predict_ingest": {"predict_deid"},  # and predict_generate, with predict.<name>.deidentify false
    "predict_deid": {"predict_generate"},
    "predict_generate": {"predict_merge"},
    "predict_merge": set(),
}


# rules whose outputs are made on request only, never by the default target (`all`)
ON_REQUEST = {"export", "predict_ingest", "predict_deid", "predict_generate", "predict_merge"}

# rule -> the rules whose temporary outputs its rerun needs again: re-de-identifying a shard needs the raw
# shard back, which ingest deletes once it is de-identified (unless ingest.keep_raw_shards).
REMAKES: dict[str, set[str]] = {"deidentify": {"ingest"}, "predict_deid": {"predict_ingest"}}


def downstream(
    rules: set[str] | tuple[str, ...], edges: dict[str, set[str]] = CONSUMERS, remakes: dict[str, set[str]] = REMAKES
) -> set[str]:
    """`rules` and every rule that consumes their outputs, transitively (edges: rule -> its consumers), with the
    rules whose temporary outputs those reruns need again (remakes) and their consumers."""
    seen, todo = set(rules), list(rules)
    while todo:
        rule = todo.pop()
        for nxt in (*edges.get(rule, ()), *remakes.get(rule, ())):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


class Untracked:
    """A param value Snakemake does not compare between runs: only builtin values (str, int, dict, ...) are
    recorded and trigger reruns (snakemake.persistence, `_serialize_param`), so a job given options through this
    wrapper is not rerun when only they change. Formats as itself (a string) or as JSON on the command line."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __str__(self) -> str:
        return self.value if isinstance(self.value, str) else json.dumps(self.value, sort_keys=True)

    def __repr__(self) -> str:
        return f"Untracked({self.value!r})"
