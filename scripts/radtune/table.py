"""The evaluation table: per (model, task[, group]) means, bootstrap CIs, paired p-values, and the bar chart."""

from __future__ import annotations

import argparse
import csv
import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from radtune import metrics
from radtune.common import InputError, RadtuneError, atomic_path, json_arg, run_main

log = logging.getLogger("radtune.table")

KIND_ORDER = {"base": 0, "variant": 1, "baseline": 2}
METRICS = [*metrics.TEXT_METRICS, *metrics.LABEL_METRICS, "judge_score"]
SCORE_KEYS = ["id", "model", "task", "group", "encoder", "encoder_layer"]


@dataclass
class Cell:
    """The examples of one model on one task (and group), keyed by id."""

    model: str
    task: str
    group: str | None
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    judge: dict[str, tuple[float | None, str]] = field(default_factory=dict)


def _num(path: str, line: int, col: str, value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise InputError(path, "expected a number", line=line, column=col) from None


def read_scores(paths: list[str]) -> list[dict[str, Any]]:
    """Rows of every scores.tsv, numbers parsed, checked for the columns the table needs."""
    out = []
    for path in paths:
        if not Path(path).exists():
            raise InputError(path, "scores file does not exist")
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            for col in SCORE_KEYS:
                if col not in (reader.fieldnames or []):
                    raise InputError(path, "missing column", line=1, column=col)
            for line, row in enumerate(reader, start=2):
                need = metrics.TEXT_METRICS if row["task"] != "protocol" else ["exact", "similarity"]
                r: dict[str, Any] = {k: row[k] for k in SCORE_KEYS}
                for col in need:
                    if not row.get(col):
                        raise InputError(path, f"empty value for task {row['task']!r}", line=line, column=col)
                    r[col] = _num(path, line, col, row[col])
                if row["task"] == "protocol":
                    r["ref_label"], r["pred_label"] = row.get("ref_label", ""), row.get("pred_label", "")
                out.append(r)
    return out


def read_judge(paths: list[str]) -> dict[tuple[str, str], tuple[float | None, str]]:
    """(model, id) -> (score or None, status) from judge.tsv files."""
    out: dict[tuple[str, str], tuple[float | None, str]] = {}
    for path in paths:
        if not Path(path).exists():
            raise InputError(path, "judge file does not exist")
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            for col in ("id", "model", "judge_score", "judge_status"):
                if col not in (reader.fieldnames or []):
                    raise InputError(path, "missing column", line=1, column=col)
            for line, row in enumerate(reader, start=2):
                ok = row["judge_status"] == "ok"
                score = _num(path, line, "judge_score", row["judge_score"]) if ok else None
                out[(row["model"], row["id"])] = (score, row["judge_status"])
    return out


def parse_kinds(kinds: dict[str, Any]) -> tuple[dict[str, str], dict[str, str | None]]:
    """Model -> kind, and model -> the base it is compared with.

    A kind is "base", "baseline", "variant" or "variant:BASE"; a plain "variant" (the current wiring) is
    compared with the only base model, or with none (p_vs_base empty) when there are several.
    """
    kind_of: dict[str, str] = {}
    base_of: dict[str, str | None] = {}
    for model, k in kinds.items():
        kind, _, base = str(k).partition(":")
        if kind not in KIND_ORDER:
            raise RadtuneError(f"--kinds: model {model!r} has kind {k!r} (expected base, variant or baseline)")
        kind_of[model] = kind
        base_of[model] = base or None
    bases = [m for m, k in kind_of.items() if k == "base"]
    for model, kind in kind_of.items():
        if kind == "base":
            base_of[model] = None
        elif base_of[model] is None:
            base_of[model] = bases[0] if len(bases) == 1 else None
            if len(bases) > 1:
                log.warning("several base models and no variant:BASE kind for one model: p_vs_base left empty")
    return kind_of, base_of


def _main_stat(cell: Cell, ids: list[str]) -> metrics.Stat:
    key = "exact" if cell.task == "protocol" else metrics.MAIN_METRIC[cell.task]
    return metrics.mean_stat([cell.rows[i][key] for i in ids])


def _main_value(cell: Cell) -> float:
    key = "exact" if cell.task == "protocol" else metrics.MAIN_METRIC[cell.task]
    return float(np.mean([r[key] for r in cell.rows.values()]))


_WARNED: set[tuple[str, str, str]] = set()


def _paired_p(a: Cell, b: Cell, n_boot: int, seed: int) -> float | None:
    """Paired test on the examples both cells share (all of them when every model saw the same test set)."""
    ids = sorted(set(a.rows) & set(b.rows))
    if not ids:
        return None
    if len(ids) < max(len(a.rows), len(b.rows)) and (a.model, b.model, a.task) not in _WARNED:
        _WARNED.add((a.model, b.model, a.task))
        log.warning("paired test of %s vs %s on %s: models were scored on different examples", a.model, b.model, a.task)
    return metrics.paired_bootstrap_p(_main_stat(a, ids), _main_stat(b, ids), len(ids), n_boot, seed)


def summarise(cell: Cell, n_boot: int, seed: int, with_judge: bool) -> dict[str, Any]:
    """Point estimates and percentile bootstrap CIs of every metric of the cell's task."""
    ids = sorted(cell.rows)
    rows = [cell.rows[i] for i in ids]
    n = len(rows)
    out: dict[str, Any] = {"n": n}
    stats: dict[str, tuple[float, metrics.Stat, int]] = {}
    if cell.task == "protocol":
        refs, preds = [r["ref_label"] for r in rows], [r["pred_label"] for r in rows]
        exact = [r["exact"] for r in rows]
        stats["accuracy"] = (float(np.mean(exact)), metrics.mean_stat(exact), n)
        stats["macro_f1"] = (metrics.macro_f1(refs, preds), metrics.macro_f1_stat(refs, preds), n)
        sim = [r["similarity"] for r in rows]
        stats["similarity"] = (float(np.mean(sim)), metrics.mean_stat(sim), n)
    else:
        for m in metrics.TEXT_METRICS:
            vals = [r[m] for r in rows]
            stats[m] = (float(np.mean(vals)), metrics.mean_stat(vals), n)
    if with_judge:
        judged = [cell.judge.get(i, (None, "missing")) for i in ids]
        ok = [s for s, st in judged if st == "ok" and s is not None]
        out["judge_n"] = len(ok)
        out["judge_failed"] = len(judged) - len(ok)  # failed + unparsed + out_of_range + missing
        if ok:
            stats["judge_score"] = (float(np.mean(ok)), metrics.mean_stat(ok), len(ok))
    for m, (value, stat, k) in stats.items():
        lo, hi = metrics.bootstrap_ci(stat, k, n_boot, seed)
        out[m], out[f"{m}_lo"], out[f"{m}_hi"] = value, lo, hi
    encs = sorted({(r["encoder"], r["encoder_layer"]) for r in rows})
    if len(encs) > 1:
        log.warning("model %s task %s was scored with %d encoder settings", cell.model, cell.task, len(encs))
    out["encoder"], out["encoder_layer"] = encs[0] if encs else ("", "")
    return out


def build_table(
    scores: list[dict[str, Any]],
    judge: dict[tuple[str, str], tuple[float | None, str]] | None,
    kinds: dict[str, Any],
    n_boot: int,
    seed: int,
    by_group: bool,
) -> list[dict[str, Any]]:
    kind_of, base_of = parse_kinds(kinds)
    unknown = sorted({r["model"] for r in scores} - set(kind_of))
    if unknown:
        raise RadtuneError(f"scores for model(s) {', '.join(unknown)} that --kinds does not list")
    cells: dict[tuple[str, str, str | None], Cell] = {}
    for r in scores:
        key = (r["model"], r["task"], r["group"] if by_group else None)
        cell = cells.setdefault(key, Cell(*key))
        if r["id"] in cell.rows:
            raise RadtuneError(f"model {r['model']}: example id seen twice in the scores")
        cell.rows[r["id"]] = r
        if judge is not None:
            cell.judge[r["id"]] = judge.get((r["model"], r["id"]), (None, "missing"))
    order = {m: i for i, m in enumerate(kinds)}
    keys = sorted(cells, key=lambda k: (KIND_ORDER[kind_of[k[0]]], order[k[0]], k[1], k[2] or ""))
    table = []
    for key in keys:
        cell = cells[key]
        model, task, group = key
        row: dict[str, Any] = {"model": model, "kind": kind_of[model], "task": task, "group": group}
        row.update(summarise(cell, n_boot, seed, judge is not None))
        base = base_of.get(model)
        if base and (base, task, group) in cells:
            row["p_vs_base"] = _paired_p(cell, cells[(base, task, group)], n_boot, seed)
        others = [
            cells[(m, task, group)]
            for m, k in kind_of.items()
            if k == "baseline" and m != model and (m, task, group) in cells
        ]
        if others:
            best = max(others, key=lambda c: (_main_value(c), c.model))
            if kind_of[model] != "baseline" or _main_value(best) >= _main_value(cell):
                row["p_vs_best_baseline"] = _paired_p(cell, best, n_boot, seed)
        table.append(row)
    return table


def columns(by_group: bool) -> list[str]:
    cols = ["model", "kind", "task", *(["group"] if by_group else []), "n"]
    for m in METRICS:
        cols += [m, f"{m}_lo", f"{m}_hi"]
    return [*cols, "judge_n", "judge_failed", "p_vs_base", "p_vs_best_baseline", "encoder", "encoder_layer"]


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float | np.floating):
        return f"{float(v):.4f}"
    return str(v)


def write_table(path: str | Path, rows: list[dict[str, Any]], by_group: bool) -> None:
    cols = columns(by_group)
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter="\t", lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([_fmt(r.get(c)) for c in cols])


def plot(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Bar chart of the main metrics per task (models on x, 95% CI error bars), matplotlib Agg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = sorted({r["task"] for r in rows})
    fig, axes = plt.subplots(1, max(1, len(tasks)), figsize=(max(6, 1.2 * len(rows) + 3), 4.5), squeeze=False)
    for ax, task in zip(axes[0], tasks, strict=False):
        trows = [r for r in rows if r["task"] == task]
        shown = ["accuracy", "macro_f1"] if task == "protocol" else ["rouge_l", "bertscore_f1"]
        if any(r.get("judge_score") is not None for r in trows):
            shown.append("judge_score")
        x = np.arange(len(trows))
        width = 0.8 / len(shown)
        for j, m in enumerate(shown):
            scale = 0.1 if m == "judge_score" else 1.0  # judge 0-10 shown on the 0-1 axis
            vals = np.array([(r.get(m) if r.get(m) is not None else np.nan) for r in trows], dtype=float) * scale
            lo = np.array([(r.get(f"{m}_lo") if r.get(f"{m}_lo") is not None else np.nan) for r in trows]) * scale
            hi = np.array([(r.get(f"{m}_hi") if r.get(f"{m}_hi") is not None else np.nan) for r in trows]) * scale
            err = np.nan_to_num(np.vstack([vals - lo, hi - vals]), nan=0.0).clip(min=0)
            label = "judge_score / 10" if m == "judge_score" else m
            ax.bar(x + (j - (len(shown) - 1) / 2) * width, vals, width, yerr=err, capsize=3, label=label)
        ax.set_xticks(x, [f"{r['model']}\n({r['kind']})" for r in trows], rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(task)
        ax.legend(fontsize=8)
    fig.suptitle("radtune evaluation (95% bootstrap CI)")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--scores", nargs="+", required=True)
    ap.add_argument("--judge", nargs="*", default=None)
    ap.add_argument("--kinds", required=True, help="JSON {model: base|variant|variant:BASE|baseline}")
    ap.add_argument("--params", required=True, help="config['eval'] as JSON")
    ap.add_argument("--output", required=True)
    ap.add_argument("--by-group", required=True)
    ap.add_argument("--plot", required=True)
    args = ap.parse_args(argv)
    params, kinds = json_arg(args.params, "--params"), json_arg(args.kinds, "--kinds")
    boot = params.get("bootstrap") or {}
    n_boot, seed = int(boot.get("n", 1000)), int(boot.get("seed", 0))
    scores = read_scores(args.scores)
    judge = read_judge(args.judge) if args.judge else None
    counts: dict[str, int] = defaultdict(int)
    for r in scores:
        counts[r["model"]] += 1
    log.info("scores: %s; judge: %s; bootstrap n=%d seed=%d", dict(counts), judge is not None, n_boot, seed)
    table = build_table(scores, judge, kinds, n_boot, seed, by_group=False)
    grouped = build_table(scores, judge, kinds, n_boot, seed, by_group=True)
    write_table(args.output, table, by_group=False)
    write_table(args.by_group, grouped, by_group=True)
    plot(args.plot, table)
    log.info("wrote %d table rows, %d by-group rows, and the plot", len(table), len(grouped))


if __name__ == "__main__":
    run_main(main)
