"""Training recipes: the one reader of a recipe file (SFTConfig fields, model fields, `lora:` block), its field
checks, and the TRL SFTConfig / peft LoraConfig built from it when training starts.

Every top-level key of a recipe is a TRL SFTConfig field (or one of radtune's model fields), every `lora:` key a
peft LoraConfig field, and method full names a DeepSpeed config. The field names are read from the installed
TRL / transformers / peft sources with `ast`, without importing them (importing TRL costs ~13 s of CPU, on every
`snakemake` call): rules/common.smk checks every recipe at start-up with this module, and radtune.train.run
reads the recipe through it again when training starts (only build_sft_config / build_lora_config import TRL
and peft, inside the call). tests/test_train_methods.py pins the names to the real dataclasses.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib.util
import os
from pathlib import Path
from typing import Any

import yaml

from radtune.core.common import RadtuneError

# Recipe keys that are options of the model radtune.train.run loads, not SFTConfig fields.
MODEL_FIELDS = ("attn_implementation",)
# recipe `lora:` block short names -> peft.LoraConfig fields (any other LoraConfig field is passed as is)
LORA_ALIASES = {"alpha": "lora_alpha", "dropout": "lora_dropout"}

# (package, file inside it, dataclass names whose fields make up the config; bases listed explicitly)
_SFT_SOURCES = (
    ("transformers", "training_args.py", ("TrainingArguments",)),
    ("trl", "trainer/sft_config.py", ("SFTConfig",)),
)
_LORA_SOURCES = (
    ("peft", "config.py", ("PeftConfigMixin", "PeftConfig")),
    ("peft", "tuners/lora/config.py", ("LoraConfig",)),
)


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # a top-level name: found without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RadtuneError(f"package {name} is not installed (needed to check training recipes)")
    return Path(list(spec.submodule_search_locations)[0])


def _dataclass_fields(sources: tuple[tuple[str, str, tuple[str, ...]], ...]) -> frozenset[str]:
    names: set[str] = set()
    for package, rel, classes in sources:
        tree = ast.parse((_package_dir(package) / rel).read_text())
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name in classes:
                names |= {
                    stmt.target.id
                    for stmt in node.body
                    if isinstance(stmt, ast.AnnAssign)
                    and isinstance(stmt.target, ast.Name)
                    and not _is_classvar(stmt.annotation)
                }
    return frozenset(names)


def _is_classvar(annotation: ast.expr) -> bool:
    text = ast.unparse(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))


@functools.cache
def sft_fields() -> frozenset[str]:
    return _dataclass_fields(_SFT_SOURCES)


@functools.cache
def lora_fields() -> frozenset[str]:
    return _dataclass_fields(_LORA_SOURCES)


@dataclasses.dataclass(frozen=True)
class Recipe:
    """A recipe file as read and checked by read_recipe."""

    path: str | os.PathLike
    fields: dict[str, Any]  # every top-level key but lora: SFTConfig fields and MODEL_FIELDS, in file order
    lora: dict[str, Any]  # the lora: block as peft.LoraConfig fields (LORA_ALIASES resolved)

    @property
    def sft(self) -> dict[str, Any]:
        """The SFTConfig fields."""
        return {k: v for k, v in self.fields.items() if k not in MODEL_FIELDS}

    @property
    def model(self) -> dict[str, Any]:
        """The options of the model radtune loads (MODEL_FIELDS)."""
        return {k: v for k, v in self.fields.items() if k in MODEL_FIELDS}


def read_recipe(path: str | os.PathLike, where: str = "") -> Recipe:
    """Read a recipe YAML (SFTConfig fields at the top level, plus MODEL_FIELDS, and an optional `lora:` block)
    and check its field names; RadtuneError names the recipe file and the offending field (`where`: the config
    key that names the recipe, put before a read error)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError as exc:
        if where:
            raise RadtuneError(f"{where}: recipe {path} does not exist") from None
        raise RadtuneError(f"recipe {path}: cannot read ({exc})") from None
    except (OSError, yaml.YAMLError) as exc:
        raise RadtuneError(f"{where + ': ' if where else ''}recipe {path}: cannot read ({exc})") from None
    data = data or {}
    if not isinstance(data, dict):
        raise RadtuneError(f"recipe {path}: must be a mapping of SFTConfig fields (+ a lora: block)")
    lora = data.pop("lora", None) or {}
    unknown = sorted(set(data) - sft_fields() - set(MODEL_FIELDS))
    if unknown:
        raise RadtuneError(
            f"recipe {path}: unknown field(s) {', '.join(unknown)} (top-level keys are TRL SFTConfig fields,"
            f" or {', '.join(MODEL_FIELDS)}; LoRA settings go under lora:)"
        )
    if not isinstance(lora, dict):
        raise RadtuneError(f"recipe {path}: lora: must be a mapping of peft LoraConfig fields")
    lora = {LORA_ALIASES.get(k, k): v for k, v in lora.items()}
    unknown = sorted(set(lora) - lora_fields())
    if unknown:
        raise RadtuneError(f"recipe {path}: lora: unknown peft LoraConfig field(s) {', '.join(unknown)}")
    return Recipe(path, data, lora)


def check_recipe(path: str | os.PathLike, method: str, where: str) -> None:
    """Raise RadtuneError naming the recipe file and the offending field."""
    recipe = read_recipe(path, where)
    check_deepspeed(recipe.fields, method, path)
    check_keep_best(recipe.fields, path)
    if method == "full" and recipe.lora:
        raise RadtuneError(f"recipe {path}: method full trains every weight; remove the lora: block")


def check_deepspeed(fields: dict[str, Any], method: str, path: str | os.PathLike) -> None:
    """Method full runs under DeepSpeed ZeRO-3: its recipe must name a DeepSpeed config."""
    if method == "full" and not fields.get("deepspeed"):
        raise RadtuneError(f"recipe {path}: method full needs a deepspeed: config (config/deepspeed/zero3.json)")


def check_keep_best(fields: dict[str, Any], path: str | os.PathLike) -> None:
    """`load_best_model_at_end: true` makes the variant's output the checkpoint with the best validation metric
    (`metric_for_best_model`, by default the eval loss, lower is better) instead of the last step's weights.
    radtune saves a checkpoint every `save_steps` (save_strategy steps), and transformers can only load a best
    checkpoint that was saved: the recipe must evaluate by steps, at exactly the saved steps (with save_steps a
    larger multiple of eval_steps, the lowest eval loss could fall on a step without a checkpoint)."""
    if not fields.get("load_best_model_at_end"):
        return
    strategy = fields.get("eval_strategy", "no")
    strategy = "no" if strategy is False else str(strategy)  # YAML reads a bare `no` as false
    if strategy != "steps":
        raise RadtuneError(
            f"recipe {path}: load_best_model_at_end needs eval_strategy: steps (radtune saves a checkpoint"
            f" every save_steps), not {strategy}"
        )
    eval_steps, save_steps = fields.get("eval_steps"), fields.get("save_steps")
    if eval_steps is None or save_steps is None or eval_steps != save_steps:
        raise RadtuneError(
            f"recipe {path}: load_best_model_at_end needs eval_steps and save_steps set to the same number"
            f" (got eval_steps {eval_steps}, save_steps {save_steps}): only a saved checkpoint can be kept"
        )


def check_recipes(variants: dict[str, dict[str, Any]]) -> None:
    """Check the recipe of every variant (each file once per method)."""
    for name, variant in variants.items():
        check_recipe(variant["recipe"], variant.get("method", "lora"), f"config: variants.{name}.recipe")


def build_sft_config(fields: dict[str, Any], recipe_path: str | os.PathLike, **overrides: Any) -> Any:
    """Parse a recipe's SFTConfig fields (Recipe.sft; read_recipe checked their names) and radtune's `overrides`
    into TRL's own SFTConfig (imports TRL)."""
    from transformers import HfArgumentParser
    from trl import SFTConfig

    try:
        (cfg,) = HfArgumentParser(SFTConfig).parse_dict({**fields, **overrides}, allow_extra_keys=False)
    except (ValueError, TypeError) as exc:
        raise RadtuneError(f"recipe {recipe_path}: {exc}") from None
    return cfg


def build_lora_config(lora: dict[str, Any], recipe_path: str | os.PathLike) -> Any:
    """A recipe's lora: block (Recipe.lora) as peft's LoraConfig for a causal LM (imports peft)."""
    from peft import LoraConfig

    try:
        return LoraConfig(task_type="CAUSAL_LM", **lora)
    except TypeError as exc:
        raise RadtuneError(f"recipe {recipe_path}: lora: {exc}") from None
