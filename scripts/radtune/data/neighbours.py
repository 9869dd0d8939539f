"""The retrieval steps of the workflow (rules neighbours and retrieval_data): every assigned row's leak-free
neighbours among the train rows, then the chat examples with those neighbours shown (radtune.data.retrieval)."""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

from radtune.core.common import SPLITS, RadtuneError, check_conservation, json_arg, read_jsonl, run_main, write_jsonl
from radtune.core.frames import read_parquet
from radtune.data.retrieval import augment_user, check_params, find_neighbours, neighbour_view, render_neighbours

log = logging.getLogger("radtune.data.neighbours")


NEIGHBOUR_COLUMNS = ["id", "split", "group_id", "task", "input_text"]


def cmd_neighbours(args: argparse.Namespace) -> None:
    k, fields, _ = check_params(json_arg(args.params, "--params"))
    df = read_parquet(args.input, NEIGHBOUR_COLUMNS)
    keep = [
        *NEIGHBOUR_COLUMNS,
        *(c for c in df.columns if c in ("exam_code", "exam_description") or c.startswith("ctx_")),
    ]
    rows = list(df.select(keep).iter_rows(named=True))
    bad = sum(r["split"] not in SPLITS for r in rows)
    if bad:
        raise RadtuneError(f"{bad} assigned row(s) have a split other than {', '.join(SPLITS)}")
    t0 = time.perf_counter()
    found = find_neighbours(rows, k, fields)
    secs = time.perf_counter() - t0
    rows.sort(key=lambda r: r["id"])
    out = (
        {"id": r["id"], "split": r["split"], "neighbours": [[i, round(c, 6)] for i, c in found[r["id"]]]} for r in rows
    )
    check_conservation("retrieval neighbours", len(rows), {"with neighbours": len(found)}, what="assigned rows")
    n = write_jsonl(args.output, out)
    log.info("neighbours of %d rows (k=%d, fields %s) in %.1f s (%.0f rows/s)", n, k, ",".join(fields), secs,
             n / max(secs, 1e-9))  # fmt: skip


def cmd_render(args: argparse.Namespace) -> None:
    from transformers import AutoTokenizer

    _, _, max_tokens = check_params(json_arg(args.params, "--params"))
    splits = {
        s: read_jsonl(p, ["id", "task", "input_text", "reference"]) for s, p in zip(SPLITS, args.inputs, strict=True)
    }
    table = {r["id"]: [i for i, _ in r["neighbours"]] for r in read_jsonl(args.neighbours, ["id"])}
    train = {ex["id"]: ex for ex in splits["train"]}
    missing = {s: sum(ex["id"] not in table for ex in exs) for s, exs in splits.items()}
    if sum(missing.values()):
        parts = ", ".join(f"{s} {n}" for s, n in missing.items())
        raise RadtuneError(
            f"{sum(missing.values())} example(s) have no entry in {args.neighbours} ({parts}): "
            "the neighbours file is stale or partial; re-run the neighbours step"
        )
    unknown = {i for exs in splits.values() for ex in exs for i in table[ex["id"]] if i not in train}
    if unknown:
        raise RadtuneError(f"{len(unknown)} neighbour id(s) in {args.neighbours} are not train examples")
    tok = AutoTokenizer.from_pretrained(args.model, local_files_only=True)
    t0 = time.perf_counter()
    rendered: dict[str, list[dict[str, Any]]] = {}
    for split, exs in splits.items():
        rendered[split] = []
        for ex in exs:
            ids = table[ex["id"]]
            text = render_neighbours([neighbour_view(train[i]) for i in ids], ex["task"], tok, max_tokens)
            users = [m for m in ex["messages"] if m.get("role") == "user"]
            if len(users) != 1:
                raise RadtuneError(f"example {ex['id']} has {len(users)} user messages (expected 1)")
            messages = [
                m | {"content": augment_user(m["content"], text)} if m is users[0] else m for m in ex["messages"]
            ]
            rendered[split].append(ex | {"messages": messages, "neighbours": ids})
    n_in = sum(len(v) for v in splits.values())
    check_conservation("retrieval render", n_in, {s: len(v) for s, v in rendered.items()}, what="examples")
    secs = time.perf_counter() - t0
    for split, path in zip(SPLITS, args.outputs, strict=True):
        n = write_jsonl(path, rendered[split])
        log.info("%s: %d examples", split, n)
    log.info("rendered %d examples in %.1f s (%.0f examples/s)", n_in, secs, n_in / max(secs, 1e-9))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m radtune.data.neighbours", description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    nb = sub.add_parser("neighbours", help="k nearest train rows of every assigned row")
    nb.add_argument("--input", required=True, help="results/split/assigned.parquet")
    nb.add_argument("--params", required=True, help='JSON: {"k", "fields", "max_tokens"}')
    nb.add_argument("--output", required=True)
    rd = sub.add_parser("render", help="add the neighbours block to the chat examples")
    upper = tuple(s.upper() for s in SPLITS)
    rd.add_argument("--inputs", nargs=len(SPLITS), required=True, metavar=upper)
    rd.add_argument("--neighbours", required=True)
    rd.add_argument("--model", required=True, help="base model folder (its tokenizer counts the block)")
    rd.add_argument("--params", required=True, help='JSON: {"k", "fields", "max_tokens"}')
    rd.add_argument("--outputs", nargs=len(SPLITS), required=True, metavar=upper)
    args = ap.parse_args(argv)
    {"neighbours": cmd_neighbours, "render": cmd_render}[args.command](args)


if __name__ == "__main__":
    run_main(main)
