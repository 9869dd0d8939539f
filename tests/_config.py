"""Config sections as the workflow passes them to scripts: the defaults of config/schema.yaml, filled in the way
Snakemake's validate(..., set_default=True) fills them (radtune.core.config_keys reads the same schema)."""

from __future__ import annotations

import copy
from typing import Any

from radtune.core.config_keys import NAME, load_schema


def _node(node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in node:
        return schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _fill(value: dict[str, Any], node: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Set every missing key that has a default, then fill the objects below (as Snakemake does)."""
    props = {k: _node(v, schema) for k, v in node.get("properties", {}).items()}
    for key, sub in props.items():
        if "default" in sub:
            value.setdefault(key, copy.deepcopy(sub["default"]))
    extra = node.get("additionalProperties")
    for key, sub_value in value.items():
        sub = props.get(key, _node(extra, schema) if isinstance(extra, dict) else None)
        if sub is not None and isinstance(sub_value, dict):
            _fill(sub_value, sub, schema)
    return value


def schema_defaults(section: str) -> dict[str, Any]:
    """The config section `section` ("eval", "eval.judge", "split", "variants.<name>", ...) with nothing set but
    the schema's defaults (a fresh copy: change it freely). Keys without a default are absent."""
    schema = load_schema()
    node: dict[str, Any] = schema
    for part in section.split("."):
        if part == NAME:
            node = _node(node["additionalProperties"], schema)
        else:
            node = _node(node["properties"][part], schema)
    return _fill(copy.deepcopy(node.get("default", {})), node, schema)
