"""The evaluation table: per (model, task[, group]) means, bootstrap CIs, paired p-values, collapse and memorisation
diagnostics, the same metrics on the novel subset (references not among train outputs), and the chart."""

from __future__ import annotations

import argparse
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from radtune.core.common import InputError, RadtuneError, atomic_path, json_arg, run_main
from radtune.core.formats import open_tsv, write_tsv
from radtune.core.tasks import TASKS
from radtune.evaluate import metrics, score
from radtune.evaluate.ranking import DIAGNOSTIC_COLUMNS, NOVEL, best_baseline  # noqa: F401  (re-exported)

log = logging.getLogger("radtune.evaluate.table")

KIND_ORDER = {"base": 0, "variant": 1, "baseline": 2}
METRICS = [*metrics.TEXT_METRICS, *metrics.LABEL_METRICS, "judge_score"]
# Columns of scores.tsv (radtune.evaluate.score.COLUMNS) and judge.tsv (radtune.evaluate.judge.COLUMNS) every row
# must have here (tests/test_facts.py checks they are columns of those tables).
SCORE_KEYS = ["id", "model", "task", "group", "encoder", "encoder_layer"]
JUDGE_KEYS = ["id", "model", "judge_score", "judge_status"]
# Per-cell diagnostics from score.DIAGNOSTICS (point estimates): share of distinct predictions, share equal to the
# constant baseline's answer, share copied verbatim from a train output, share with a de-id placeholder, mean
# prediction/reference length ratio.


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
        with open_tsv(path) as reader:
            for col in SCORE_KEYS:
                if col not in (reader.fieldnames or []):
                    raise InputError(path, "missing column", line=1, column=col)
            for line, row in enumerate(reader, start=2):
                label = metrics.is_label_task(row["task"])
                need = ["exact", "similarity"] if label else metrics.TEXT_METRICS
                r: dict[str, Any] = {k: row[k] for k in SCORE_KEYS}
                for col in need:
                    if not row.get(col):
                        raise InputError(path, f"empty value for task {row['task']!r}", line=line, column=col)
                    r[col] = _num(path, line, col, row[col])
                if label:
                    r["ref_label"], r["pred_label"] = row.get("ref_label", ""), row.get("pred_label", "")
                for col in score.DIAGNOSTICS:  # absent in scores written before the diagnostics existed
                    value = row.get(col) or None
                    r[col] = value if col == "pred_key" or value is None else _num(path, line, col, value)
                out.append(r)
    return out


def read_judge(paths: list[str]) -> dict[tuple[str, str], tuple[float | None, str]]:
    """(model, id) -> (score or None, status) from judge.tsv files."""
    out: dict[tuple[str, str], tuple[float | None, str]] = {}
    for path in paths:
        if not Path(path).exists():
            raise InputError(path, "judge file does not exist")
        with open_tsv(path) as reader:
            for col in JUDGE_KEYS:
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
    """The per-example values of the task's main metric (Task.main_score, whose mean is Task.main_metric)."""
    key = TASKS[cell.task].main_score
    return metrics.mean_stat([cell.rows[i][key] for i in ids])


def _main_value(cell: Cell) -> float:
    key = TASKS[cell.task].main_score
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


def diagnose(rows: list[dict[str, Any]]) -> dict[str, float]:
    """DIAGNOSTIC_COLUMNS of a cell's rows (empty when its scores carry no diagnostics)."""
    if not rows or any(r.get("pred_key") is None for r in rows):
        return {}
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("equals_constant", "copied_train", "placeholder")}
    return {
        "distinct_share": len({r["pred_key"] for r in rows}) / len(rows),
        "constant_share": mean["equals_constant"],
        "copied_train_share": mean["copied_train"],
        "placeholder_rate": mean["placeholder"],
        "length_ratio": float(np.mean([r["length_ratio"] for r in rows])),
    }


def summarise(cell: Cell, n_boot: int, seed: int, with_judge: bool) -> dict[str, Any]:
    """Point estimates and percentile bootstrap CIs of every metric of the cell's task."""
    ids = sorted(cell.rows)
    rows = [cell.rows[i] for i in ids]
    n = len(rows)
    out: dict[str, Any] = {"n": n}
    stats: dict[str, tuple[float, metrics.Stat, int]] = {}
    if metrics.is_label_task(cell.task):
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
    out.update(diagnose(rows))
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
    """Rows of eval.tsv (or eval_by_group.tsv), with the novel-subset columns (NOVEL prefix) filled in from the
    same computation run on the examples whose reference is novel (novel_n = 0 when there are none)."""
    table = _build_rows(scores, judge, kinds, n_boot, seed, by_group)
    if not scores or any(r.get("novel") is None for r in scores):
        return table
    novel = _build_rows([r for r in scores if r["novel"]], judge, kinds, n_boot, seed, by_group)
    by_key = {(r["model"], r["task"], r["group"]): r for r in novel}
    for row in table:
        sub = by_key.get((row["model"], row["task"], row["group"]), {})
        row[f"{NOVEL}n"] = sub.get("n", 0)
        for col in novel_columns()[1:]:
            row[col] = sub.get(col.removeprefix(NOVEL))
    return table


def _build_rows(
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
            best = cells[(best_baseline({c.model: _main_value(c) for c in others}), task, group)]
            if kind_of[model] != "baseline" or _main_value(best) >= _main_value(cell):
                row["p_vs_best_baseline"] = _paired_p(cell, best, n_boot, seed)
        table.append(row)
    return table


def novel_columns() -> list[str]:
    cols = [f"{NOVEL}n"]
    for m in METRICS:
        cols += [f"{NOVEL}{m}", f"{NOVEL}{m}_lo", f"{NOVEL}{m}_hi"]
    return [*cols, f"{NOVEL}p_vs_base", f"{NOVEL}p_vs_best_baseline"]


def columns(by_group: bool) -> list[str]:
    """The main columns, then (appended, so the main ones keep their place) diagnostics and the novel subset."""
    cols = ["model", "kind", "task", *(["group"] if by_group else []), "n"]
    for m in METRICS:
        cols += [m, f"{m}_lo", f"{m}_hi"]
    main = [*cols, "judge_n", "judge_failed", "p_vs_base", "p_vs_best_baseline", "encoder", "encoder_layer"]
    return [*main, *DIAGNOSTIC_COLUMNS, *novel_columns()]


def write_table(path: str | Path, rows: list[dict[str, Any]], by_group: bool) -> None:
    write_tsv(path, rows, columns(by_group), decimals=4)


def _bars(ax, trows: list[dict[str, Any]], shown: list[str], scales: dict[str, float] | None = None) -> None:
    """Grouped bars of `shown` per row, with 95% CI error bars where the row has `_lo`/`_hi`."""
    scales = scales or {}
    x = np.arange(len(trows))
    width = 0.8 / len(shown)

    def get(r: dict[str, Any], key: str) -> float:
        v = r.get(key)
        return np.nan if v is None else float(v)

    for j, m in enumerate(shown):
        scale = scales.get(m, 1.0)
        vals = np.array([get(r, m) for r in trows]) * scale
        lo = np.array([get(r, f"{m}_lo") for r in trows]) * scale
        hi = np.array([get(r, f"{m}_hi") for r in trows]) * scale
        err = np.nan_to_num(np.vstack([vals - lo, hi - vals]), nan=0.0).clip(min=0)
        label = f"{m} / {1 / scale:g}" if scale != 1.0 else m
        ax.bar(x + (j - (len(shown) - 1) / 2) * width, vals, width, yerr=err, capsize=3, label=label)
    ax.set_xticks(x, [f"{r['model']}\n({r['kind']})" for r in trows], rotation=30, ha="right", fontsize=8)
    ax.legend(fontsize=7)


def plot(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Per task: the main metrics overall and on the novel subset (95% CI error bars), and below them the
    collapse/memorisation diagnostics of every row (models on x), matplotlib Agg."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = sorted({r["task"] for r in rows})
    fig, axes = plt.subplots(2, max(1, len(tasks)), figsize=(max(7, 1.4 * len(rows) + 4), 9), squeeze=False)
    for col, task in enumerate(tasks):
        trows = [r for r in rows if r["task"] == task]
        main = list(TASKS[task].chart_metrics)
        if any(r.get("judge_score") is not None for r in trows):
            main.append("judge_score")
        novel = [f"{NOVEL}{m}" for m in main[:1] if any(r.get(f"{NOVEL}{m}") is not None for r in trows)]
        ax = axes[0][col]
        _bars(ax, trows, main + novel, {"judge_score": 0.1})
        ax.set_ylim(0, 1)
        n_novel = trows[0].get(f"{NOVEL}n") if novel else None
        ax.set_title(f"{task}: n={trows[0]['n']}" + (f", novel n={n_novel}" if novel else ""))
        ax = axes[1][col]
        shown = [d for d in DIAGNOSTIC_COLUMNS if any(r.get(d) is not None for r in trows)]
        if shown:
            _bars(ax, trows, shown)
            ax.axhline(1.0, color="grey", linewidth=0.6)
            ax.set_ylim(0, max(1.5, *[float(r.get("length_ratio") or 0) for r in trows]))
            ax.set_title(f"{task}: collapse and memorisation diagnostics")
        else:
            ax.set_axis_off()
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
    n_boot, seed = int(params["bootstrap"]["n"]), int(params["bootstrap"]["seed"])
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
