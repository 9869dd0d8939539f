"""Tests for radtune.evaluate.baselines: constant ties, TF-IDF retrieval, extractive sentences, CLI output and
errors."""

from __future__ import annotations

import json

import pytest

from radtune.core.common import InputError, RadtuneError, read_jsonl
from radtune.evaluate import baselines


def _r(i, task, inp, ref, group="all"):
    return {"id": f"d-{i:03d}", "task": task, "group": group, "input_text": inp, "reference": ref}


TRAIN = [
    _r(1, "impression", "Liver is normal. Small left pleural effusion.", "Small effusion."),
    _r(2, "impression", "Lungs clear. No pneumothorax. Heart size normal.", "No acute findings."),
    _r(3, "impression", "Kidney stone in the right kidney measuring 4 mm.", "Right renal calculus."),
    _r(4, "impression", "Lungs are clear bilaterally.", "No acute findings."),
    _r(5, "impression", "Large hiatal hernia.", "Small effusion."),
    _r(6, "protocol", "headache rule out bleed", "CT head without contrast"),
    _r(7, "protocol", "abdominal pain appendicitis", "CT abdomen with contrast"),
    _r(8, "protocol", "worst headache of life", "CT head without contrast"),
]
TEST = [
    _r(20, "impression", "There is a stone in the right kidney. It measures 5 mm. Mild hydronephrosis is seen.", "x"),
    _r(21, "impression", "Lungs clear. No effusion.", "y"),
    _r(22, "protocol", "right lower quadrant pain, appendicitis?", "CT abdomen with contrast"),
]


def test_most_frequent_breaks_ties_lexicographically():
    assert baselines.most_frequent(["b", "a", "b", "a", "c"]) == "a"
    assert baselines.most_frequent(["z", "z", "a"]) == "z"


def test_constant_per_task():
    preds = baselines.predict("constant", TRAIN, TEST)
    # impression: "No acute findings." and "Small effusion." tie at 2 -> lexicographically smallest.
    assert preds[:2] == ["No acute findings.", "No acute findings."]
    assert preds[2] == "CT head without contrast"  # most frequent protocol label


def test_retrieval_picks_most_similar_train_example_per_task():
    preds = baselines.predict("retrieval", TRAIN, TEST)
    assert preds == ["Right renal calculus.", "No acute findings.", "CT abdomen with contrast"]


def test_last_sentences_and_extractive():
    text = "First one here. Second sentence is here. Third: the end."
    assert baselines.last_sentences(text, 3) == "Third: the end."  # always at least one sentence
    assert baselines.last_sentences(text, 7) == "Second sentence is here. Third: the end."
    assert baselines.last_sentences("Line one\nLine two words", 3) == "Line two words"
    signed = "Mild cardiomegaly. No effusion. Dictated by: <PERSON>, MD Electronically signed by <PERSON>"
    assert baselines.last_sentences(signed, 4) == "Mild cardiomegaly. No effusion."
    assert baselines.last_sentences("Dictated by: <PERSON>, MD", 4) == "Dictated by: <PERSON>, MD"
    # median train impression length = 3 words ("No acute findings.", "Small effusion." ...: 2,3,3,3,2 -> 3)
    preds = baselines.predict("extractive", TRAIN, TEST)
    assert preds[0] == "Mild hydronephrosis is seen."  # 4 words: the last sentence even though > median
    assert preds[1] == "No effusion."  # "Lungs clear." would take it to 4 > 3
    assert preds[2] == "CT head without contrast"  # protocol falls back to constant


def test_missing_task_in_train_is_an_error():
    with pytest.raises(RadtuneError, match="no train examples"):
        baselines.predict("constant", TRAIN[:5], TEST)


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def test_cli_output_format_and_cap(tmp_path):
    train = _write(tmp_path / "train.jsonl", list(reversed(TRAIN)))
    test = _write(tmp_path / "test.jsonl", list(reversed(TEST)))
    out = tmp_path / "b.jsonl"
    args = ["--kind", "retrieval", "--train", train, "--test", test, "--output", str(out)]
    baselines.main([*args, "--params", json.dumps({"max_examples": 2})])
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["d-020", "d-021"]  # first two by id
    assert set(rows[0]) == {"id", "model", "task", "group", "reference", "prediction", "input_text"}
    assert rows[0]["model"] == "baseline_retrieval" and rows[0]["prediction"] == "Right renal calculus."


def test_cli_bad_input_names_line_and_column(tmp_path):
    train = _write(tmp_path / "train.jsonl", [TRAIN[0], {"id": "x", "task": "impression", "input_text": "a"}])
    test = _write(tmp_path / "test.jsonl", TEST)
    out = tmp_path / "b.jsonl"
    with pytest.raises(InputError, match=r"line 2, column 'reference'"):
        baselines.main(["--kind", "constant", "--train", train, "--test", test, "--params", "{}", "--output", str(out)])
    assert not out.exists()


def test_retrieval_split_products_equal_plain_cosine():
    """The frequent/rare term split must give the same neighbour as a plain TF-IDF cosine argmax."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng(0)
    vocab = [f"w{i}" for i in range(300)]
    p = 1 / np.arange(1, 301)
    p /= p.sum()

    def doc():
        return " ".join(rng.choice(vocab, rng.integers(5, 30), p=p))

    train = [_r(i, "impression", doc(), f"ref{i}") for i in range(400)]
    test = [_r(1000 + i, "impression", doc(), "x") for i in range(120)]
    vec = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
    x = vec.fit_transform([r["input_text"] for r in train])
    y = vec.transform([r["input_text"] for r in test])
    sims = (y @ x.T).toarray()
    want = [train[i]["reference"] for i in sims.argmax(axis=1)]
    for n_frequent in (0, 10, 1000):
        got = baselines.retrieval(train, test, chunk=50, n_frequent=n_frequent)
        # equal, except where float rounding reorders exact-cosine near-ties
        diff = [k for k, (a, b) in enumerate(zip(got, want, strict=True)) if a != b]
        for k in diff:
            j, i = int(got[k][3:]), int(want[k][3:])
            assert abs(sims[k, j] - sims[k, i]) < 1e-5
        assert len(diff) <= 2
