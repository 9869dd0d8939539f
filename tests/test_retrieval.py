"""Tests for radtune.data.retrieval: leak-free neighbours (own group never, train rows only, same task, order-free),
exact top-k against brute force, the retrieval baseline unchanged, the token-bounded neighbours block, the CLI."""

from __future__ import annotations

import json
import random
import stat

import numpy as np
import pytest

from radtune.core.common import RadtuneError, read_jsonl, write_jsonl
from radtune.data import neighbours as cli
from radtune.data import retrieval as rt
from radtune.evaluate import baselines

WORDS = (
    "liver kidney spleen lung pleural effusion nodule mass lesion cyst stone fracture normal mild moderate severe "
    "left right upper lower lobe small large acute chronic stable new enhancing hypodense calcified bowel "
    "appendix gallbladder pancreas aorta aneurysm hernia atelectasis consolidation pneumothorax edema"
).split()


def _text(rng: random.Random, n_words: int = 12, vocab: int = 400) -> str:
    return " ".join(rng.choice(WORDS) if rng.random() < 0.5 else f"w{rng.randrange(vocab)}" for _ in range(n_words))


def _row(i, split, group, inp, task="impression", out="imp", **extra):
    return {"id": f"r{i:03d}", "split": split, "group_id": group, "task": task, "input_text": inp,
            "output_text": out, **extra}  # fmt: skip


def _rows() -> list[dict]:
    """Train groups whose members are (near-)identical (each other's best hit), plus val/test and a second task."""
    rng = random.Random(3)
    rows, i = [], 0
    for g in range(8):
        base = _text(rng)
        for m in range(3):  # identical, identical, near-identical
            inp = base if m < 2 else base + " " + rng.choice(WORDS)
            rows.append(_row(i, "train", f"g{g}", inp))
            i += 1
    for split in ("val", "test"):
        for _ in range(4):
            rows.append(_row(i, split, f"h{i}", _text(rng)))
            i += 1
    for _ in range(6):
        rows.append(_row(i, "train" if i % 3 else "test", f"p{i}", _text(rng), task="protocol", out="CT"))
        i += 1
    return rows


def test_train_rows_never_retrieve_their_own_group():
    rows = _rows()
    by_id = {r["id"]: r for r in rows}
    train = [r for r in rows if r["split"] == "train" and r["task"] == "impression"]
    # the test is meaningful: without the exclusion, every train row's best hit is in its own group
    plain = rt.Index([r["input_text"] for r in train]).search([r["input_text"] for r in train], 3)
    assert all(train[hits[0][0]]["group_id"] == r["group_id"] for r, hits in zip(train, plain, strict=True))
    assert all(hits[0][1] > 0.99 for hits in plain)
    found = rt.find_neighbours(rows, 3, ["input"])
    assert set(found) == {r["id"] for r in rows}
    for rid, hits in found.items():
        row = by_id[rid]
        assert len(hits) == 3
        for nid, cos in hits:
            nb = by_id[nid]
            assert nb["split"] == "train" and nb["task"] == row["task"]  # train rows of the same task only
            assert nid != rid
            if row["split"] == "train":
                assert nb["group_id"] != row["group_id"]
            assert -1e-6 <= cos <= 1 + 1e-6
        assert [c for _, c in hits] == sorted((c for _, c in hits), reverse=True)


def test_val_and_test_rows_search_all_train_rows():
    rows = _rows()
    copy = dict(rows[0], id="r999", split="test")  # a test row identical to a train row: that train row is found
    found = rt.find_neighbours([*rows, copy], 3, ["input"])
    assert found["r999"][0] == ("r000", pytest.approx(1.0, abs=1e-5))
    assert found["r999"][1][0] == "r001"  # its identical twin, tie to the lower index (id order)


def test_deterministic_under_shuffling():
    rows = _rows()
    ref = rt.find_neighbours(rows, 3, ["input", "exam"])
    for seed in range(3):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        assert rt.find_neighbours(shuffled, 3, ["input", "exam"]) == ref


def test_a_task_without_train_rows_is_an_error():
    rows = [_row(1, "train", "a", "liver normal"), _row(2, "test", "b", "order notes", task="protocol")]
    with pytest.raises(RadtuneError, match="'protocol'"):
        rt.find_neighbours(rows, 1, ["input"])


def test_index_text_fields():
    row = {"input_text": "Findings here", "exam_code": "CTAB", "exam_description": None, "ctx_b": "two", "ctx_a": "one"}
    assert rt.index_text(row, ["input"]) == "Findings here"
    assert rt.index_text(row, ["context", "exam", "input"]) == "Findings here\nCTAB\none\ntwo"
    assert rt.index_text({"input_text": "x"}, ["input", "exam", "context"]) == "x"
    with pytest.raises(RadtuneError, match="fields"):
        rt.index_text(row, ["findings"])


def _brute(texts, queries, k, qgroups=None, groups=None):
    """Cosine top-k by hand: float64 dense product of the same TF-IDF vectors, sorted by (-cosine, index)."""
    index = rt.Index(texts)
    x = index.vectorizer.transform(texts).toarray().astype(np.float64)
    q = index.vectorizer.transform(queries).toarray().astype(np.float64)
    out = []
    for i, sims in enumerate(np.round(q @ x.T, 9)):
        allowed = [j for j in range(len(texts)) if qgroups is None or qgroups[i] is None or groups[j] != qgroups[i]]
        best = sorted(allowed, key=lambda j: (-sims[j], j))[:k]
        out.append([(j, sims[j]) for j in best])
    return out


@pytest.mark.parametrize("n_frequent", [128, 5])
def test_search_equals_brute_force(n_frequent):
    rng = random.Random(0)
    texts = [_text(rng, rng.randrange(3, 15)) for _ in range(300)]
    texts += [texts[rng.randrange(300)] for _ in range(60)]  # exact duplicates: ties
    queries = [_text(rng, 8) for _ in range(40)] + texts[:20] + ["zzz unseen words only"]
    groups = [f"g{j % 37}" for j in range(len(texts))]
    qgroups = [None] * 40 + groups[:20] + [None]
    index = rt.Index(texts, n_frequent=n_frequent)
    for k, kw in [(1, {}), (5, {}), (5, {"query_groups": qgroups, "groups": groups})]:
        got = index.search(queries, k, chunk=7, **kw)
        want = _brute(texts, queries, k, kw.get("query_groups"), kw.get("groups"))
        assert [[i for i, _ in g] for g in got] == [[i for i, _ in w] for w in want]
        for g, w in zip(got, want, strict=True):
            assert [c for _, c in g] == pytest.approx([c for _, c in w], abs=1e-5)
    # max_cells caps the chunk (2 queries at a time) without changing the neighbours (BLAS may round the last bit
    # of a cosine differently for another chunk shape)
    small, big = index.search(queries, 5, max_cells=len(texts) * 2), index.search(queries, 5)
    assert [[i for i, _ in h] for h in small] == [[i for i, _ in h] for h in big]
    assert [c for h in small for _, c in h] == pytest.approx([c for h in big for _, c in h], abs=1e-6)
    assert index.search(["zzz"], 3) == [[(0, 0.0), (1, 0.0), (2, 0.0)]]  # nothing in common: ties, lowest first


def test_search_returns_fewer_when_groups_exclude_nearly_everything():
    index = rt.Index(["aa bb cc", "aa bb dd", "xx yy zz"])
    assert [i for i, _ in index.search(["aa bb cc"], 3, query_groups=["g"], groups=["g", "g", "h"])[0]] == [2]
    assert index.search(["aa bb cc"], 3, query_groups=["g"], groups=["g", "g", "g"]) == [[]]
    assert len(index.search(["aa"], 10)[0]) == 3
    with pytest.raises(RadtuneError, match="nothing to index"):
        rt.Index(["a", "? !"])


def _old_retrieval(train, test, chunk=256, n_frequent=128):
    """radtune.evaluate.baselines.retrieval before issue 23 (the reference: predictions must stay the same)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(sublinear_tf=True, dtype=np.float32)
    x_train = vec.fit_transform([r["input_text"] for r in train]).tocsr()
    x_test = vec.transform([r["input_text"] for r in test]).tocsr()
    df = np.diff(x_train.tocsc().indptr)
    order = np.argsort(-df, kind="stable")
    freq, rare = np.sort(order[:n_frequent]), np.sort(order[n_frequent:])
    train_freq = x_train[:, freq].toarray()
    train_rare_t = x_train[:, rare].T.tocsr()
    test_freq, test_rare = x_test[:, freq].toarray(), x_test[:, rare].tocsr()
    best = np.empty(len(test), dtype=np.int64)
    for s in range(0, len(test), chunk):
        sims = test_freq[s : s + chunk] @ train_freq.T
        sims += (test_rare[s : s + chunk] @ train_rare_t).toarray()
        best[s : s + chunk] = sims.argmax(axis=1)
    return [train[i]["reference"] for i in best]


def test_retrieval_baseline_unchanged():
    rng = random.Random(7)
    train = [{"input_text": _text(rng, rng.randrange(4, 30), vocab=3000), "reference": f"ref{i}"} for i in range(2000)]
    train += [dict(train[rng.randrange(2000)], reference=f"dup{i}") for i in range(200)]  # ties: first one wins
    test = [{"input_text": _text(rng, rng.randrange(4, 30), vocab=3000)} for _ in range(600)]
    test += [{"input_text": r["input_text"]} for r in train[2000:2100]] + [{"input_text": "qqq"}]
    assert baselines.retrieval(train, test) == _old_retrieval(train, test)
    assert baselines.retrieval(train, test, chunk=50, n_frequent=16) == _old_retrieval(train, test, 50, 16)


def _nb(i, inp, ref, group="CT abdomen"):
    return {"id": f"t{i}", "group": group, "input_text": inp, "reference": ref}


NBS = [
    _nb(1, "The liver is normal. No focal lesion. The spleen is normal in size.", "Normal liver."),
    _nb(2, " ".join(f"Finding number {j} is stable and unchanged." for j in range(40)), "Stable findings.", "all"),
    _nb(3, "Small left pleural effusion.", "Effusion."),
]


def _count(tok, text):
    return len(tok(text, add_special_tokens=False)["input_ids"])


def test_render_layout(smollm2_tok):
    block = rt.render_neighbours(NBS, "impression", smollm2_tok, 10_000)
    assert block == (
        "Similar reports from the training set:\n\n"
        f"[1] Exam: CT abdomen\nFindings: {NBS[0]['input_text']}\nImpression: Normal liver.\n\n"
        f"[2] Findings: {NBS[1]['input_text']}\nImpression: Stable findings.\n\n"  # group "all": no exam line
        "[3] Exam: CT abdomen\nFindings: Small left pleural effusion.\nImpression: Effusion."
    )
    assert "Order notes: " in rt.render_neighbours(NBS[:1], "protocol", smollm2_tok, 500)
    assert "\nProtocol: Normal liver." in rt.render_neighbours(NBS[:1], "protocol", smollm2_tok, 500)
    assert "\nAnswer: " in rt.render_neighbours(NBS[:1], "note_qa", smollm2_tok, 500)
    assert rt.render_neighbours([], "impression", smollm2_tok, 500) == ""
    assert rt.render_neighbours(NBS, "impression", smollm2_tok, 5) == ""  # not even the first output fits


def test_render_cuts_then_drops_within_budget(smollm2_tok):
    one = rt.render_neighbours(NBS[:1], "impression", smollm2_tok, 10_000)
    whole2 = rt.render_neighbours(NBS[:2], "impression", smollm2_tok, 10_000)
    budget = _count(smollm2_tok, one) + 60  # the second (long) neighbour does not fit whole, its output does
    assert _count(smollm2_tok, whole2) > budget
    block = rt.render_neighbours(NBS, "impression", smollm2_tok, budget)
    assert _count(smollm2_tok, block) <= budget
    assert block.startswith(one + "\n\n[2] Findings: Finding number 0 is")
    assert block.endswith(" ...\nImpression: Stable findings.")  # cut input, whole output
    assert "[3]" not in block  # the rest are dropped after a cut
    # as many input words as fit: one word more would not
    kept = block.split("[2] Findings: ")[1].split(" ...\n")[0].split()
    longer = block.replace(" ".join(kept) + " ...", " ".join(NBS[1]["input_text"].split()[: len(kept) + 1]) + " ...")
    assert _count(smollm2_tok, longer) > budget
    # a budget that holds the first neighbour but not the second's output: the second and the rest are dropped
    tight = _count(smollm2_tok, one) + 6
    assert rt.render_neighbours(NBS, "impression", smollm2_tok, tight) == one
    cut1 = rt.render_neighbours(NBS, "impression", smollm2_tok, _count(smollm2_tok, one) - 1)  # one token short
    assert cut1.endswith(" ...\nImpression: Normal liver.") and "[2]" not in cut1
    for max_tokens in range(1, 400):  # never over budget, whatever the budget
        out = rt.render_neighbours(NBS, "impression", smollm2_tok, max_tokens)
        assert _count(smollm2_tok, out) <= max_tokens


def test_augment_user():
    user = "Summarise the findings.\n\nExam: CT\n\nFindings: liver normal."
    assert rt.augment_user(user, "BLOCK") == (
        "Summarise the findings.\n\nBLOCK\n\nThis report:\nExam: CT\n\nFindings: liver normal."
    )
    assert rt.augment_user(user, "") == user
    assert rt.augment_user("no blank line", "B") == "B\n\nThis report:\nno blank line"


def _cli_files(tmp_path, smollm2_tok):
    import polars as pl

    from radtune.data.instructions import build_examples

    rows = [dict(r, dataset="demo", exam_code="CTAB" if i % 2 else None, exam_description="CT abdomen",
                 ctx_history="prior surgery" if i % 3 else None) for i, r in enumerate(_rows())]  # fmt: skip
    df = pl.DataFrame(rows)
    df.write_parquet(tmp_path / "assigned.parquet")
    templates = {"impression": ["Summarise the findings."], "protocol": ["Choose the protocol."]}
    examples = build_examples(df, templates, [], {"prepend_prob": 0.0, "system_prompt": "You are careful."}, 1)
    inputs = [tmp_path / f"{s}.jsonl" for s in ("train", "val", "test")]
    for path, split in zip(inputs, ("train", "val", "test"), strict=True):
        write_jsonl(path, examples[split])
    smollm2_tok.save_pretrained(tmp_path / "base")
    return rows, inputs


def test_cli_end_to_end(tmp_path, smollm2_tok):
    rows, inputs = _cli_files(tmp_path, smollm2_tok)
    params = json.dumps({"k": 2, "fields": ["input", "exam", "context"], "max_tokens": 200})
    nb = tmp_path / "out" / "neighbours.jsonl"
    cli.main(["neighbours", "--input", str(tmp_path / "assigned.parquet"), "--params", params, "--output", str(nb)])
    lines = read_jsonl(nb)
    assert [r["id"] for r in lines] == sorted(r["id"] for r in rows)
    by_id = {r["id"]: r for r in rows}
    for line in lines:
        assert line["split"] == by_id[line["id"]]["split"] and len(line["neighbours"]) == 2
        for nid, cos in line["neighbours"]:
            assert by_id[nid]["split"] == "train" and by_id[nid]["group_id"] != by_id[line["id"]]["group_id"]
            assert cos == round(cos, 6)
    outputs = [tmp_path / "out" / f"{s}.aug.jsonl" for s in ("train", "val", "test")]
    cli.main(["render", "--inputs", *map(str, inputs), "--neighbours", str(nb), "--model", str(tmp_path / "base"),
             "--params", params, "--outputs", *map(str, outputs)])  # fmt: skip
    for src, dst in zip(inputs, outputs, strict=True):
        assert stat.S_IMODE(dst.stat().st_mode) == 0o600
        before, after = read_jsonl(src), read_jsonl(dst)
        assert len(before) == len(after)
        for b, a in zip(before, after, strict=True):
            want_ids = [i for i, _ in next(r for r in lines if r["id"] == b["id"])["neighbours"]]
            assert a["neighbours"] == want_ids
            assert {k: v for k, v in a.items() if k not in ("messages", "neighbours")} == {
                k: v for k, v in b.items() if k != "messages"
            }
            assert [m["role"] for m in a["messages"]] == [m["role"] for m in b["messages"]]
            assert a["messages"][0] == b["messages"][0] and a["messages"][2] == b["messages"][2]
            user = a["messages"][1]["content"]
            instruction, rest = b["messages"][1]["content"].split("\n\n", 1)
            assert user.startswith(instruction + "\n\nSimilar reports from the training set:\n\n[1] ")
            assert user.endswith("\n\nThis report:\n" + rest)
            block = user[len(instruction) + 2 : -len("\n\nThis report:\n" + rest)]
            assert len(smollm2_tok(block, add_special_tokens=False)["input_ids"]) <= 200


def test_cli_missing_neighbours_entry_is_an_error_and_writes_nothing(tmp_path, smollm2_tok):
    _, inputs = _cli_files(tmp_path, smollm2_tok)
    params = json.dumps({"k": 2, "fields": ["input"], "max_tokens": 200})
    nb = tmp_path / "neighbours.jsonl"
    cli.main(["neighbours", "--input", str(tmp_path / "assigned.parquet"), "--params", params, "--output", str(nb)])
    lines = read_jsonl(nb)
    val_id = read_jsonl(inputs[1])[0]["id"]
    write_jsonl(nb, [r for r in lines if r["id"] != val_id])
    outputs = [tmp_path / "out" / f"{s}.aug.jsonl" for s in ("train", "val", "test")]
    with pytest.raises(RadtuneError, match=r"1 example\(s\) have no entry .*train 0, val 1, test 0"):
        cli.main(["render", "--inputs", *map(str, inputs), "--neighbours", str(nb), "--model", str(tmp_path / "base"),
                 "--params", params, "--outputs", *map(str, outputs)])  # fmt: skip
    assert not any(p.exists() for p in outputs)


def test_cli_bad_params(tmp_path):
    with pytest.raises(RadtuneError, match="fields"):
        cli.main(["neighbours", "--input", "x", "--params", '{"k": 2, "fields": ["notes"], "max_tokens": 5}',
                 "--output", str(tmp_path / "o")])  # fmt: skip
