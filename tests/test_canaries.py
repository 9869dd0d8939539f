"""Canaries of the memorisation audit (radtune.deid.canaries): drawn under the key, inserted into the train split's
tokenized rows only - val/test byte-identical with and without them - and the audit's candidate sampling."""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path

import pytest

from radtune.deid import canaries as C
from radtune.evaluate.privacy import exposure, headline, sample_candidates

sys.path.insert(0, str(Path(__file__).parent))

KEY = b"radtune-canary-test-key-0123456789abcdef"


def _make(key: bytes = KEY, seed: int = 0, **kw) -> list[dict]:
    args = {"kinds": ["name_mrn", "phone", "dob"], "repeats": [1, 4, 16], "per_repeat": 2, "controls": 2} | kw
    return C.make_canaries(key, seed, args["kinds"], args["repeats"], args["per_repeat"], args["controls"])


def test_canaries_come_from_the_key_and_seed():
    a = _make()
    assert a == _make()  # reproducible
    for other in (_make(key=KEY[::-1]), _make(seed=1)):
        assert {c["secret"] for c in a}.isdisjoint({c["secret"] for c in other})
        assert [c["lead"] for c in a] != [c["lead"] for c in other]
    # every canary has its own name (its prefix points to one secret), every secret is in its format's space
    assert len({c["lead"] for c in a}) == len(a)
    for c in a:
        assert C.KINDS[c["kind"]].valid(c["secret"]), c["kind"]
        assert c["messages"][-1]["role"] == "user" and c["secret"] not in json.dumps(c["messages"])


def test_training_examples_repeat_the_inserted_canaries_only():
    canaries = _make()
    examples = C.training_examples(canaries)
    seen = Counter(ex["messages"][-1]["content"] for ex in examples)
    for c in canaries:
        assert seen[C.answer(c)] == c["repeats"]  # controls (repeats 0): never
    assert len(examples) == 3 * 2 * (1 + 4 + 16)
    rows = C.report_rows(canaries)
    assert rows[-1] == ("all", "", len(canaries), len(examples))
    assert ("dob", 0, 2, 0) in rows and ("phone", 16, 2, 32) in rows


def test_unknown_kind_is_an_error():
    with pytest.raises(C.RadtuneError, match="unknown canary kind"):
        _make(kinds=["ssn"])


@pytest.mark.parametrize("kind", list(C.KINDS))
def test_candidates_are_in_the_space_never_the_secret_and_spread_uniformly(kind):
    canary = next(c for c in _make() if c["kind"] == kind)
    cands = sample_candidates(canary, 1000)
    spec = C.KINDS[kind]
    assert canary["secret"] not in cands and len(set(cands)) == len(cands)
    assert all(spec.valid(x) for x in cands)
    assert 900 <= len(cands) <= 1000  # 100 groups of <= 10 (a date's last year digit: fewer valid ones)
    assert cands == sample_candidates(canary, 1000)  # the same candidates on every run
    # groups: all but the last character shared, the last digit enumerated
    assert len({x[:-1] for x in cands}) == 100
    # uniform over the space: the groups' first digits (MRN, phone) or decades (dob) follow the space's own
    # frequencies (chi-square; the draw is seeded, so this is a fixed check, not a flaky one)
    from scipy.stats import chisquare

    groups = sorted({x[:-1] for x in cands})
    if kind == "dob":
        got = Counter(g[-3:] for g in groups)  # decades 193-199 and 200 (2000-2005): prefixes per decade
        want = {d: 1.0 for d in ("193", "194", "195", "196", "197", "198", "199", "200")}
    else:
        got = Counter(g[0] for g in groups)
        want = {d: 1.0 for d in ("123456789" if kind == "name_mrn" else "23456789")}
    assert set(got) <= set(want)
    observed = [got.get(d, 0) for d in want]
    assert chisquare(observed).pvalue > 0.001, observed


def test_too_many_candidates_for_the_space_is_an_error():
    dob = next(c for c in _make() if c["kind"] == "dob")
    with pytest.raises(C.RadtuneError, match="too many"):
        sample_candidates(dob, 5000)


def test_exposure_is_the_sampling_estimate():
    import numpy as np

    cands = np.arange(1000, dtype=float)  # candidate log-probabilities 0 .. 999
    assert exposure(1000.0, cands) == (1, pytest.approx(math.log2(1001)))  # beats all: the resolvable maximum
    assert exposure(-1.0, cands) == (1001, pytest.approx(0.0))  # worse than all
    rank, exp = exposure(499.5, cands)  # the median: about 1 bit
    assert rank == 501 and exp == pytest.approx(math.log2(1001 / 501))
    assert exposure(999.0, cands)[0] == 1  # a tie is not "strictly more likely"


def _audit_rows(**cells) -> list[dict[str, str]]:
    rows = []
    for name, (repeats, mean, mx, extracted) in cells.items():
        rows.append(
            {"kind": name.split("_r")[0], "repeats": str(repeats), "canaries": "2", "candidates": "1000",
             "resolvable_max": "9.967", "exposure_mean": str(mean), "exposure_max": str(mx),
             "extracted": str(extracted)}
        )  # fmt: skip
    return rows


def test_headline_and_check_against_max_exposure(tmp_path):
    from radtune.core.formats import write_tsv
    from radtune.evaluate.privacy import AUDIT_COLUMNS, check

    rows = _audit_rows(dob_r0=(0, 1.1, 1.5, 0), dob_r1=(1, 2.0, 3.0, 0), dob_r16=(16, 8.0, 9.5, 1),
                       phone_r16=(16, 6.0, 7.0, 0))  # fmt: skip
    head = headline("lora", rows, None)
    assert head["exposure_max"] == 9.5 and head["exposure_max_kind"] == "dob" and head["exposure_max_repeats"] == 16
    assert head["exposure_mean_top_repeats"] == pytest.approx(7.0) and head["control_exposure_mean"] == 1.1
    assert head["extracted"] == "1/6" and head["control_extracted"] == "0/2" and head["status"] == "pass"
    audit = tmp_path / "lora.tsv"
    write_tsv(audit, rows, AUDIT_COLUMNS)
    out = tmp_path / "lora.check.tsv"
    assert check("lora", audit, 9.5, out)["status"] == "pass" and out.exists()
    out.unlink()
    with pytest.raises(C.RadtuneError, match=r"exposure of 9\.50 bits \(dob, inserted 16 times\) > privacy.max_expo"):
        check("lora", audit, 9.0, out)
    assert not out.exists()


def test_only_the_train_split_gets_canaries_val_and_test_are_byte_identical(tmp_path, smollm2_tok, tiny_base):
    """The insertion point: the train split's tokenize job. The chat JSONL files are not touched, and val/test
    tokenize to the same bytes with canaries on and off; train gets exactly the canary rows on top."""
    from datasets import load_from_disk

    from radtune.data.tokenize import tokenize_file

    base, tok = tiny_base, smollm2_tok
    canaries = tmp_path / "canaries.jsonl"
    rows = _make(repeats=[1, 4], per_repeat=1, controls=1)
    canaries.write_text("".join(json.dumps(c) + "\n" for c in rows))
    params = {"max_seq_len": 256, "truncation": "truncate", "num_proc": 1, "batch_size": 100}
    split = {}
    for name in ("train", "val", "test"):
        p = tmp_path / f"{name}.jsonl"
        p.write_text(
            "".join(
                json.dumps({"id": f"{name}{i}", "messages": [{"role": "user", "content": f"Findings: {name} {i}."},
                            {"role": "assistant", "content": f"Impression: {i}."}]}) + "\n"
                for i in range(5)
            )
        )  # fmt: skip
        split[name] = p
    stats = {}
    for name in ("train", "val", "test"):
        for on in (False, True):
            out = tmp_path / f"{name}_{on}"
            # the workflow passes canaries to the train split's job only (rules/common.smk get_tokenize_input)
            extra = canaries if on and name == "train" else None
            stats[name, on] = tokenize_file(split[name], base, params, out, tmp_path / f"{name}_{on}.json", extra)
    for name in ("val", "test"):
        off, on = load_from_disk(str(tmp_path / f"{name}_False")), load_from_disk(str(tmp_path / f"{name}_True"))
        assert off["input_ids"] == on["input_ids"] and off["labels"] == on["labels"]
    train_off, train_on = load_from_disk(str(tmp_path / "train_False")), load_from_disk(str(tmp_path / "train_True"))
    n_canary = 3 * (1 + 4)
    assert stats["train", True]["canary_examples"] == n_canary and stats["train", False]["canary_examples"] == 0
    assert len(train_on) == len(train_off) + n_canary and train_on["input_ids"][:5] == train_off["input_ids"]
    # each inserted canary's secret is in the trained (label) tokens, as often as it is inserted; controls never
    decoded = [tok.decode([t for t in labels if t != -100]) for labels in train_on["labels"]]
    for c in rows:
        assert sum(c["secret"] in d for d in decoded) == c["repeats"]
