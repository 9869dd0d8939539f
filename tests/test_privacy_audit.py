"""The memorisation audit on the tiny model (radtune.evaluate.privacy): batched candidate scoring equals scoring each
sequence on its own, the teacher-forced greedy check equals greedy decoding, and a model trained with canaries
ranks a canary inserted 16 times above one inserted once, and both above the never-inserted controls."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).parent))

torch = pytest.importorskip("torch")

from _helpers import read_tsv  # noqa: E402
from _tiny_model import tiny_llama  # noqa: E402

from radtune.deid.canaries import make_canaries  # noqa: E402
from radtune.evaluate import privacy as P  # noqa: E402

KEY = b"radtune-audit-test-key-0123456789abcdef"


def _full_sequence_logprob(model, ids: list[int], n_cont: int) -> float:
    with torch.no_grad():
        lp = torch.log_softmax(model(torch.tensor([ids])).logits[0].float(), -1)
    start = len(ids) - n_cont
    return sum(float(lp[start - 1 + j, ids[start + j]]) for j in range(n_cont))


def test_batched_scoring_equals_each_sequence_alone_and_greedy_equals_generate(smollm2_tok):
    tok = smollm2_tok
    model = tiny_llama(len(tok), seed=5, eos_token_id=tok.eos_token_id)
    for canary in make_canaries(KEY, 0, ["name_mrn", "phone", "dob"], [1], 1, 0):
        cands = P.sample_candidates(canary, 30)
        context, conts = P.encode_candidates(tok, canary, [canary["secret"], *cands])
        # the context is the prompt and the answer up to the secret; each continuation is its secret's tokens
        assert tok.decode(conts[0]).strip() == canary["secret"]
        assert tok.decode(context).endswith(canary["lead"])
        # the greedy continuation of the context, as a candidate of its own: the check must find it
        greedy_ids = model.generate(
            input_ids=torch.tensor([context]), max_new_tokens=len(conts[0]), do_sample=False, num_beams=1
        )[0, len(context) :].tolist()
        conts = [*conts, greedy_ids]
        scores, greedy = P.score_continuations(model, context, conts, batch_size=4)  # several batches, groups
        for i in (0, 1, 7, len(conts) - 1):
            alone = _full_sequence_logprob(model, context + conts[i], len(conts[i]))
            assert scores[i] == pytest.approx(alone, abs=1e-3)
        assert greedy[-1] and P.greedy_reproduces(model, context, greedy_ids)
        assert greedy[0] == P.greedy_reproduces(model, context, conts[0]) is False
        assert sum(greedy) == 1 + (greedy_ids in conts[:-1])


FILLER = "liver spleen kidney lesion normal cyst aorta lung".split()

RECIPE = """
learning_rate: 3.0e-3
max_steps: {steps}
per_device_train_batch_size: 8
logging_steps: 10
save_steps: 1000
lr_scheduler_type: constant
lora:
  r: 16
  alpha: 32
  dropout: 0.0
  target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]
"""


def _records(n: int, seed: int) -> list[dict]:
    import random

    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = " ".join(rng.choice(FILLER) for _ in range(12))
        out.append({"id": f"r{seed}-{i}", "messages": [
            {"role": "system", "content": "You are an expert radiologist."},
            {"role": "user", "content": f"Findings: {words}."},
            {"role": "assistant", "content": f"Impression: {words[:30]}."}]})  # fmt: skip
    return out


@pytest.mark.slow
def test_inserted_canaries_are_exposed_in_proportion_to_their_repeats(tmp_path, tiny_base):
    """The issue's test: through the workflow's own steps (canaries -> tokenize with them -> train -> audit of the
    trained variant), a canary inserted 16 times gets a higher exposure than one inserted once, and both a higher
    one than the never-inserted controls. It fails if the canaries are not in the training data (no exposure
    above the controls) or are scored by the wrong model (the base model: checked below)."""
    from radtune.data.tokenize import tokenize_file
    from radtune.deid import canaries as C
    from radtune.train import run as T

    base = tiny_base
    key_file = tmp_path / "key"
    key_file.write_text(KEY.decode())
    key_file.chmod(0o600)
    params = {"seed": 0, "kinds": ["name_mrn", "dob"], "repeats": [1, 16], "per_repeat": 3, "controls": 6}
    canaries = tmp_path / "canaries.jsonl"
    C.main(["--params", json.dumps(params), "--key-file", str(key_file), "--key-env", "RADTUNE_NO_SUCH_VARIABLE",
            "--output", str(canaries), "--report", str(tmp_path / "canary_report.tsv")])  # fmt: skip
    report = read_tsv(tmp_path / "canary_report.tsv")
    assert report[-1]["train_rows_added"] == str(2 * 3 * (1 + 16))
    tparams = {"max_seq_len": 256, "truncation": "truncate", "num_proc": 1, "batch_size": 100}
    for split, n in (("train", 40), ("val", 4)):
        src = tmp_path / f"{split}.jsonl"
        src.write_text("".join(json.dumps(r) + "\n" for r in _records(n, seed=len(split))))
        tokenize_file(src, base, tparams, tmp_path / "tok" / split, tmp_path / f"{split}.stats.json",
                      canaries if split == "train" else None)  # fmt: skip
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE.format(steps=60))  # ~3.5 epochs of the 142 rows
    spec = {"base": "tiny", "method": "lora", "recipe": str(recipe), "packing": False}
    model_dir = tmp_path / "model"
    T.train("lora", spec, str(recipe), str(base), str(tmp_path / "tok" / "train"), str(tmp_path / "tok" / "val"),
            str(tmp_path / "ck"), 1, str(model_dir))  # fmt: skip

    def audit(finetuned: Path | None, name: str) -> dict[int, float]:
        out = tmp_path / f"{name}.tsv"
        args = ["audit", "--base", str(base), "--canaries", str(canaries), "--output", str(out),
                "--per-canary", str(tmp_path / f"{name}.canaries.tsv"),
                "--params", json.dumps({"candidates": 200, "batch_size": 16})]  # fmt: skip
        P.main(args + (["--finetuned", str(finetuned)] if finetuned else []))
        rows = read_tsv(out)
        assert {(r["kind"], r["repeats"]) for r in rows} == {
            (k, r) for k in ("name_mrn", "dob") for r in ("0", "1", "16")
        }
        per = read_tsv(tmp_path / f"{name}.canaries.tsv")
        assert len(per) == 2 * (3 + 3 + 6)
        written = out.read_text() + (tmp_path / f"{name}.canaries.tsv").read_text()
        assert not any(c["secret"] in written for c in C.read_canaries(canaries))  # no secret in the tables
        by_repeats: dict[int, list[float]] = {}
        for r in per:
            by_repeats.setdefault(int(r["repeats"]), []).append(float(r["exposure"]))
        return {k: sum(v) / len(v) for k, v in by_repeats.items()}

    trained = audit(model_dir, "lora")
    assert trained[16] > trained[1] > trained[0], trained
    assert trained[16] - trained[0] > 2.0, trained  # the 16-times canaries stand well clear of the controls
    # the wrong model (the base, which never saw the canaries): no such gap
    untrained = audit(None, "base")
    assert untrained[16] < trained[16] - 2.0 and abs(untrained[16] - untrained[0]) < 1.5, (untrained, trained)
