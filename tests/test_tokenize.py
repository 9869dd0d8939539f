"""Tests for radtune.data.tokenize: answer-only labels, truncation policy, input errors, fingerprint staleness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))

from radtune.core.common import InputError, RadtuneError  # noqa: E402
from radtune.data import tokenize as TK  # noqa: E402

PARAMS = {"max_seq_len": 512, "truncation": "truncate", "num_proc": 1, "batch_size": 2}


def _rec(user: str, answer: str) -> dict:
    return {
        "id": "x",
        "messages": [
            {"role": "system", "content": "You are an expert radiologist."},
            {"role": "user", "content": user},
            {"role": "assistant", "content": answer},
        ],
    }


@pytest.fixture(scope="module")
def base(tmp_path_factory, smollm2_tok):
    """A folder with only SmolLM2's tokenizer files (all tokenize needs)."""
    d = tmp_path_factory.mktemp("base")
    smollm2_tok.save_pretrained(d)
    return d


def _write(path: Path, recs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    return path


def test_labels_cover_exactly_the_answer_and_end_of_turn(base, tmp_path):
    from datasets import load_from_disk
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(base)
    recs = [_rec("Findings: liver normal.", "Impression: Normal liver."), _rec("Findings: a b c d", "Impression: x")]
    stats = TK.tokenize_file(_write(tmp_path / "t.jsonl", recs), base, PARAMS, tmp_path / "out", tmp_path / "s.json")
    ds = load_from_disk(str(tmp_path / "out"))
    assert ds.column_names == ["input_ids", "labels", "length"]
    for rec, row in zip(recs, ds, strict=True):
        ids, labels = row["input_ids"], row["labels"]
        assert row["length"] == len(ids) == len(labels)
        answer_ids = [t for t in labels if t != -100]
        # the labelled span is a contiguous suffix: the answer text followed by <|im_end|>
        assert labels[-len(answer_ids) :] == ids[-len(answer_ids) :]
        assert all(t == -100 for t in labels[: -len(answer_ids)])
        assert answer_ids[-1] == tok.convert_tokens_to_ids("<|im_end|>")
        assert tok.decode(answer_ids) == rec["messages"][-1]["content"] + "<|im_end|>"
        # the unlabelled prefix is exactly the prompt a generator would see
        prompt = tok.apply_chat_template(rec["messages"][:-1], tokenize=False, add_generation_prompt=True)
        assert tok.decode(ids[: -len(answer_ids)]) == prompt
    assert stats["examples"] == 2 and stats["tokens"] == sum(ds["length"])
    assert stats["label_tokens"] == sum(sum(1 for t in r if t != -100) for r in ds["labels"])
    assert sum(stats["histogram"]["counts"]) == 2
    saved = json.loads((tmp_path / "s.json").read_text())
    assert saved["fingerprint"] == TK.read_meta(tmp_path / "out")["fingerprint"]


def test_truncate_cuts_prompt_left_and_drop_removes(base, tmp_path):
    from datasets import load_from_disk

    long_user = "Findings: " + "the liver is normal in size. " * 20
    recs = [_rec(long_user, "Impression: fine."), _rec("short", "Impression: ok.")]
    src = _write(tmp_path / "t.jsonl", recs)
    p = {**PARAMS, "max_seq_len": 40}
    stats = TK.tokenize_file(src, base, p, tmp_path / "tr", tmp_path / "tr.json")
    ds = load_from_disk(str(tmp_path / "tr"))
    assert stats["truncated"] == 1 and stats["dropped"] == 0 and stats["examples"] == 2
    assert max(ds["length"]) == 40
    full = TK.tokenize_file(src, base, PARAMS, tmp_path / "full", tmp_path / "full.json")
    whole = load_from_disk(str(tmp_path / "full"))[0]
    cut = ds[0]
    assert cut["input_ids"] == whole["input_ids"][-40:]  # prompt cut from the left, answer kept whole
    assert [t for t in cut["labels"] if t != -100] == [t for t in whole["labels"] if t != -100]
    assert full["truncated"] == 0

    stats = TK.tokenize_file(src, base, {**p, "truncation": "drop"}, tmp_path / "dr", tmp_path / "dr.json")
    assert stats["dropped"] == 1 and stats["examples"] == 1 and stats["truncated"] == 0
    assert len(load_from_disk(str(tmp_path / "dr"))) == 1


def test_truncate_pair_cuts_answer_right_when_answer_alone_is_too_long():
    assert TK.truncate_pair([1, 2, 3], [4, 5], 3) == ([3], [4, 5])
    assert TK.truncate_pair([1, 2, 3], [4, 5, 6, 7, 8], 4) == ([], [4, 5, 6, 7])
    assert TK.truncate_pair([1], [2], 4) == ([1], [2])


@pytest.mark.parametrize(
    ("line", "col"),
    [
        ('{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}', "messages"),
        ('{"messages": "nope"}', "messages"),
        ("{not json", None),
    ],
)
def test_bad_input_names_file_line_column_and_writes_nothing(base, tmp_path, line, col):
    src = tmp_path / "bad.jsonl"
    src.write_text(json.dumps(_rec("a", "b")) + "\n" + line + "\n")
    with pytest.raises(InputError) as exc:
        TK.tokenize_file(src, base, PARAMS, tmp_path / "out", tmp_path / "s.json")
    assert exc.value.line == 2 and exc.value.column == col and "bad.jsonl" in str(exc.value)
    assert not (tmp_path / "out").exists() and not (tmp_path / "s.json").exists()


def test_fingerprint_changes_with_tokenizer_template_and_length(base, tmp_path):
    import shutil

    fp = TK.tokenizer_fingerprint(base)
    assert fp == TK.tokenizer_fingerprint(base)  # stable
    other = tmp_path / "other"
    shutil.copytree(base, other)
    (other / "chat_template.jinja").write_text((base / "chat_template.jinja").read_text() + " ")
    assert TK.tokenizer_fingerprint(other) != fp
    assert TK.dataset_fingerprint(fp, 512, "truncate") != TK.dataset_fingerprint(fp, 256, "truncate")
    assert TK.dataset_fingerprint(fp, 512, "truncate") != TK.dataset_fingerprint(fp, 512, "drop")

    TK.tokenize_file(_write(tmp_path / "t.jsonl", [_rec("a", "b")]), base, PARAMS, tmp_path / "d", tmp_path / "s")
    assert TK.check_dataset(tmp_path / "d", base)["max_seq_len"] == 512
    with pytest.raises(RadtuneError, match="different tokenizer"):
        TK.check_dataset(tmp_path / "d", other)
    meta = json.loads((tmp_path / "d" / TK.META_FILE).read_text())
    (tmp_path / "d" / TK.META_FILE).write_text(json.dumps({**meta, "max_seq_len": 256}))
    with pytest.raises(RadtuneError, match="max_seq_len"):
        TK.check_dataset(tmp_path / "d", base)


def test_cli_runs_as_module_and_parallel_map_matches(base, tmp_path):
    """`python -m radtune.data.tokenize` (no clash with the stdlib tokenize) with num_proc=2 gives the same data."""
    from datasets import load_from_disk

    recs = [_rec(f"Findings {i} " * (i % 7 + 1), f"Impression {i}.") for i in range(12)]
    src = _write(tmp_path / "t.jsonl", recs)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "scripts")}
    params = json.dumps({**PARAMS, "num_proc": 2, "batch_size": 4})
    cmd = [sys.executable, "-m", "radtune.data.tokenize", "--input", str(src), "--model", str(base)]
    cmd += ["--params", params, "--output", str(tmp_path / "cli"), "--stats", str(tmp_path / "cli.json")]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "Findings" not in r.stderr  # no report text in logs
    TK.tokenize_file(src, base, PARAMS, tmp_path / "lib", tmp_path / "lib.json")
    assert load_from_disk(str(tmp_path / "cli"))[:] == load_from_disk(str(tmp_path / "lib"))[:]
    bad_params = json.dumps({**PARAMS, "truncation": "bogus"})
    bad = subprocess.run([*cmd[:7], "--params", bad_params, *cmd[9:]], env=env, capture_output=True, text=True)
    assert bad.returncode == 1 and "truncation" in bad.stderr
