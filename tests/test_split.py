"""Tests for radtune.data.split: normalised/patient/near-duplicate grouping, seeded assignment, leak checks."""

from __future__ import annotations

import json

import polars as pl
import pytest
from _config import schema_defaults

from radtune.core.common import ConservationError, InputError
from radtune.data.split import LeakageError, check_overlap, group_rows, main, normalise_input, split_frame

PARAMS = {**schema_defaults("split"), "train": 0.8, "val": 0.1, "test": 0.1, "keep_train_duplicates": True}


def frame(inputs: list[str], patients: list[str | None] | None = None) -> pl.DataFrame:
    n = len(inputs)
    data = {
        "id": [f"d-{i:05d}" for i in range(n)],
        "task": ["impression"] * n,
        "input_text": inputs,
        "output_text": [f"out {i}" for i in range(n)],
    }
    if patients is not None:
        data["patient_key"] = patients
    return pl.DataFrame(data)


def groups_of(df: pl.DataFrame) -> dict[str, str]:
    return dict(zip(df["id"], df["group_id"], strict=True))


def test_normalisation_removes_case_punctuation_masks_placeholders():
    out = pl.select(
        normalise_input(pl.lit(s)).alias(str(i))
        for i, s in enumerate(
            ["Seen by <PERSON> on <DATE>: lungs CLEAR!", "seen by   dr. XXXX on ___ : lungs clear", "lungs clear"]
        )
    ).row(0)
    assert out[0] == "seen by on lungs clear"
    assert out[1] == "seen by dr on lungs clear"  # "dr" is a real word, not a mask
    assert out[2] == "lungs clear"


def test_exact_and_patient_grouping_is_transitive():
    df = frame(
        ["Lungs clear.", "lungs CLEAR", "Heart normal.", "Liver normal.", "Spleen normal.", "Kidney ok."],
        ["p1", "p9", "p9", "p2", None, None],
    )
    g = groups_of(group_rows(df)[0])
    # 0~1 by text, 1~2 by patient p9: one group of three; 3, 4, 5 alone
    assert g["d-00000"] == g["d-00001"] == g["d-00002"]
    assert len({g["d-00000"], g["d-00003"], g["d-00004"], g["d-00005"]}) == 4


def test_group_ids_do_not_depend_on_row_order():
    df = frame([f"text number {i % 7}" for i in range(30)], [f"p{i % 11}" for i in range(30)])
    a = groups_of(group_rows(df)[0])
    b = groups_of(group_rows(df.reverse())[0])
    assert a == b


def test_near_duplicate_grouping():
    base = (
        "the lungs are clear there is no pleural effusion or pneumothorax heart size is normal"
        " no acute osseous abnormality"
    )
    near_copy = base.replace("normal", "normal today")
    other = (
        "large right lower lobe consolidation consistent with pneumonia follow up radiograph recommended after therapy"
    )
    df = frame([base, near_copy, other])
    exact = groups_of(group_rows(df)[0])
    assert exact["d-00000"] != exact["d-00001"]
    near = {"enabled": True, "threshold": 0.7, "num_perm": 128, "shingle_words": 2}
    g, pairs = group_rows(df, near)
    g = groups_of(g)
    assert pairs == 1 and g["d-00000"] == g["d-00001"] != g["d-00002"]


def test_split_fractions_no_leak_and_determinism():
    n = 3000
    df = frame([f"finding {i % 1500} of the study" for i in range(n)], [f"p{i % 1000}" for i in range(n)])
    a, report = split_frame(df, PARAMS, seed=7)
    b, _ = split_frame(df.sample(fraction=1.0, shuffle=True, seed=3), PARAMS, seed=7)
    assert a.equals(b)
    r = dict(report)
    assert r["rows_train"] + r["rows_val"] + r["rows_test"] == n
    assert abs(r["fraction_train"] - 0.8) < 0.06 and r["rows_val"] > 0 and r["rows_test"] > 0
    assert r["exact_overlap_train_test"] == 0 and r["patient_overlap_train_val"] == 0
    # every group is in exactly one split
    assert a.group_by("group_id").agg(pl.col("split").n_unique())["split"].max() == 1
    c, _ = split_frame(df, PARAMS, seed=8)
    assert not c["split"].equals(a["split"])  # the seed matters


def test_keep_train_duplicates_false_drops_repeats_in_train_only():
    df = frame(["same text"] * 5 + [f"unique {i}" for i in range(200)])
    kept, report = split_frame(df, {**PARAMS, "keep_train_duplicates": False}, seed=1)
    dup_split = kept.filter(pl.col("input_text") == "same text")["split"].to_list()
    r = dict(report)
    if dup_split == ["train"]:
        assert r["dropped_train_duplicates"] == 4
    else:
        assert len(dup_split) == 5 and r["dropped_train_duplicates"] == 0
    assert kept.filter(pl.col("split") == "train")["input_text"].is_duplicated().sum() == 0


def test_check_overlap_catches_a_leaky_split():
    leaky = frame(["Lungs clear.", "lungs  clear", "Other."], ["a", "b", "c"]).with_columns(
        split=pl.Series(["train", "test", "val"])
    )
    with pytest.raises(LeakageError, match="exact_overlap_train_test=1"):
        check_overlap(leaky)
    patient_leak = frame(["one", "two"], ["p", "p"]).with_columns(split=pl.Series(["train", "val"]))
    with pytest.raises(LeakageError, match="patient_overlap_train_val=1"):
        check_overlap(patient_leak)
    base = "the lungs are clear there is no pleural effusion or pneumothorax heart size is normal"
    near_leak = frame([base, base + " today"]).with_columns(split=pl.Series(["train", "val"]))
    assert check_overlap(near_leak)["exact_overlap_train_val"] == 0
    with pytest.raises(LeakageError, match="near_overlap_train_val=1"):
        check_overlap(near_leak, {"enabled": True, "threshold": 0.7, "num_perm": 128, "shingle_words": 2})


def test_cli(tmp_path):
    src = tmp_path / "filtered.parquet"
    frame([f"text {i}" for i in range(50)], [f"p{i}" for i in range(50)]).write_parquet(src)
    out, rep = tmp_path / "assigned.parquet", tmp_path / "split_report.tsv"
    main(
        ["--input", str(src), "--params", json.dumps(PARAMS), "--seed", "3", "--output", str(out), "--report", str(rep)]
    )
    df = pl.read_parquet(out)
    assert {"group_id", "split"} <= set(df.columns) and "_norm" not in df.columns and df.height == 50
    metrics = dict(line.split("\t") for line in rep.read_text().splitlines()[1:])
    assert metrics["groups"] == "50" and metrics["exact_overlap_train_test"] == "0"
    pl.DataFrame({"id": ["x"]}).write_parquet(src)
    with pytest.raises(InputError, match="task"):
        main(["--input", str(src), "--params", "{}", "--seed", "3", "--output", str(out), "--report", str(rep)])


def test_max_per_output_caps_train_only_and_is_reported():
    n = 400
    df = pl.DataFrame(
        {
            "id": [f"d-{i:05d}" for i in range(n)],
            "task": ["impression"] * n,
            "input_text": [f"findings number {i}" for i in range(n)],
            # 3 of 4 rows share one answer (punctuation/case/placeholders differ: the same normalised output)
            "output_text": [
                ("No acute abnormality." if i % 8 else "no acute ABNORMALITY <DATE>") if i % 4 else f"o {i}"
                for i in range(n)
            ],  # fmt: skip
        }
    )
    free, r0 = split_frame(df, PARAMS, seed=5)
    capped, r1 = split_frame(df, {**PARAMS, "max_per_output": 10}, seed=5)
    r0, r1 = dict(r0), dict(r1)
    assert r0["max_per_output"] == "off" and r0["dropped_max_per_output"] == 0
    train = capped.filter(pl.col("split") == "train")
    majority = train.filter(normalise_input(pl.col("output_text")) == "no acute abnormality")
    assert majority.height == 10 and r1["outputs_capped"] == 1
    assert r1["dropped_max_per_output"] == free.height - capped.height == r0["rows_train"] - r1["rows_train"]
    for s in ("val", "test"):  # untouched
        assert r1[f"rows_{s}"] == r0[f"rows_{s}"]
    again, _ = split_frame(df, {**PARAMS, "max_per_output": 10}, seed=5)
    assert again.equals(capped)  # seeded: the same rows every run


def test_a_row_lost_inside_the_split_stops_it(monkeypatch):
    """Conservation: rows in = train + val + test + each drop counted in the report; a step that loses a row
    without counting it (here: the per-output cap) stops the split naming the counts."""
    import radtune.data.split as mod

    df = frame([f"text {i}" for i in range(40)], [f"p{i}" for i in range(40)])
    _, report = split_frame(df, PARAMS, 3)
    r = dict(report)
    assert r["rows_in"] == 40 == r["rows_train"] + r["rows_val"] + r["rows_test"] + r["dropped_train_duplicates"]
    real = mod.cap_per_output
    monkeypatch.setattr(mod, "cap_per_output", lambda d, cap, seed: (real(d, cap, seed)[0][1:], 0, 0))
    with pytest.raises(ConservationError, match=r"at split: 40 rows in, 39 accounted for .*1 lost"):
        split_frame(df, PARAMS, 3)
