"""Stage 4: group identical/near-duplicate inputs and patients, assign whole groups to train/val/test, prove no leak."""

from __future__ import annotations

import argparse
import logging
from itertools import combinations
from typing import Any

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from radtune.core.common import (
    SPLITS,
    RadtuneError,
    atomic_path,
    check_conservation,
    hash_fraction,
    json_arg,
    run_main,
    stable_hash,
)
from radtune.core.formats import write_tsv
from radtune.core.frames import read_parquet
from radtune.core.norm import STRIP

log = logging.getLogger("radtune.data.split")

REQUIRED_COLUMNS = ["id", "task", "input_text", "output_text"]


class LeakageError(RadtuneError):
    """Train/val/test share an input (or a near-duplicate, or a patient): the split would leak."""


def normalise_input(expr: pl.Expr) -> pl.Expr:
    """radtune.core.norm.normalise_text as a Polars expression (grouping key of a task input, key of an output)."""
    return expr.fill_null("").str.replace_all(STRIP, " ").str.to_lowercase().str.strip_chars()


# Why groups are built on the task input alone (findings, order notes, note + question) and not on the whole
# rendered input that the filter's duplicate key uses (input + context columns + exam): the grouping must be
# at least as coarse as "the same example", and it is - two rows with the same rendered input share their task
# input, so they always land in one split. It is deliberately coarser: the same findings with another
# indication (or the same order notes with another history) in train would give the test example away.


def cap_per_output(df: pl.DataFrame, cap: int | None, seed: int) -> tuple[pl.DataFrame, int, int]:
    """Keep at most `cap` train rows per (task, normalised output), chosen by a seeded hash of the id.

    Against majority collapse: a model trained on 40 copies of "No acute abnormality." learns to say it.
    Val/test are never touched. Returns (rows, dropped rows, outputs that hit the cap)."""
    if not cap:
        return df, 0, 0
    keyed = df.with_columns(
        _out=normalise_input(pl.col("output_text")),
        _rank=pl.col("id").map_elements(lambda i: hash_fraction(seed, i, "cap"), return_dtype=pl.Float64),
    )
    train = pl.col("split") == "train"
    pos = pl.col("_rank").rank("ordinal").over("task", "_out", "split")
    over = train & (pos > cap)
    hit = keyed.filter(over).select("task", "_out").unique().height
    kept = keyed.filter(~over)
    return kept.drop("_out", "_rank"), keyed.height - kept.height, hit


# ---- near duplicates (datasketch MinHash LSH) -----------------------------------------------------------


def _shingles(text: str, k: int) -> set[bytes]:
    words = text.split()
    if len(words) <= k:
        return {" ".join(words).encode("utf-8")}
    return {" ".join(words[i : i + k]).encode("utf-8") for i in range(len(words) - k + 1)}


def minhashes(texts: list[str], num_perm: int, shingle_words: int) -> list[Any]:
    """One MinHash per text over its word shingles (fixed seed: the same on every run)."""
    from datasketch import MinHash

    # MinHash.bulk hashes all shingle sets in one vectorised call (~3x faster than update_batch per text).
    return MinHash.bulk([list(_shingles(t, shingle_words)) if t else [] for t in texts], num_perm=num_perm, seed=1)


def near_duplicate_pairs(
    texts: list[str], threshold: float, num_perm: int, shingle_words: int
) -> list[tuple[int, int]]:
    """Pairs (i, j), i < j, of texts whose estimated Jaccard similarity is >= threshold.

    LSH finds candidates; each is confirmed on the MinHash estimate. Pairs already joined through other pairs
    are skipped (a small union-find: only the connected components matter), which keeps big clusters linear.
    """
    from datasketch import MinHashLSH

    mh = minhashes(texts, num_perm, shingle_words)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    with lsh.insertion_session() as session:
        for i, m in enumerate(mh):
            if texts[i]:
                session.insert(i, m)
    parent = list(range(len(texts)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    pairs = []
    for i, m in enumerate(mh):
        if not texts[i]:
            continue
        for j in sorted(lsh.query(m)):
            if j <= i:
                continue
            ri, rj = find(i), find(j)
            if ri != rj and m.jaccard(mh[j]) >= threshold:
                parent[max(ri, rj)] = min(ri, rj)
                pairs.append((i, j))
    return pairs


# ---- grouping -------------------------------------------------------------------------------------------


def group_rows(df: pl.DataFrame, near: dict[str, Any] | None = None) -> tuple[pl.DataFrame, int]:
    """Add `_norm` and `group_id`: connected components over shared normalised input, shared patient and
    (when `near` is enabled) near-duplicate inputs. Returns (frame, near-duplicate pairs used).

    The graph has one node per distinct normalised input and one per patient; each row is an edge between
    its input and its patient. scipy's connected_components does the union-find in C (millions of rows).
    """
    has_patient = "patient_key" in df.columns
    df = df.with_columns(_norm=normalise_input(pl.col("input_text")))
    norms = df.select(pl.col("_norm").unique().sort()).to_series()
    k = norms.len()
    norm_idx = df.select(pl.col("_norm")).join(
        pl.DataFrame({"_norm": norms, "_k": np.arange(k, dtype=np.int64)}),
        on="_norm",
        how="left",
        maintain_order="left",
    )["_k"]
    src = [norm_idx.to_numpy()]
    dst = [norm_idx.to_numpy()]
    n_nodes = k
    if has_patient:
        pats = df.select(pl.col("patient_key").drop_nulls().unique().sort()).to_series()
        edges = (
            df.select("patient_key")
            .with_columns(_k=norm_idx)
            .join(
                pl.DataFrame({"patient_key": pats, "_p": np.arange(pats.len(), dtype=np.int64) + k}),
                on="patient_key",
                how="inner",
            )
        )
        src.append(edges["_k"].to_numpy())
        dst.append(edges["_p"].to_numpy())
        n_nodes += pats.len()
    n_pairs = 0
    if near and near["enabled"]:
        pairs = near_duplicate_pairs(
            norms.to_list(), float(near["threshold"]), int(near["num_perm"]), int(near["shingle_words"])
        )
        n_pairs = len(pairs)
        if pairs:
            arr = np.asarray(pairs, dtype=np.int64)
            src.append(arr[:, 0])
            dst.append(arr[:, 1])
    s, d = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(len(s), dtype=np.int8), (s, d)), shape=(n_nodes, n_nodes))
    _, labels = connected_components(graph, directed=False)
    # A component is named by its smallest normalised input (norms are sorted, so: its smallest index).
    comps, inverse = np.unique(labels[:k], return_inverse=True)
    first = np.full(len(comps), k, dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(k))
    names = np.array([stable_hash("group", t) for t in norms.gather(first).to_list()], dtype=object)
    key_to_group = pl.DataFrame(
        {"_k": np.arange(k, dtype=np.int64), "group_id": pl.Series(names[inverse].tolist(), dtype=pl.String)}
    )
    out = df.with_columns(_k=norm_idx).join(key_to_group, on="_k", how="left", maintain_order="left").drop("_k")
    return out, n_pairs


def assign_splits(df: pl.DataFrame, fractions: dict[str, float], seed: int) -> pl.DataFrame:
    """split per row from hash_fraction(seed, group_id) against the cumulative fractions."""
    t, v = float(fractions["train"]), float(fractions["val"])
    groups = df.select(pl.col("group_id").unique().sort()).to_series().to_list()
    split = []
    for g in groups:
        u = hash_fraction(seed, g)
        split.append("train" if u < t else "val" if u < t + v else "test")
    table = pl.DataFrame({"group_id": groups, "split": split}, schema={"group_id": pl.String, "split": pl.String})
    return df.join(table, on="group_id", how="left", maintain_order="left")


# ---- verification ---------------------------------------------------------------------------------------


def check_overlap(df: pl.DataFrame, near: dict[str, Any] | None = None) -> dict[str, int]:
    """Count what two splits share: normalised inputs, patients, and (if enabled) near-duplicate pairs.

    Computed afresh from `input_text`, `patient_key` and `split`; raises LeakageError if any count is not 0.
    exact/patient figures count distinct shared inputs/patients. near figures count cross-split edges of the
    near-duplicate spanning forest (see near_duplicate_pairs): 0 exactly when no near-duplicate cluster spans
    two splits, so the check is exact even though the figure is a lower bound on cross-split pairs.
    """
    frame = df.select(
        pl.col("split"),
        normalise_input(pl.col("input_text")).alias("_norm"),
        (pl.col("patient_key") if "patient_key" in df.columns else pl.lit(None, dtype=pl.String)).alias("_pat"),
    )
    figures: dict[str, int] = {}
    sets = {
        s: (set(frame.filter(pl.col("split") == s)["_norm"]), set(frame.filter(pl.col("split") == s)["_pat"]))
        for s in SPLITS
    }
    for a, b in combinations(SPLITS, 2):
        figures[f"exact_overlap_{a}_{b}"] = len(sets[a][0] & sets[b][0])
        figures[f"patient_overlap_{a}_{b}"] = len((sets[a][1] & sets[b][1]) - {None})
    if near and near["enabled"]:
        uniq = frame.group_by("_norm").agg(pl.col("split").unique()).sort("_norm")
        texts = uniq["_norm"].to_list()
        where = [sorted(x) for x in uniq["split"].to_list()]
        for a, b in combinations(SPLITS, 2):
            figures[f"near_overlap_{a}_{b}"] = 0
        for i, j in near_duplicate_pairs(
            texts, float(near["threshold"]), int(near["num_perm"]), int(near["shingle_words"])
        ):
            for a, b in combinations(SPLITS, 2):
                if (a in where[i] and b in where[j]) or (b in where[i] and a in where[j]):
                    figures[f"near_overlap_{a}_{b}"] += 1
    leaks = {k: v for k, v in figures.items() if v}
    if leaks:
        raise LeakageError(
            "split leaks between train/val/test: " + ", ".join(f"{k}={v}" for k, v in sorted(leaks.items()))
        )
    return figures


# ---- stage ----------------------------------------------------------------------------------------------


def split_frame(df: pl.DataFrame, params: dict[str, Any], seed: int) -> tuple[pl.DataFrame, list[tuple[str, Any]]]:
    """Group, assign, optionally de-duplicate train, verify. Returns (assigned rows by id, report metrics)."""
    near = params["near_duplicates"]
    grouped, n_pairs = group_rows(df, near)
    assigned = assign_splits(grouped, params, seed).sort("id")
    dropped = 0
    if not params["keep_train_duplicates"]:
        dup = (pl.col("split") == "train") & ~pl.col("_norm").is_first_distinct().over("split")
        before = assigned.height
        assigned = assigned.filter(~dup)
        dropped = before - assigned.height
    # max_per_output: a null (off) is left out of a job's config (radtune.core.config_keys.job_config)
    assigned, capped, capped_outputs = cap_per_output(assigned, params["max_per_output"], seed)
    assigned = assigned.drop("_norm")
    figures = check_overlap(assigned, near)
    sizes = assigned.group_by("group_id").len()
    n = max(assigned.height, 1)
    report: list[tuple[str, Any]] = [
        ("rows_in", df.height),
        ("groups", sizes.height),
        ("largest_group", int(sizes["len"].max() or 0)),
        ("dropped_train_duplicates", dropped),
        ("max_per_output", params["max_per_output"] or "off"),
        ("dropped_max_per_output", capped),
        ("outputs_capped", capped_outputs),
    ]
    if near["enabled"]:
        report.append(("near_duplicate_pairs", n_pairs))
    for s in SPLITS:
        report.append((f"rows_{s}", int((assigned["split"] == s).sum())))
    for s in SPLITS:
        report.append((f"fraction_{s}", round(int((assigned["split"] == s).sum()) / n, 4)))
    for s in SPLITS:
        report.append((f"groups_{s}", assigned.filter(pl.col("split") == s)["group_id"].n_unique()))
    report.extend(figures.items())
    # every row read is in one split or dropped with a reason
    check_conservation(
        "split",
        df.height,
        {
            **{f"rows_{s}": int((assigned["split"] == s).sum()) for s in SPLITS},
            "dropped_train_duplicates": dropped,
            "dropped_max_per_output": capped,
        },  # fmt: skip
    )
    return assigned, report


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--input", required=True)
    ap.add_argument("--params", required=True, help="JSON: config['split']")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--output", required=True)
    ap.add_argument("--report", required=True)
    args = ap.parse_args(argv)
    params = json_arg(args.params, "--params")
    df = read_parquet(args.input, REQUIRED_COLUMNS)
    assigned, report = split_frame(df, params, args.seed)
    with atomic_path(args.output) as tmp:
        assigned.write_parquet(tmp, compression="zstd", statistics=True)
    write_tsv(args.report, report, ["metric", "value"])
    for k, v in report:
        log.info("%s %s", k, v)


if __name__ == "__main__":
    run_main(main)
