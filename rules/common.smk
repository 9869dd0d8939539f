"""Config validation, every path of the workflow (defined once, here), and the lists of models."""

import json
import shlex
import os
import sys

from snakemake.utils import min_version, validate

min_version("9.0")


# The code the rules run is a plain package under scripts/, importable without Snakemake (here too).
SCRIPTS = os.path.join(workflow.basedir, "scripts")
sys.path.insert(0, SCRIPTS)
from radtune.core.common import BASELINE_KINDS, SPLITS, RadtuneError
from radtune.core.startup import (
    check_config,
    check_schema,
    make_snakemake_dir_private,
    pseudonym_key,
)
from radtune.train.recipes import check_recipes

# Snakemake's validation fills in the defaults; a violation is then told in one line (key path, value, what is
# allowed there; radtune.core.startup), not as Snakemake's dump of the whole schema and config.
try:
    validate(config, schema="../config/schema.yaml", set_default=True)
except WorkflowError:  # (Snakemake wraps the jsonschema error)
    try:
        check_schema(config, os.path.join(workflow.basedir, "config", "schema.yaml"))
    except RadtuneError as _exc:
        raise WorkflowError(str(_exc)) from None
    raise

# Wiring errors the schema cannot express: fail at start-up, naming the offending key (radtune.core.startup:
# CSV paths, split shares, mapped columns, references between sections, privacy.max_exposure).
try:
    check_config(config)
except RadtuneError as _exc:
    raise WorkflowError(str(_exc)) from None

# Every job (local or submitted) finds the radtune package through PYTHONPATH. Keeps bash strict
# mode. umask 077: every file a job writes (report text, raw or de-identified) is owner-only; so are
# the folders Snakemake makes for outputs and logs (os.umask here, in Snakemake's own process), and
# .snakemake/ (made, with this run's log, before this file is read: chmod 700 here).
os.umask(0o077)
try:
    make_snakemake_dir_private(os.getcwd())
except RadtuneError as _exc:
    raise WorkflowError(str(_exc)) from None
# (The prefix is formatted like a shell command, hence the doubled braces.)
shell.prefix(
    "set -euo pipefail; umask 077; export PYTHONPATH='"
    + SCRIPTS
    + "'${{PYTHONPATH:+:$PYTHONPATH}}; "
)

# Pseudonym key (HMAC of accession numbers and MRNs): resolved once here, so that a missing key with
# real_data stops the run at start-up. Jobs get the file path or the variable name, never the key;
# the params carry a one-way fingerprint so that another key reruns ingest.
try:
    PSEUDONYM_KEY_FILE, PSEUDONYM_KEY_FINGERPRINT = pseudonym_key(
        config, workflow.basedir
    )
except RadtuneError as _exc:
    raise WorkflowError(str(_exc)) from None

# Training recipes: an unknown SFTConfig / LoraConfig field stops the run now (naming the recipe file
# and the field), not when its training job starts. Reads TRL's sources; does not import TRL.
try:
    check_recipes(config["variants"])
except RadtuneError as _exc:
    raise WorkflowError(str(_exc)) from None

# ---- paths (the only place they are spelled out) -------------------------------------------
# A shard is "{part}_{piece}", a piece "{i}-of-{n}" (0000-of-0004): the shard count is in every shard's path, so
# a changed `shards` (or eval.shards for predict pieces) names new files and reruns ingest and everything below
# it; a stale set of pieces cut for another count can never be read as the current one.
SHARD = "results/shards/{dataset}/{shard}.parquet"
SHARD_PIECE = "results/shards/{dataset}/{part}_{piece}.parquet"
# keyed ids, file and line of one CSV part; and the check that they are unique across parts
INGEST_IDS = "results/ids/{dataset}/{part}.parquet"
IDS_CHECKED = "results/ids/{dataset}.tsv"
DEID = "results/deid/{dataset}/{shard}.parquet"
DEID_SHARD_AUDIT = "results/deid/{dataset}/{shard}.audit.tsv"
DEID_AUDIT = "results/deid/audit.tsv"
DEID_QUALITY = "results/deid/quality.tsv"
DEID_SETTINGS = "results/deid/settings.json"
FILTERED = "results/filter/filtered.parquet"
FILTER_REPORT = "results/filter/report.tsv"
SPLIT_ASSIGNED = "results/split/assigned.parquet"
SPLIT_REPORT = "results/data/split_report.tsv"
DATA = "results/data/{split}.jsonl"
# the memorisation audit (privacy.canaries): the canaries (secrets: owner-only) and the train rows they add,
# each variant's audit table and per-canary figures, its check against privacy.max_exposure, all checks
CANARIES = "results/data/canaries.jsonl"
CANARY_REPORT = "results/data/canary_report.tsv"
PRIVACY_AUDIT = "results/privacy/{variant}.tsv"
PRIVACY_CANARIES = "results/privacy/{variant}.canaries.tsv"
PRIVACY_CHECK = "results/privacy/{variant}.check.tsv"
PRIVACY_TABLE = "results/privacy.tsv"
BASE_DIR = "results/base/{base}"
TOKENIZED = "results/tokenized/{base}/{split}"
TOKENIZED_STATS = "results/tokenized/{base}/{split}.stats.json"
PACKED = "results/packed/{base}/train"
PACK_STATS = "results/packed/{base}/train.stats.json"
# retrieval-augmented examples (instructions.retrieval; the variants with retrieval: true): the neighbours of
# every assigned row, the examples with their neighbours shown (per base: the token budget is in its tokenizer)
NEIGHBOURS = "results/data/retrieval/neighbours.jsonl"
DATA_RETRIEVAL = "results/data/retrieval/{base}/{split}.jsonl"
TOKENIZED_RETRIEVAL = "results/tokenized_retrieval/{base}/{split}"
TOKENIZED_RETRIEVAL_STATS = "results/tokenized_retrieval/{base}/{split}.stats.json"
PACKED_RETRIEVAL = "results/packed_retrieval/{base}/train"
PACK_RETRIEVAL_STATS = "results/packed_retrieval/{base}/train.stats.json"
MODEL = "results/models/{variant}"
CHECKPOINTS = "results/checkpoints/{variant}"
GENERATED = "results/generate/{model}/{eshard}.jsonl"
PREDICTIONS = "results/predictions/{model}.jsonl"
SCORES = "results/scores/{model}.tsv"
JUDGE = "results/judge/{model}.tsv"
EVAL = "results/eval.tsv"
EVAL_BY_GROUP = "results/eval_by_group.tsv"
EVAL_PLOT = "results/eval.png"
TRACKED = (
    "results/tracking/eval_rows.json"  # the runs the eval rows went to (tracking:)
)
EXPORT = "results/export/{variant}"  # servable: merged weights, tokenizer, model card
# batch predictions on new exports (config `predict:`): ingested, de-identified and predicted pieces, then the CSV
PREDICT_RAW = "results/predict/{name}/raw_{piece}.parquet"
PREDICT_DEID = "results/predict/{name}/deid_{piece}.parquet"
PREDICT_DEID_AUDIT = "results/predict/{name}/deid_{piece}.audit.tsv"
PREDICT_SHARD = "results/predict/{name}/out_{piece}.parquet"
PREDICT = "results/predict/{name}.csv"
LOGS = "logs"


def pieces(n):
    """Piece ids of a file cut in n: "0000-of-0003", "0001-of-0003", "0002-of-0003"."""
    return [f"{i:04d}-of-{n:04d}" for i in range(n)]


def piece_ids():
    return pieces(config["shards"])


def shard_ids(dataset):
    """Shards of a dataset: every piece of every CSV part ("{part}_{piece}"), so that a changed
    export file reruns only its own shards' jobs."""
    parts = range(len(config["datasets"][dataset]["csv"]))
    return [f"{p:03d}_{piece}" for p in parts for piece in piece_ids()]


def part_ids(dataset):
    return [f"{p:03d}" for p in range(len(config["datasets"][dataset]["csv"]))]


def raw_shards(paths):
    """Raw shards hold report text that is not de-identified: deleted once de-identified, unless
    ingest.keep_raw_shards."""
    return paths if config["ingest"]["keep_raw_shards"] else temp(paths)


def all_shards(pattern):
    return [
        pattern.format(dataset=d, shard=s)
        for d in config["datasets"]
        for s in shard_ids(d)
    ]


def ingested_ids():
    """Each dataset's keyed id lists, one per CSV part: what ingest read under the current config."""
    return {
        d: expand(INGEST_IDS, dataset=d, part=part_ids(d)) for d in config["datasets"]
    }


def pseudonym_key_params():
    """The pseudonym key as params of a job that reads it: its file and variable name, never the key (params are
    kept in .snakemake/), as options (not tracked), and its one-way fingerprint, tracked: another key reruns the
    job, the same key moved elsewhere does not."""
    return {
        "key_file": Untracked(PSEUDONYM_KEY_FILE),
        "key_env": Untracked(config["pseudonym_key"]["env"]),
        "key_fingerprint": PSEUDONYM_KEY_FINGERPRINT,
    }


def get_part_csv(wildcards):
    return config["datasets"][wildcards.dataset]["csv"][int(wildcards.part)]


def eval_shard_ids():
    """Generation shards of a model ("0000", "0001", ...: eval.shards of them). Not predict_pieces(), whose ids
    ("0000-of-0004") carry the count, so that another eval.shards names new predict files.
    """
    return [f"{i:04d}" for i in range(config["eval"]["shards"])]


def used_bases():
    """Base models the rows of eval.tsv need: every variant's base (or all, without variants)."""
    bases = [v["base"] for v in config["variants"].values()] or list(
        config["base_models"]
    )
    return list(dict.fromkeys(bases))


def llm_models():
    """Model names that get generated predictions: bases (when eval.models.base) then variants."""
    names = used_bases() if config["eval"]["models"]["base"] else []
    return names + list(config["variants"])


def baseline_models():
    return [f"baseline_{kind}" for kind in config["eval"]["models"]["baselines"]]


def eval_models():
    return llm_models() + baseline_models()


def model_kinds():
    """What each row of eval.tsv is: base, variant:<its base> (for p_vs_base) or baseline."""
    kinds = {m: "base" for m in llm_models() if m not in config["variants"]}
    kinds |= {m: f"variant:{v['base']}" for m, v in config["variants"].items()}
    return kinds | {m: "baseline" for m in baseline_models()}


def get_base_dir(base):
    """A base model's directory: its local path, or the folder the GGUF conversion rule writes."""
    spec = config["base_models"][base]
    if spec.get("path") and not spec.get("gguf_file"):
        return spec["path"]
    return BASE_DIR.format(base=base)


def get_base_files(base):
    """A base model as inputs: the folder, plus each file in it when it is the user's own folder.

    Editing a file inside a folder (a new chat template, new weights) does not make the folder
    newer, so listing the files is what makes tokenized caches and models go stale after such an
    edit. A converted folder (results/base/...) is rewritten whole by its rule.
    """
    folder = get_base_dir(base)
    if folder == BASE_DIR.format(base=base) or not os.path.isdir(folder):
        return [folder]
    return [folder] + sorted(
        os.path.join(folder, f)
        for f in os.listdir(folder)
        if os.path.isfile(os.path.join(folder, f))
    )


def get_model_base(model):
    return config["variants"][model]["base"] if model in config["variants"] else model


def uses_retrieval(model):
    """Whether a model (a variant) sees retrieval-augmented prompts (variants.<name>.retrieval)."""
    return model in config["variants"] and config["variants"][model]["retrieval"]


def get_train_input(wildcards):
    spec = config["variants"][wildcards.variant]
    base = spec["base"]
    if spec["retrieval"]:
        packed, tokenized = PACKED_RETRIEVAL, TOKENIZED_RETRIEVAL
    else:
        packed, tokenized = PACKED, TOKENIZED
    train = (packed if spec["packing"] else tokenized).format(base=base, split="train")
    return {
        "base": get_base_dir(base),
        "base_files": get_base_files(base),
        "train": train,
        "val": tokenized.format(base=base, split="val"),
        "recipe": spec["recipe"],
    }


def get_test_data(model):
    """The test examples a model is evaluated on: with retrieval, the ones showing their neighbours."""
    if uses_retrieval(model):
        return DATA_RETRIEVAL.format(base=get_model_base(model), split="test")
    return DATA.format(split="test")


def canaries_on():
    """The memorisation audit runs: canaries are inserted and there are variants to audit."""
    return config["privacy"]["canaries"]["enabled"]


def get_tokenize_input(wildcards, data=DATA):
    inputs = {
        "data": data.format(base=wildcards.base, split=wildcards.split),
        "base": get_base_dir(wildcards.base),
        "base_files": get_base_files(wildcards.base),
    }
    # the train split only, never val/test
    if canaries_on() and wildcards.split == "train":
        inputs["canaries"] = CANARIES
    return inputs


def get_tokenize_retrieval_input(wildcards):
    return get_tokenize_input(wildcards, DATA_RETRIEVAL)


def get_retrieval_data_input(wildcards):
    return {
        "data": expand(DATA, split=SPLITS),
        "neighbours": NEIGHBOURS,
        "base": get_base_dir(wildcards.base),
        "base_files": get_base_files(wildcards.base),
    }


def get_privacy_audit_input(wildcards):
    base = config["variants"][wildcards.variant]["base"]
    return {
        "model": MODEL.format(variant=wildcards.variant),
        "base": get_base_dir(base),
        "base_files": get_base_files(base),
        "canaries": CANARIES,
    }


def get_generate_input(wildcards):
    inputs = {
        "base": get_base_dir(get_model_base(wildcards.model)),
        "base_files": get_base_files(get_model_base(wildcards.model)),
        "test": get_test_data(wildcards.model),
    }
    if wildcards.model in config["variants"]:
        inputs["model"] = MODEL.format(variant=wildcards.model)
    return inputs


def as_json(value):
    """Params passed to a script as one JSON argument (a params change reruns the job)."""
    return json.dumps(value, sort_keys=True)


# ---- what each job reads from the config (config/schema.yaml: x-rules, x-options; radtune.core.config_keys) ----
from radtune.core.config_keys import Untracked, job_config, load_schema

CONFIG_SCHEMA = load_schema(os.path.join(workflow.basedir, "config", "schema.yaml"))


def tracked_config(rule, *section):
    """JSON of the keys of config[section...] that change `rule`'s output (x-rules): a change reruns its jobs."""
    return as_json(
        job_config(config, rule, *section, tracked_only=True, schema=CONFIG_SCHEMA)
    )


def job_options(rule, *section):
    """Every key of config[section...] `rule` reads, options (x-options) included, for the command line; not
    compared between runs (Untracked), so with tracked_config beside it only x-rules keys rerun the job.
    """
    return Untracked(job_config(config, rule, *section, schema=CONFIG_SCHEMA))


def get_export_input(wildcards):
    base = config["variants"][wildcards.variant]["base"]
    inputs = {
        "model": MODEL.format(variant=wildcards.variant),
        "base": get_base_dir(base),
        "base_files": get_base_files(base),
        "test": get_test_data(wildcards.variant),
        # the card's de-identification figures; ancient, as for deidentify: a re-check of the same settings
        # (other corpus sizes, floors) re-merges no model (settings that de-identify differently retrain it)
        "deid_quality": ancient(DEID_QUALITY),
    }
    if canaries_on():
        # the card's memorisation audit, whose check must pass privacy.max_exposure; ancient, as for deid_quality:
        # a re-check with another limit (or more candidates) re-merges no model; a failing check stops the export
        inputs["privacy_audit"] = ancient(
            PRIVACY_AUDIT.format(variant=wildcards.variant)
        )
        inputs["privacy_check"] = ancient(
            PRIVACY_CHECK.format(variant=wildcards.variant)
        )
    return inputs


def predict_pieces():
    """Pieces of a predictions file: eval.shards generation jobs (and as many de-identification jobs)."""
    return pieces(config["eval"]["shards"])


def get_predict_generate_input(wildcards):
    spec = config["predict"][wildcards.name]
    base = config["variants"][spec["variant"]]["base"]
    inputs = {
        "shard": (PREDICT_DEID if spec["deidentify"] else PREDICT_RAW).format(
            name=wildcards.name, piece=wildcards.piece
        ),
        "model": MODEL.format(variant=spec["variant"]),
        "base": get_base_dir(base),
        "base_files": get_base_files(base),
        "train": DATA.format(split="train"),  # the labels a label task was trained on
        "templates": config["instructions"]["templates"],
        "prepend": config["instructions"]["prepend_phrases"],
        # with a retrieval variant, the train rows a new report's neighbours are searched in, indexed as the
        # neighbours step indexes them (an input of every variant's jobs: a new split retrains the variant anyway)
        "assigned": SPLIT_ASSIGNED,
    }
    if config["filter"]["boilerplate"]["enabled"]:
        inputs["boilerplate"] = config["filter"]["boilerplate"]["patterns"]
    return inputs


def get_table_input(wildcards):
    inputs = {"scores": expand(SCORES, model=eval_models())}
    if config["eval"]["judge"]["backend"] != "none":
        inputs["judge"] = expand(JUDGE, model=eval_models())
    return inputs


def get_final_output():
    tracked = [TRACKED] if config["tracking"]["backend"] != "none" else []
    privacy = [PRIVACY_TABLE] if canaries_on() and config["variants"] else []
    # the de-id quality table: a leaf (its check gates the settings file, rule deid_settings)
    return [EVAL, EVAL_BY_GROUP, EVAL_PLOT, DEID_QUALITY] + tracked + privacy


wildcard_constraints:
    dataset="|".join(config["datasets"]),
    shard=r"\d{3}_\d{4}-of-\d{4}",
    part=r"\d{3}",
    piece=r"\d{4}-of-\d{4}",
    eshard=r"\d{4}",
    split="|".join(SPLITS),
    base="|".join(config["base_models"]),
    variant="|".join(config["variants"]) or "^$",
    model="|".join(eval_models()) or "^$",
    name="|".join(config["predict"]) or "^$",
