"""Configuration reference: renders config/schema.yaml (the only definition of config keys) as Markdown."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from radtune.common import run_main

HEADER = (
    "# Configuration reference\n\n"
    "Generated from `config/schema.yaml` by `python -m radtune.config_doc`; do not edit by hand.\n\n"
    "| key | type | default | meaning |\n|---|---|---|---|\n"
)


def _type(node: dict[str, Any]) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    t = node.get("type", "object" if "properties" in node else "")
    return " or ".join(t) if isinstance(t, list) else str(t)


def _rows(node: dict[str, Any], prefix: str, defs: dict[str, Any]) -> list[str]:
    rows = []
    for key, sub in node.get("properties", {}).items():
        if "$ref" in sub:
            sub = defs[sub["$ref"].rsplit("/", 1)[1]]
        name = f"{prefix}{key}"
        default = f"`{json.dumps(sub['default'])}`" if "default" in sub else ""
        desc = " ".join(str(sub.get("description", "")).split())
        rows.append(f"| `{name}` | {_type(sub)} | {default} | {desc} |")
        if "properties" in sub:
            rows += _rows(sub, f"{name}.", defs)
        extra = sub.get("additionalProperties")
        if isinstance(extra, dict):
            if "$ref" in extra:
                extra = defs[extra["$ref"].rsplit("/", 1)[1]]
            if "properties" in extra:
                rows += _rows(extra, f"{name}.<name>.", defs)
    return rows


def render(schema_path: Path) -> str:
    """Markdown table of every key in the schema, nested keys dotted, map entries as `<name>`."""
    schema = yaml.safe_load(schema_path.read_text(encoding="utf-8"))
    return HEADER + "\n".join(_rows(schema, "", schema.get("$defs", {}))) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--schema", type=Path, default=Path("config/schema.yaml"))
    ap.add_argument("--output", type=Path, default=Path("docs/configuration.md"))
    args = ap.parse_args(argv)
    args.output.write_text(render(args.schema), encoding="utf-8")


if __name__ == "__main__":
    run_main(main)
