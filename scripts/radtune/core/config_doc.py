"""Configuration reference: renders config/schema.yaml (the only definition of config keys) as Markdown."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import yaml

from radtune.core.common import run_main
from radtune.core.config_keys import CONSUMERS, ON_REQUEST, Key, downstream, leaf_keys

HEADER = (
    "# Configuration reference\n\n"
    "Generated from `config/schema.yaml` by `python -m radtune.core.config_doc`; do not edit by hand.\n\n"
    "**Changing it reruns** is what a dry-run plans after a change of that key on a finished run: the jobs of\n"
    "the rules named, then every job downstream of them (in brackets) - tested key by key in\n"
    "`tests/test_staleness.py`. *nothing*: the key changes how jobs run (batch sizes, workers, where the key\n"
    "file is, a check's limit) or only start-up checks, never what they write. A key that adds rows or files\n"
    "(a baseline, a CSV export, a judge) plans the new jobs only where the others stay valid. A key that\n"
    "re-de-identifies reruns `ingest` too: the raw shards are temporary (unless `ingest.keep_raw_shards`). An\n"
    "export (`results/export/<variant>/`, made on request) goes stale with the model it merges.\n\n"
    "| key | type | default | changing it reruns | meaning |\n|---|---|---|---|---|\n"
)
ORDER = [*CONSUMERS, "all"]


def reruns(key: Key) -> str:
    """The 'changing it reruns' cell: direct rules, then [downstream rules] in pipeline order."""
    if not key.reruns:
        return "*nothing*" + (f" (an option of {', '.join(key.options)})" if key.options else "")
    direct = [r for r in ORDER if r in key.reruns]
    rest = [r for r in ORDER if r in downstream(key.reruns) - set(direct) - {"all"} - ON_REQUEST]
    return ", ".join(f"`{r}`" for r in direct) + (f" [{', '.join(rest)}]" if rest else "")


def _type(node: dict[str, Any]) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    t = node.get("type", "object" if "properties" in node else "")
    return " or ".join(t) if isinstance(t, list) else str(t)


def _rows(node: dict[str, Any], prefix: str, defs: dict[str, Any], keys: dict[str, Key]) -> list[str]:
    rows = []
    for key, sub in node.get("properties", {}).items():
        if "$ref" in sub:
            sub = defs[sub["$ref"].rsplit("/", 1)[1]]
        name = f"{prefix}{key}"
        default = f"`{json.dumps(sub['default'])}`" if "default" in sub else ""
        desc = " ".join(str(sub.get("description", "")).split())
        cost = reruns(keys[name]) if name in keys else ""
        rows.append(f"| `{name}` | {_type(sub)} | {default} | {cost} | {desc} |")
        if "properties" in sub:
            rows += _rows(sub, f"{name}.", defs, keys)
        extra = sub.get("additionalProperties")
        if isinstance(extra, dict):
            if "$ref" in extra:
                extra = defs[extra["$ref"].rsplit("/", 1)[1]]
            if "properties" in extra:
                rows += _rows(extra, f"{name}.<name>.", defs, keys)
    return rows


def render(schema_path: Path) -> str:
    """Markdown table of every key in the schema, nested keys dotted, map entries as `<name>`."""
    schema = yaml.safe_load(schema_path.read_text(encoding="utf-8"))
    keys = {k.name: k for k in leaf_keys(schema)}
    return HEADER + "\n".join(_rows(schema, "", schema.get("$defs", {}), keys)) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--schema", type=Path, default=Path("config/schema.yaml"))
    ap.add_argument("--output", type=Path, default=Path("docs/configuration.md"))
    args = ap.parse_args(argv)
    args.output.write_text(render(args.schema), encoding="utf-8")


if __name__ == "__main__":
    run_main(main)
