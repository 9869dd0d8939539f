"""Start-up checks that rules/common.smk runs before any job is planned: each problem is one line naming the
config key (and the path or value), never a traceback or a dump of the schema.

Runs in Snakemake's own process only (no rule's job imports it), so it may use jsonschema.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import errno
import math
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError, best_match

from radtune.core.common import (
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    SPLITS,
    RadtuneError,
    key_fingerprint,
    load_pseudonym_key,
)
from radtune.core.tasks import TASKS

# ---- the config against config/schema.yaml ------------------------------------------------------

VALUE_CHARS = 80  # longest value shown in a message (a whole section would be a dump)


def _with_defaults(cls: Any) -> Any:
    """A validator that fills in defaults as it validates, as snakemake.utils.validate(set_default=True) does, so
    that it reports exactly the errors Snakemake's validation would (copies of the defaults: the schema stays)."""
    validate_properties = cls.VALIDATORS["properties"]

    def set_defaults(validator: Any, properties: dict, instance: Any, schema: dict) -> Iterator[ValidationError]:
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if isinstance(sub, dict) and "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from validate_properties(validator, properties, instance, schema)

    return validators.extend(cls, {"properties": set_defaults})


def key_path(path: Iterable[Any]) -> str:
    """A config key as the docs spell it: datasets.demo.csv[0]."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def short(value: Any, limit: int = VALUE_CHARS) -> str:
    """repr of a config value, cut to `limit` characters."""
    return _cut(repr(value), limit)


def _where(path: Iterable[Any]) -> str:
    key = key_path(path)
    return f"config key {key}" if key else "config"


def schema_error_message(error: ValidationError) -> str:
    """One line for a schema violation: the key path, its value and what is allowed there."""
    path = list(error.absolute_path)
    kind, instance, rule, schema = error.validator, error.instance, error.validator_value, error.schema
    if kind == "additionalProperties" and isinstance(instance, dict) and isinstance(schema, dict):
        allowed = sorted(schema.get("properties", {}))
        patterns = list(schema.get("patternProperties", {}))
        extra = [k for k in instance if k not in allowed and not any(re.search(p, k) for p in patterns)]
        if extra:
            parts = []
            for name in extra:
                close = difflib.get_close_matches(str(name), allowed, n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                parts.append(f"{key_path([*path, name])!r}{hint} = {short(instance[name])}")
            known = ", ".join(allowed) if allowed else "none"
            return f"config: unknown key {'; unknown key '.join(parts)}; keys allowed here: {known}"
    if kind == "enum":
        return f"{_where(path)}: value {short(instance)} not one of {list(rule)}"
    if kind == "const":
        return f"{_where(path)}: value {short(instance)} must be {rule!r}"
    if kind == "type":
        types = rule if isinstance(rule, list) else [rule]
        return f"{_where(path)}: value {short(instance)} is not of type {' or '.join(types)}"
    if kind == "required" and isinstance(instance, dict):
        missing = [k for k in rule if k not in instance]
        return f"{_where(path)}: required key {key_path([*path, missing[0]] if missing else path)!r} is missing"
    # Everything else (minimum, pattern, minItems, oneOf, ...): jsonschema's own sentence, which starts with the
    # value's repr - cut that to a short one (an object's repr would be a whole config section).
    message = error.message.replace(repr(instance), short(instance), 1)
    return f"{_where(path)}: {_cut(message, 300)}"


def schema_error(config: dict[str, Any], schema: dict[str, Any]) -> str | None:
    """The one-line message for the most relevant schema violation of `config` (jsonschema's best_match), or None.

    Validates a copy, with defaults filled in as Snakemake fills them; `config` itself is left as it is.
    """
    validator = _with_defaults(Draft202012Validator)(schema)
    error = best_match(validator.iter_errors(copy.deepcopy(config)))
    return None if error is None else schema_error_message(error)


def check_schema(config: dict[str, Any], schema_file: str | os.PathLike) -> None:
    """Raise RadtuneError with one line when `config` does not follow the schema file (YAML)."""
    import yaml

    schema = yaml.safe_load(Path(schema_file).read_text(encoding="utf-8"))
    message = schema_error(config, schema)
    if message:
        raise RadtuneError(message)


# ---- wiring the schema cannot express ------------------------------------------------------------


def path_problem(path: str | os.PathLike) -> str | None:
    """Why a configured input file cannot even be looked at (a symlink loop, a parent that is not a folder or
    cannot be searched), or None. A missing file is not one: Snakemake names it as a missing input of the rule
    that needs it (and only when a target needs it)."""
    try:
        os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symlink loop (too many levels of symbolic links)"
        return f"cannot be looked at ({exc.strerror})"
    return None


def check_csv_paths(config: dict[str, Any]) -> None:
    """Every CSV a dataset or a predict entry names must be a path the workflow can look at."""
    for section in ("datasets", "predict"):
        for name, entry in (config.get(section) or {}).items():
            for i, path in enumerate(entry.get("csv") or []):
                problem = path_problem(path)
                if problem:
                    raise RadtuneError(f"config: {section}.{name}.csv[{i}] {path} {problem}")


def check_split(config: dict[str, Any]) -> None:
    """The test split is what eval.tsv scores (every model and baseline), and training evaluates on the val split
    (its loss, the kept checkpoint): a share of 0 would leave one empty, so it is refused here, by key."""
    split = config["split"]
    if not split["test"] > 0:
        raise RadtuneError(
            f"config: split.test is {split['test']}: the test split is what eval.tsv scores, it must be > 0 "
            "(split.train + split.val + split.test = 1)"
        )
    if config.get("variants") and not split["val"] > 0:
        raise RadtuneError(
            f"config: split.val is {split['val']}: training the variants evaluates on the val split, it must be > 0 "
            "(split.train + split.val + split.test = 1)"
        )


def check_columns(config: dict[str, Any]) -> None:
    """Every column a dataset's task requires must be mapped to a CSV column."""
    for name, ds in config["datasets"].items():
        for col in TASKS[ds["task"]].required:
            if col not in ds["columns"]:
                raise RadtuneError(
                    f"config: datasets.{name}.columns.{col} is required for task {ds['task']!r} but maps to nothing"
                )


def check_references(config: dict[str, Any]) -> None:
    """A variant's base is a key of base_models; a predict entry's dataset and variant are keys of datasets and
    variants, and its dataset maps report_id (predictions are keyed by it)."""
    for name, var in config["variants"].items():
        if var["base"] not in config["base_models"]:
            raise RadtuneError(f"config: variants.{name}.base is {var['base']!r}, which is not a key of base_models")
    for name, pred in config["predict"].items():
        for key, known in (("dataset", "datasets"), ("variant", "variants")):
            if pred[key] not in config[known]:
                raise RadtuneError(f"config: predict.{name}.{key} is {pred[key]!r}, which is not a key of {known}")
        if "report_id" not in config["datasets"][pred["dataset"]]["columns"]:
            raise RadtuneError(
                f"config: predict.{name}: predictions are keyed by the original report id, but "
                f"datasets.{pred['dataset']}.columns.report_id maps to nothing"
            )


def check_split_total(config: dict[str, Any]) -> None:
    """The split shares add up to 1."""
    if abs(sum(config["split"][k] for k in SPLITS) - 1.0) > 1e-6:
        raise RadtuneError("config: split.train + split.val + split.test must add up to 1")


def check_max_exposure(config: dict[str, Any]) -> None:
    """privacy.max_exposure must be a limit the audit can exceed: with C candidates, exposures go up to
    log2(C + 1) bits."""
    limit, candidates = config["privacy"]["max_exposure"], config["privacy"]["canaries"]["candidates"]
    if limit is not None and limit >= math.log2(candidates + 1):
        raise RadtuneError(
            f"config: privacy.max_exposure {limit} can never be exceeded: "
            f"{candidates} candidates resolve exposures up to "
            f"log2({candidates} + 1) = {math.log2(candidates + 1):.2f} bits; "
            "lower it or raise privacy.canaries.candidates"
        )


def check_retrieval_budget(config: dict[str, Any]) -> None:
    """With a retrieval variant, the neighbours' token budget must leave room in tokenize.max_seq_len for the
    example itself (at least half of it), or the tokenizer stage would cut the report the model is asked about."""
    if not any(v.get("retrieval") for v in config["variants"].values()):
        return
    budget, max_len = config["instructions"]["retrieval"]["max_tokens"], config["tokenize"]["max_seq_len"]
    if budget > max_len // 2:
        raise RadtuneError(
            f"config: instructions.retrieval.max_tokens {budget} leaves too little of tokenize.max_seq_len {max_len} "
            f"for the report itself: at most {max_len // 2} (half of it)"
        )


def check_config(config: dict[str, Any]) -> None:
    """Every wiring check the schema cannot express, in this order (the first problem is the one raised): CSV
    paths, split shares, mapped columns, references between sections, split total, privacy.max_exposure, the
    retrieval budget."""
    check_csv_paths(config)
    check_split(config)
    check_columns(config)
    check_references(config)
    check_split_total(config)
    check_max_exposure(config)
    check_retrieval_budget(config)


def _inside(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip(os.sep) + os.sep)


def key_file_problem(key_file: str | os.PathLike, folders: dict[str, str | os.PathLike]) -> str | None:
    """Where the pseudonym key file must not be: inside any of `folders` (what -> folder), by its path as given or
    by the file it resolves to (a symlink into results/ is inside results/), against each folder's path and real
    path. Returns the message, or None."""
    given = os.path.abspath(os.path.expanduser(key_file))
    real = os.path.realpath(given)
    for what, folder in folders.items():
        places = {os.path.abspath(folder), os.path.realpath(folder)}
        for path in dict.fromkeys((given, real)):
            if any(_inside(path, place) for place in places):
                via = "" if path == given else f" (it resolves to {real})"
                return (
                    f"config: pseudonym_key.file {given} is inside {what}{via}: keep the key outside the repository "
                    "and results/"
                )
    return None


def pseudonym_key(config: dict[str, Any], repository: str | os.PathLike) -> tuple[str, str]:
    """The pseudonym key file (absolute) and the key's one-way fingerprint, resolved once at start-up so that a
    missing key with real_data stops the run before any job. When the key comes from the file (its environment
    variable unset), the file must not be inside results/ (nor, with real_data, inside the repository).
    Raises RadtuneError with one line."""
    key_file = os.path.abspath(os.path.expanduser(config["pseudonym_key"]["file"]))
    key_env = config["pseudonym_key"]["env"]
    if not os.environ.get(key_env, "").strip():
        folders = {"results/": "results"} | ({"the repository": repository} if config["real_data"] else {})
        problem = key_file_problem(key_file, folders)
        if problem:
            raise RadtuneError(problem)
    try:
        fingerprint = key_fingerprint(load_pseudonym_key(key_file, key_env, real_data=config["real_data"]))
    except RadtuneError as exc:
        raise RadtuneError(f"config: pseudonym_key: {exc}") from None
    return key_file, fingerprint


# ---- .snakemake/ ----------------------------------------------------------------------------------


def make_snakemake_dir_private(workdir: str | os.PathLike) -> None:
    """Make the workflow's .snakemake/ folder owner-only (0700), and its log folder and run logs 0700 / 0600.

    Snakemake makes .snakemake/log/ and opens this run's log before it reads the Snakefile, i.e. before the
    workflow sets umask 077, so they come out 0755 / 0644; the rest of .snakemake/ (metadata: the paths and
    shell commands of jobs; locks; incomplete markers; conda environments) is made later, under umask 077. The
    folder at 0700 keeps other users out of all of it; files inside are left as they are (conda environments hold
    executables), except the logs.
    """
    folder = Path(workdir) / ".snakemake"
    if not folder.is_dir() or folder.is_symlink():
        return
    try:
        os.chmod(folder, PRIVATE_DIR_MODE)
        logs = folder / "log"
        if logs.is_dir() and not logs.is_symlink():
            os.chmod(logs, PRIVATE_DIR_MODE)
            for entry in logs.iterdir():
                if entry.is_file() and not entry.is_symlink():
                    with contextlib.suppress(FileNotFoundError):  # another run's log, deleted meanwhile
                        os.chmod(entry, PRIVATE_FILE_MODE)
    except OSError as exc:
        raise RadtuneError(f"cannot make {folder} owner-only ({exc.strerror}): chmod 700 {folder}") from None
