"""Bench: filter + instruction building (radtune.data.filter / radtune.data.instructions, Polars) vs. the same logic
in pandas.

    python bench/filter_speed.py            # 1,000,000 generated rows
    python bench/filter_speed.py --rows 50000

Rows are generated (vectorised, seeded) like de-identified shards: findings of 6-60 words with messy
whitespace, some missing/short/duplicate rows. Both sides read the same parquet shards and return the same
kept rows and chat examples (checked); file writing is left out of both timings.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from radtune.core.common import hash_fraction  # noqa: E402
from radtune.data.filter import STEPS, WS_RUNS, filter_rows, load_shards  # noqa: E402
from radtune.data.instructions import (  # noqa: E402
    DEFAULT_SYSTEM_PROMPT,
    PREPEND_TASKS,
    build_examples,
    context_label,
    load_prepend,
    load_templates,
)

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = [
    "The lungs are clear.",
    "No pleural effusion or pneumothorax.",
    "Heart size is normal.",
    "There is a  small right lower lobe   opacity.",
    "Mild degenerative change of the spine.",
    "No acute osseous abnormality.",
    "Endotracheal tube tip 4 cm above the carina.",
    "The liver is enlarged measuring 19 cm.",
    "Unchanged 6 mm nodule in the left upper lobe.",
    "No free air\nunder the diaphragm.",
    "Postsurgical changes of <DATE> are noted.",
    "Compared to the study by <PERSON>, no change.",
]
IMPRESSIONS = ["No acute disease.", "Right lower lobe pneumonia.", "Stable nodule.", "Hepatomegaly.", "  Normal.  "]
CODES = ["CTCH", "CRCHEST1V", "MRBRAIN", "USABD", "CTABD", None]


def generate(n: int, seed: int, out: Path, shards: int = 4) -> list[str]:
    """n impression rows as `shards` parquet files (vectorised: a few seconds for a million rows)."""
    rng = np.random.default_rng(seed)
    k = rng.integers(1, 8, n)  # sentences per report
    sent = pl.Series(SENTENCES)
    picks = rng.integers(0, len(SENTENCES), (n, 7))
    findings = pl.DataFrame({f"s{j}": sent.gather(picks[:, j]) for j in range(7)}).select(
        pl.concat_list(pl.all()).list.head(pl.lit(pl.Series(k))).list.join(" ").alias("findings")
    )["findings"]
    # a duplicated block and a few missing values, so every filter path does work
    dup = rng.random(n) < 0.05
    src = rng.integers(0, max(n // 2, 1), n)
    findings = pl.select(pl.when(pl.Series(dup)).then(findings.gather(src)).otherwise(findings)).to_series()
    imp = pl.Series(IMPRESSIONS).gather(rng.integers(0, len(IMPRESSIONS), n))
    imp = pl.select(pl.when(pl.Series(dup)).then(imp.gather(src)).otherwise(imp)).to_series()
    imp = pl.select(pl.when(pl.Series(rng.random(n) < 0.01)).then(None).otherwise(imp)).to_series()
    ids = pl.Series([f"bench-{i:016x}" for i in rng.permutation(n)])
    df = pl.DataFrame(
        {
            "id": ids,
            "dataset": "bench",
            "task": "impression",
            "line": pl.int_range(2, n + 2, eager=True),
            "source": "bench.csv",
            "patient_key": pl.Series([f"p{i}" for i in rng.integers(0, n // 3 + 1, n)]),
            "exam_code": pl.Series(CODES).gather(rng.integers(0, len(CODES), n)),
            "exam_description": "CT exam",
            "findings": findings,
            "impression": imp,
            "ctx_indication": pl.Series(["Cough.", " fever  ", None]).gather(rng.integers(0, 3, n)),
        }
    )
    paths = []
    for s in range(shards):
        p = out / f"{s:04d}.parquet"
        df.gather_every(shards, offset=s).write_parquet(p)
        paths.append(str(p))
    return paths


# ---- the same logic in pandas (baseline) ----------------------------------------------------------------


def pandas_filter(paths: list[str], params: dict) -> tuple[pd.DataFrame, dict]:
    df = pd.concat([pd.read_parquet(p) for p in paths], ignore_index=True)
    keys = {"id", "dataset", "task", "line", "source", "patient_key"}
    for c in df.columns:
        if c not in keys and pd.api.types.is_string_dtype(df[c]):
            s = df[c].str.replace(WS_RUNS, " ", regex=True).str.strip()
            df[c] = s.where(s != "", None)
    df["input_text"] = df["findings"]  # impression task only in this bench
    df["output_text"] = df["impression"]
    words = df["findings"].str.count(" ").add(1).fillna(0)
    reason = pd.Series(None, index=df.index, dtype=object)
    reason[df["input_text"].isna()] = "dropped_missing_input"
    reason[reason.isna() & df["output_text"].isna()] = "dropped_missing_output"
    reason[reason.isna() & (words < params["min_findings_words"])] = "dropped_short_findings"
    df["_reason"] = reason
    df = df.sort_values("id", kind="stable")
    alive = df["_reason"].isna()
    dup = df[alive].duplicated(["input_text", "output_text", "task"], keep="first")
    df.loc[dup[dup].index, "_reason"] = "dropped_duplicate_pair"
    counts = df["_reason"].fillna("kept").value_counts().to_dict()
    report = {step: int(counts.get(step, 0)) for step in STEPS[1:-1]}
    report["rows_in"], report["rows_out"] = len(df), int(counts.get("kept", 0))
    return df[df["_reason"].isna()].drop(columns="_reason").reset_index(drop=True), report


def pandas_instructions(df: pd.DataFrame, templates: dict, phrases: list[str], prob: float, seed: int) -> dict:
    ids = df["id"].tolist()
    chosen = [int(hash_fraction(seed, i, "template") * len(templates["impression"])) for i in ids]
    prepend = [
        phrases[int(hash_fraction(seed, i, "prepend_phrase") * len(phrases))]
        if "impression" in PREPEND_TASKS and hash_fraction(seed, i, "prepend") < prob
        else None
        for i in ids
    ]
    code, desc = df["exam_code"], df["exam_description"]
    exam = ("Exam: " + code + " - " + desc).where(code.notna() & desc.notna(), "Exam: " + code.fillna(desc))
    header = exam.fillna("")
    for c in [c for c in df.columns if c.startswith("ctx_")]:
        label = context_label(c)
        v = df[c]
        part = v.where(v.str.lower().str.startswith(label.lower() + ":"), label + ": " + v)
        header = header.where(part.isna(), header.where(header == "", header + "\n") + part)
    body = (header + "\n\n").where(header != "", "") + "Findings: " + df["input_text"]
    group = df["exam_code"].fillna(df["exam_description"]).fillna("all")
    out: dict[str, list] = {"train": []}
    tmpl = templates["impression"]
    for rid, ds, task, g, b, ref, inp, t, p in zip(
        ids, df["dataset"], df["task"], group, body, df["output_text"], df["input_text"], chosen, prepend, strict=True
    ):
        answer = ref if p is None else f"{p} {ref}"
        out["train"].append(
            {
                "id": rid,
                "dataset": ds,
                "task": task,
                "group": g,
                "messages": [
                    {"role": "system", "content": DEFAULT_SYSTEM_PROMPT},
                    {"role": "user", "content": f"{tmpl[t]}\n\n{b}"},
                    {"role": "assistant", "content": answer},
                ],
                "reference": ref,
                "input_text": inp,
                "template": t,
                "prepend": p,
            }
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    params = {"min_findings_words": 10, "max_input_words": None, "max_output_words": None}
    templates = load_templates(ROOT / "config" / "instruction_templates.yaml")
    phrases = load_prepend(ROOT / "config" / "prepend_phrases.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        paths = generate(args.rows, args.seed, Path(tmp))
        print(f"generated {args.rows:,} rows in {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        kept, report = filter_rows(load_shards(paths), {"bench": {}}, params)
        t_filter = time.perf_counter() - t0
        t0 = time.perf_counter()
        ex = build_examples(kept.with_columns(split=pl.lit("train")), templates, phrases, {"prepend_prob": 0.3}, 1)
        t_instr = time.perf_counter() - t0
        polars_s = t_filter + t_instr
        print(f"polars : filter {t_filter:6.1f} s  instructions {t_instr:6.1f} s  total {polars_s:6.1f} s")

        t0 = time.perf_counter()
        pkept, preport = pandas_filter(paths, params)
        p_filter = time.perf_counter() - t0
        t0 = time.perf_counter()
        pex = pandas_instructions(pkept, templates, phrases, 0.3, 1)
        p_instr = time.perf_counter() - t0
        pandas_s = p_filter + p_instr
        print(f"pandas : filter {p_filter:6.1f} s  instructions {p_instr:6.1f} s  total {pandas_s:6.1f} s")

    same_report = {s: n for _, s, n in report} == preport
    same_rows = kept["id"].to_list() == pkept["id"].tolist()
    same_examples = ex["train"] == pex["train"]
    print(f"rows kept {kept.height:,} of {args.rows:,}; same report {same_report}, rows {same_rows}, "
          f"examples {same_examples}")  # fmt: skip
    if not (same_report and same_rows and same_examples):
        raise SystemExit("polars and pandas results differ: the comparison is void")
    print(
        f"SUMMARY filter+instructions on {args.rows:,} rows: polars {polars_s:.1f} s, pandas {pandas_s:.1f} s, "
        f"speed-up x{pandas_s / polars_s:.2f} (filter alone x{p_filter / t_filter:.2f})"
    )


if __name__ == "__main__":
    main()
