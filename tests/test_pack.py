"""Tests for radtune.data.pack: every token kept once, rows fit, positions restart per example, stats are right."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from radtune.core.common import RadtuneError
from radtune.data import pack as P
from radtune.data.tokenize import META_FILE


def _tokenized(tmp_path, lengths: list[int]):
    """A tokenized folder like radtune.data.tokenize writes, with recognisable tokens (example i -> ids i*1000+k)."""
    from datasets import Dataset

    ids = [[i * 1000 + k for k in range(n)] for i, n in enumerate(lengths)]
    labels = [[-100] * (n // 2) + x[n // 2 :] for x, n in zip(ids, lengths, strict=True)]
    d = tmp_path / "tok"
    Dataset.from_dict({"input_ids": ids, "labels": labels, "length": lengths}).save_to_disk(str(d))
    (d / META_FILE).write_text(json.dumps({"fingerprint": "f", "tokenizer_fingerprint": "t", "max_seq_len": 64}))
    return d, ids, labels


def test_pack_keeps_every_example_once_and_positions_restart(tmp_path):
    from datasets import load_from_disk

    rng = random.Random(0)
    lengths = [rng.randint(1, 64) for _ in range(300)]
    src, ids, labels = _tokenized(tmp_path, lengths)
    stats = P.pack_dir(src, 64, tmp_path / "packed", tmp_path / "stats.json")
    packed = load_from_disk(str(tmp_path / "packed"))
    seen = []
    for row in packed:
        assert sum(row["seq_lengths"]) == len(row["input_ids"]) == len(row["labels"]) == len(row["position_ids"]) <= 64
        assert row["position_ids"] == [i for n in row["seq_lengths"] for i in range(n)]
        start = 0
        for n in row["seq_lengths"]:
            chunk = row["input_ids"][start : start + n]
            ex = chunk[0] // 1000
            assert chunk == ids[ex] and row["labels"][start : start + n] == labels[ex]  # example intact, labels aligned
            seen.append(ex)
            start += n
    assert sorted(seen) == list(range(len(lengths)))
    assert stats["rows"] == len(packed) and stats["real_tokens"] == sum(lengths)
    assert stats["efficiency"] == pytest.approx(sum(lengths) / (len(packed) * 64), abs=1e-6)
    # best fit decreasing is near the lower bound on the number of rows
    assert len(packed) <= int(np.ceil(sum(lengths) / 64)) + 2
    assert stats["efficiency"] > stats["padded_baseline_efficiency"]
    assert json.loads((tmp_path / "stats.json").read_text()) == stats
    assert json.loads((tmp_path / "packed" / META_FILE).read_text())["fingerprint"] == "f"


def test_padded_baseline_efficiency():
    # batches [10, 2] -> 2*10 slots, [4] -> 4 slots: 16 / 24
    assert P.padded_efficiency(np.array([10, 2, 4]), batch_size=2) == pytest.approx(16 / 24)
    assert P.padded_efficiency(np.array([5, 5, 5, 5]), batch_size=2) == 1.0


def test_over_long_examples_are_counted(tmp_path):
    src, _, _ = _tokenized(tmp_path, [10, 40, 20])
    stats = P.pack_dir(src, 32, tmp_path / "p", tmp_path / "s.json")
    assert stats["truncated_examples"] == 1 and stats["real_tokens"] == 10 + 32 + 20


def test_refuses_folder_without_fingerprint(tmp_path):
    from datasets import Dataset

    Dataset.from_dict({"input_ids": [[1]], "labels": [[1]]}).save_to_disk(str(tmp_path / "x"))
    with pytest.raises(RadtuneError, match="radtune_tokenize.json"):
        P.pack_dir(tmp_path / "x", 8, tmp_path / "p", tmp_path / "s.json")
    assert not (tmp_path / "p").exists()
