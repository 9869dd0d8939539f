"""Tests for radtune.evaluate.table: row order, means and CIs, paired p-values, protocol metrics, judge columns,
plot."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from radtune.core.common import InputError, RadtuneError
from radtune.core.formats import SCORE_DECIMALS, write_tsv
from radtune.evaluate import score, table

N = 60


def _scores(path, model, rouge_l, group_of=lambda i: "CT" if i % 2 else "MR"):
    rows = [
        {"id": f"e{i:03d}", "model": model, "task": "impression", "group": group_of(i), "rouge1": v, "rouge2": v / 2,
         "rouge_l": v, "bertscore_p": 0.8, "bertscore_r": 0.8, "bertscore_f1": 0.8, "encoder": "minilm",
         "encoder_layer": 6}
        for i, v in enumerate(rouge_l)
    ]  # fmt: skip
    write_tsv(path, rows, score.COLUMNS, decimals=SCORE_DECIMALS)
    return str(path)


def _protocol(path, model, pairs):
    rows = [
        {"id": f"p{i:03d}", "model": model, "task": "protocol", "group": "all", "exact": float(r == p),
         "similarity": 1.0 if r == p else 0.3, "ref_label": r, "pred_label": p, "encoder": "minilm", "encoder_layer": 6}
        for i, (r, p) in enumerate(pairs)
    ]  # fmt: skip
    write_tsv(path, rows, score.COLUMNS, decimals=SCORE_DECIMALS)
    return str(path)


def _read(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.uniform(0.1, 0.5, N)
    return {
        "base": _scores(tmp_path / "base.tsv", "smol", base),
        "lora": _scores(tmp_path / "lora.tsv", "lora", np.clip(base + 0.3, 0, 1)),
        "const": _scores(tmp_path / "const.tsv", "baseline_constant", np.full(N, 0.05)),
        "retr": _scores(tmp_path / "retr.tsv", "baseline_retrieval", base),  # identical to base
    }


BOOT = json.dumps({"bootstrap": {"n": 1000, "seed": 0}})  # the schema's defaults
KINDS = {"smol": "base", "lora": "variant", "baseline_constant": "baseline", "baseline_retrieval": "baseline"}


def _run(tmp_path, files, judge=None, kinds=KINDS):
    out, grp, png = tmp_path / "eval.tsv", tmp_path / "by_group.tsv", tmp_path / "eval.png"
    argv = ["--scores", files["const"], files["lora"], files["retr"], files["base"], "--kinds", json.dumps(kinds),
            "--params", json.dumps({"bootstrap": {"n": 400, "seed": 1}}), "--output", str(out),
            "--by-group", str(grp), "--plot", str(png)]  # fmt: skip
    if judge:
        argv += ["--judge", *judge]
    table.main(argv)
    return _read(out), _read(grp), png


def test_table_rows_means_cis_and_pvalues(tmp_path, files):
    rows, grp, png = _run(tmp_path, files)
    assert [r["model"] for r in rows] == ["smol", "lora", "baseline_constant", "baseline_retrieval"]
    assert [r["kind"] for r in rows] == ["base", "variant", "baseline", "baseline"]
    assert list(rows[0])[:4] == ["model", "kind", "task", "n"]
    by = {r["model"]: r for r in rows}
    base_vals = [float(x["rouge_l"]) for x in _read(files["base"])]
    assert float(by["smol"]["rouge_l"]) == pytest.approx(np.mean(base_vals), abs=1e-4)
    for r in rows:
        assert float(r["rouge_l_lo"]) <= float(r["rouge_l"]) <= float(r["rouge_l_hi"])
        assert r["n"] == str(N) and r["encoder"] == "minilm" and r["encoder_layer"] == "6"
        assert r["judge_score"] == "" and r["accuracy"] == ""
    assert float(by["lora"]["p_vs_base"]) < 0.01  # clearly better
    assert float(by["baseline_retrieval"]["p_vs_base"]) == 0.5  # identical to base
    assert by["smol"]["p_vs_base"] == ""
    # best baseline = retrieval (same as base): the variant beats it, the base ties it
    assert float(by["lora"]["p_vs_best_baseline"]) < 0.01
    assert float(by["smol"]["p_vs_best_baseline"]) == 0.5
    assert float(by["baseline_constant"]["p_vs_best_baseline"]) > 0.99
    assert by["baseline_retrieval"]["p_vs_best_baseline"] == ""
    # by group: a group column, every model x 2 groups, n adds up
    assert "group" in grp[0] and len(grp) == 8
    assert sum(int(r["n"]) for r in grp if r["model"] == "lora") == N
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_best_baseline_is_the_highest_main_metric_and_a_tie_goes_to_the_later_name():
    """The choice p_vs_best_baseline (and the export's model card) compares with."""
    values = {"baseline_constant": 0.04, "baseline_retrieval": 0.58, "baseline_extractive": 0.02}
    assert table.best_baseline(values) == "baseline_retrieval"
    assert table.best_baseline({"baseline_retrieval": 0.5, "baseline_extractive": 0.5}) == "baseline_retrieval"
    assert table.best_baseline({}) is None


def test_protocol_accuracy_and_macro_f1(tmp_path):
    pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("c", "b")]
    f = {"base": _protocol(tmp_path / "b.tsv", "smol", pairs)}
    out = tmp_path / "eval.tsv"
    outs = ["--output", str(out), "--by-group", str(tmp_path / "g.tsv"), "--plot", str(tmp_path / "p.png")]
    table.main(
        [
            "--scores",
            f["base"],
            "--kinds",
            json.dumps({"smol": "base"}),
            "--params",
            json.dumps({"bootstrap": {"n": 1000, "seed": 0}}),
            *outs,
        ]
    )
    (row,) = _read(out)
    assert row["task"] == "protocol" and row["rouge_l"] == ""
    assert float(row["accuracy"]) == pytest.approx(0.5)
    # a: P1 R.5 F2/3; b: P1/3 R1 F.5; c: 0
    assert float(row["macro_f1"]) == pytest.approx(round((2 / 3 + 0.5) / 3, 4))
    assert float(row["similarity"]) == pytest.approx((1 + 0.3 + 1 + 0.3) / 4)


def test_judge_columns(tmp_path, files):
    from radtune.evaluate import judge

    jrows = [
        {"id": f"e{i:03d}", "model": "lora", "judge_score": 8.0 if i % 3 else None,
         "judge_status": "ok" if i % 3 else "unparsed", "explanation": "x"}
        for i in range(N)
    ]  # fmt: skip
    jpath = tmp_path / "j.tsv"
    write_tsv(jpath, jrows, judge.COLUMNS, decimals=SCORE_DECIMALS)
    rows, _, _ = _run(tmp_path, files, judge=[str(jpath)])
    by = {r["model"]: r for r in rows}
    assert float(by["lora"]["judge_score"]) == 8.0 and by["lora"]["judge_n"] == str(40)
    assert by["lora"]["judge_failed"] == str(20)
    assert by["smol"]["judge_n"] == "0" and by["smol"]["judge_failed"] == str(N) and by["smol"]["judge_score"] == ""


def test_bad_inputs(tmp_path, files):
    with pytest.raises(RadtuneError, match="--kinds does not list"):
        _run(tmp_path, files, kinds={"smol": "base"})
    with pytest.raises(RadtuneError, match="kind"):
        _run(tmp_path, files, kinds={**KINDS, "lora": "adapter"})
    bad = tmp_path / "bad.tsv"
    bad.write_text("id\tmodel\ttask\tgroup\tencoder\tencoder_layer\trouge1\nx\tsmol\timpression\tg\tm\t6\t0.1\n")
    with pytest.raises(InputError, match="line 2"):
        table.read_scores([str(bad)])
    assert not (tmp_path / "eval.tsv").exists()


def _with_diagnostics(path, model, refs, preds, train):
    """Score rows as score.py writes them (ROUGE stand-in: exact match), diagnostics from score.diagnostics."""
    pred_rows = [{"id": f"e{i:03d}", "model": model, "task": "impression", "group": "CT", "reference": r,
                  "prediction": p} for i, (r, p) in enumerate(zip(refs, preds, strict=True))]  # fmt: skip
    rows = []
    for r, d in zip(pred_rows, score.diagnostics(pred_rows, train), strict=True):
        v = float(r["reference"].strip() == r["prediction"].strip())
        rows.append({**r, **d, "rouge1": v, "rouge2": v, "rouge_l": v, "bertscore_p": v, "bertscore_r": v,
                     "bertscore_f1": v, "encoder": "minilm", "encoder_layer": 6})  # fmt: skip
    write_tsv(path, rows, score.COLUMNS, decimals=SCORE_DECIMALS)
    return str(path)


def test_collapse_and_memorisation_diagnostics_and_the_novel_subset(tmp_path):
    majority = "No acute cardiopulmonary abnormality."
    train = [{"task": "impression", "reference": majority}] * 30 + [
        {"task": "impression", "reference": f"Nodule of {i} mm, <DATE>."} for i in range(10)
    ]
    # 40 test references: 20 are the majority answer (seen in train), 20 are new
    refs = [majority] * 20 + [f"New {i} cm mass in segment {i}." for i in range(20)]
    files = {
        "collapsed": _with_diagnostics(tmp_path / "c.tsv", "lora", refs, [majority + " "] * 40, train),
        "base": _with_diagnostics(tmp_path / "b.tsv", "smol", refs, [f"Signed <PERSON> {i}" for i in range(40)], train),
        "oracle": _with_diagnostics(tmp_path / "o.tsv", "baseline_retrieval", refs, refs, train),
        "const": _with_diagnostics(tmp_path / "k.tsv", "baseline_constant", refs, [majority] * 40, train),
    }
    out = tmp_path / "eval.tsv"
    table.main(["--scores", *files.values(), "--kinds", json.dumps({"smol": "base", "lora": "variant",
                "baseline_retrieval": "baseline", "baseline_constant": "baseline"}), "--params",
                json.dumps({"bootstrap": {"n": 200, "seed": 0}}),
                "--output", str(out), "--by-group", str(tmp_path / "g.tsv"),
                "--plot", str(tmp_path / "p.png")])  # fmt: skip
    by = {r["model"]: r for r in _read(out)}
    lora, const, oracle, base = by["lora"], by["baseline_constant"], by["baseline_retrieval"], by["smol"]
    # the collapsed model: one distinct answer, always the constant baseline's, copied from train
    assert float(lora["distinct_share"]) == pytest.approx(1 / 40, abs=1e-4)
    assert float(lora["constant_share"]) == 1.0 and float(lora["copied_train_share"]) == 1.0
    assert lora["distinct_share"] == const["distinct_share"] and lora["constant_share"] == const["constant_share"]
    assert float(oracle["distinct_share"]) == pytest.approx(21 / 40, abs=1e-4)
    assert float(oracle["constant_share"]) == 0.5 and float(oracle["length_ratio"]) == 1.0
    assert float(base["placeholder_rate"]) == 1.0 and float(lora["placeholder_rate"]) == 0.0
    # main columns: the collapsed model scores 0.5 like the constant baseline; on the novel subset it scores 0
    assert float(lora["rouge_l"]) == 0.5 and lora["novel_n"] == "20"
    assert float(lora["novel_rouge_l"]) == 0.0 and float(oracle["novel_rouge_l"]) == 1.0
    assert float(oracle["novel_rouge_l_lo"]) == 1.0 and float(oracle["novel_p_vs_base"]) < 0.01
    assert float(lora["novel_p_vs_best_baseline"]) > 0.99  # retrieval is the best baseline on novel examples
    assert list(lora)[: len(table.columns(False))] == table.columns(False)
    grp = _read(tmp_path / "g.tsv")
    assert {r["novel_n"] for r in grp} == {"20"} and {r["distinct_share"] for r in grp if r["model"] == "lora"}


def test_old_scores_without_diagnostics_leave_the_new_columns_empty(tmp_path, files):
    rows, _, _ = _run(tmp_path, files)
    assert all(r["distinct_share"] == "" and r["novel_n"] == "" for r in rows)
