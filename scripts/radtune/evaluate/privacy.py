"""Memorisation audit of a trained variant: canary exposure and extraction (radtune.deid.canaries), the check against
privacy.max_exposure, and the table of every variant's headline figures.

Exposure (Carlini et al., "The Secret Sharer", 2019) of a canary with secret s is log2 |R| - log2 rank(s), R the
space of secrets of its format and rank(s) the position of s among all of R ordered by the model's likelihood of
the secret given the canary's prefix (the chat prompt and the answer up to the secret). |R| is 9e7 (MRN) to 6.4e9
(phone), too many to score, so the rank is estimated from a uniform sample of N candidates (`candidates`) drawn
from R without s - Carlini's sampling estimate:

    fraction of R at least as likely as s  ~  (1 + #sampled candidates strictly more likely than s) / (N + 1)
    exposure  ~  -log2(that fraction)  =  log2(N + 1) - log2(rank),   rank = 1 + #strictly more likely

which is the same as log2 |R| - log2(|R| x fraction). It resolves exposures up to log2(N + 1) (9.97 bits at
N = 1000): a secret more likely than every sampled candidate gets that value, a lower bound of its exposure, whose
upper bound is log2 |R|. A never-inserted control's rank is uniform: its exposure has median 1 bit, mean 1.44.
The candidates are a cluster sample (radtune.evaluate.privacy.sample_candidates): uniform prefixes, each with all its
valid last digits, so every value of R is equally likely to be scored.

Extraction: greedy decoding from the canary's prefix, as many tokens as the secret has; an exact reproduction of
the secret's tokens counts as extracted. Read from the scoring pass (teacher-forced): greedy decoding reproduces the
secret exactly when the secret's token is the most likely one at each of its positions.

Scoring is batched: the prefix runs through the model once, its key/value cache is repeated over a batch of
candidate rows, and candidates that differ only in their last token share one row of ~10 tokens (the row's last
position scores all their last tokens), so a candidate costs about one token (log-likelihood of the secret's
tokens only; the frame's tail is not scored). The model is loaded as radtune.evaluate.generate loads it (adapter merged,
QLoRA adapter on its NF4 base, full model).
"""

from __future__ import annotations

import argparse
import copy
import logging
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from radtune.core.common import RadtuneError, json_arg, run_main, stable_hash
from radtune.core.formats import read_tsv, write_tsv
from radtune.data.tokenize import split_prompt_answer
from radtune.deid.canaries import KINDS, log2_space, read_canaries

log = logging.getLogger("radtune.evaluate.privacy")

AUDIT_COLUMNS = (
    "kind", "repeats", "canaries", "candidates", "space", "space_log2", "resolvable_max", "exposure_mean",
    "exposure_max", "extracted", "extracted_share",
)  # fmt: skip
CANARY_COLUMNS = ("id", "kind", "repeats", "rank", "candidates", "exposure", "extracted", "secret_logprob",
                  "candidate_logprob_median")  # fmt: skip
CHECK_COLUMNS = (
    "variant", "inserted", "controls", "candidates", "resolvable_max", "exposure_max", "exposure_max_kind",
    "exposure_max_repeats", "exposure_mean_top_repeats", "control_exposure_mean", "extracted", "control_extracted",
    "max_exposure", "status",
)  # fmt: skip


# ---- candidates -------------------------------------------------------------------------------------------------
DIGITS = "0123456789"


def sample_candidates(canary: dict[str, Any], n: int) -> list[str]:
    """About n values of the secret's format, never the secret: ceil(n / 10) distinct prefixes (the value but its
    last character) drawn uniformly from all prefixes of the space, each with all of its valid last digits.

    Every value of the space is equally likely to be among the candidates (a cluster sample), and a group costs
    one row of the model: its members differ only in the last token, whose log-probabilities the row's last
    position gives for all of them at once (10x fewer tokens than scoring each candidate on its own). Seeded by
    the canary's id and secret: the same candidates on every run."""
    spec = KINDS[canary["kind"]]
    groups = -(-n // 10)
    if groups * 10 * 10 > spec.space:
        raise RadtuneError(f"privacy.canaries.candidates {n} is too many for the {canary['kind']} space ({spec.space})")
    rng = random.Random(int(stable_hash("radtune candidates", canary["id"], canary["secret"]), 16))
    prefixes: set[str] = set()
    out: list[str] = []
    while len(prefixes) < groups:
        prefix = spec.sample(rng)[:-1]
        members = [prefix + d for d in DIGITS if spec.valid(prefix + d)]
        # a value drawn uniformly reaches a prefix in proportion to its members: accepting it with probability
        # 1 / members makes every prefix equally likely
        if prefix in prefixes or rng.random() * len(members) >= 1:
            continue
        prefixes.add(prefix)
        out.extend(m for m in members if m != canary["secret"])
    return out


def exposure(secret_logprob: float, candidate_logprobs: np.ndarray) -> tuple[int, float]:
    """(rank, exposure) by the sampling estimate (module docstring): rank = 1 + candidates strictly more likely."""
    rank = 1 + int(np.sum(candidate_logprobs > secret_logprob))
    return rank, math.log2(len(candidate_logprobs) + 1) - math.log2(rank)


# ---- scoring ----------------------------------------------------------------------------------------------------
def encode_candidates(tok: Any, canary: dict[str, Any], secrets: list[str]) -> tuple[list[int], list[list[int]]]:
    """(shared context ids, continuation ids per secret).

    Prompt and answer are tokenized apart, exactly as radtune.data.tokenize builds the training rows. The context is
    the prompt plus the answer tokens every secret shares (normally all tokens before the secret); the
    continuation is the rest up to the secret's last token (the frame's tail is left out)."""
    whole = canary["lead"] + canary["secret"] + canary["tail"]
    prompt, ans = split_prompt_answer(tok, [*canary["messages"], {"role": "assistant", "content": whole}])
    if not ans.startswith(canary["lead"] + canary["secret"]):
        raise RadtuneError("the chat template does not render the answer as its text: cannot locate the secret")
    rest = ans[len(canary["lead"]) + len(canary["secret"]) :]  # the tail and the end-of-turn token
    prompt_ids = tok(prompt, add_special_tokens=False)["input_ids"]
    enc = tok([canary["lead"] + s + rest for s in secrets], add_special_tokens=False, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    lead = len(canary["lead"])
    # a continuation ends with the last token that starts inside its secret
    ends = [sum(1 for a, _ in off if a < lead + len(s)) for s, off in zip(secrets, offsets, strict=True)]
    # the context never reaches into a secret: it stops before the first token that overlaps one
    shared = min(sum(1 for _, b in off if b <= lead) for off in offsets)
    first = ids[0]
    for row in ids[1:]:
        k = 0
        while k < shared and row[k] == first[k]:
            k += 1
        shared = k
    return prompt_ids + first[:shared], [row[shared:end] for row, end in zip(ids, ends, strict=True)]


def score_continuations(
    model: Any, context: list[int], conts: list[list[int]], batch_size: int
) -> tuple[np.ndarray, list[bool]]:
    """(sum of log P(continuation | context) per continuation, whether each one is the greedy continuation).

    The context runs once; continuations that differ only in their last token share one row (its last position
    scores all of their last tokens), and the context's cache is repeated over each batch of rows (right-padded;
    padding is masked and not scored). Greedy: the continuation's token is the most likely one at every position
    - what greedy decoding from the context reproduces, read from the same forward pass."""
    import torch

    device = next(model.parameters()).device
    rows: dict[tuple[int, ...], list[int]] = {}
    for i, c in enumerate(conts):
        if not c:
            raise RadtuneError("a candidate secret has no tokens")
        rows.setdefault(tuple(c[:-1]), []).append(i)
    keys = list(rows)
    scores = np.zeros(len(conts), dtype=np.float64)
    greedy = [False] * len(conts)
    with torch.inference_mode():
        first = model(input_ids=torch.tensor([context], device=device), use_cache=True)
        cache = first.past_key_values
        last = torch.log_softmax(first.logits[0, -1].float(), dim=-1)
        top = int(last.argmax())
        empty = [k for k in keys if not k]
        for k in empty:  # one-token continuations: the context's last position scores them
            for i in rows[k]:
                scores[i] = float(last[conts[i][-1]])
                greedy[i] = conts[i][-1] == top
        keys = [k for k in keys if k]
        for start in range(0, len(keys), batch_size):
            batch = keys[start : start + batch_size]
            width = max(len(k) for k in batch)
            ids = torch.zeros((len(batch), width), dtype=torch.long, device=device)
            mask = torch.zeros((len(batch), width), dtype=torch.long, device=device)
            for b, k in enumerate(batch):
                ids[b, : len(k)] = torch.tensor(k, device=device)
                mask[b, : len(k)] = 1
            kv = copy.deepcopy(cache)
            kv.batch_repeat_interleave(len(batch))
            full = torch.cat([torch.ones((len(batch), len(context)), dtype=torch.long, device=device), mask], 1)
            logits = model(input_ids=ids, attention_mask=full, past_key_values=kv, use_cache=True).logits.float()
            lse = torch.logsumexp(logits, -1)  # [rows, width]: normaliser at each position
            # log P of each row token after the first (position j scores token j + 1), and the first from the context
            inner = torch.gather(logits[:, :-1], 2, ids[:, 1:, None])[..., 0] - lse[:, :-1]
            prefix = last[ids[:, 0]] + (inner * mask[:, 1:]).sum(1)
            hits = torch.cat([(ids[:, :1] == top), logits[:, :-1].argmax(-1) == ids[:, 1:]], 1) | (mask == 0)
            prefix_greedy = hits.all(1)
            ends = mask.sum(1) - 1
            tail = logits[torch.arange(len(batch)), ends]  # the last position: every member's last token
            tail_lp = tail - lse[torch.arange(len(batch)), ends, None]
            tail_top = tail.argmax(-1)
            for b, k in enumerate(batch):
                for i in rows[k]:
                    scores[i] = float(prefix[b] + tail_lp[b, conts[i][-1]])
                    greedy[i] = bool(prefix_greedy[b]) and int(tail_top[b]) == conts[i][-1]
    return scores, greedy


def greedy_reproduces(model: Any, context: list[int], target: list[int]) -> bool:
    """Greedy decoding (model.generate) of len(target) tokens after the context gives exactly the target tokens."""
    import torch

    device = next(model.parameters()).device
    with torch.inference_mode():
        gen = model.generate(
            input_ids=torch.tensor([context], device=device),
            attention_mask=torch.ones((1, len(context)), dtype=torch.long, device=device),
            max_new_tokens=len(target),
            min_new_tokens=len(target),
            do_sample=False,
            num_beams=1,
        )
    return gen[0, len(context) :].tolist() == target


def audit_canary(model: Any, tok: Any, canary: dict[str, Any], n_candidates: int, batch_size: int) -> dict[str, Any]:
    """Exposure and extraction of one canary (no secret in the result)."""
    cands = sample_candidates(canary, n_candidates)
    context, conts = encode_candidates(tok, canary, [canary["secret"], *cands])
    scores, greedy = score_continuations(model, context, conts, batch_size)
    rank, exp = exposure(float(scores[0]), scores[1:])
    return {
        "id": canary["id"],
        "kind": canary["kind"],
        "repeats": int(canary["repeats"]),
        "rank": rank,
        "candidates": len(cands),
        "exposure": exp,
        "extracted": greedy[0],
        "secret_logprob": float(scores[0]),
        "candidate_logprob_median": float(np.median(scores[1:])),
    }


def summarise(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit table: per kind and repeat count (0: the controls), mean and max exposure, extractions."""
    cells: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in results:
        cells.setdefault((r["kind"], r["repeats"]), []).append(r)
    rows = []
    for (kind, repeats), rs in sorted(cells.items(), key=lambda kv: (list(KINDS).index(kv[0][0]), kv[0][1])):
        exps = [r["exposure"] for r in rs]
        extracted = sum(bool(r["extracted"]) for r in rs)
        rows.append(
            {
                "kind": kind,
                "repeats": repeats,
                "canaries": len(rs),
                # candidates actually scored (a date's last digit has fewer valid values; the secret is left out)
                "candidates": round(float(np.mean([r["candidates"] for r in rs]))),
                "space": KINDS[kind].space,
                "space_log2": log2_space(kind),
                "resolvable_max": max(math.log2(r["candidates"] + 1) for r in rs),
                "exposure_mean": float(np.mean(exps)),
                "exposure_max": float(np.max(exps)),
                "extracted": extracted,
                "extracted_share": extracted / len(rs),
            }
        )
    return rows


def audit(
    base: str | Path, finetuned: str | Path | None, canaries_path: str | Path, n_candidates: int, batch_size: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], float]:
    """(audit table rows, per-canary rows, seconds of scoring) of one model."""
    from radtune.evaluate.generate import load_model

    canaries = read_canaries(canaries_path)
    if not canaries:
        raise RadtuneError(f"{canaries_path} holds no canaries")
    t0 = time.perf_counter()
    model, tok = load_model(base, finetuned)
    log.info("model loaded in %.1f s", time.perf_counter() - t0)
    t0 = time.perf_counter()
    results = []
    for i, c in enumerate(canaries, start=1):
        results.append(audit_canary(model, tok, c, n_candidates, batch_size))
        dt = time.perf_counter() - t0
        log.info("canaries %d/%d scored (%.2f canaries/s, %.0f candidates/s)", i, len(canaries), i / dt,
                 i * (n_candidates + 1) / dt)  # fmt: skip
    return summarise(results), results, time.perf_counter() - t0


# ---- the check and the table ------------------------------------------------------------------------------------
def headline(variant: str, rows: list[dict[str, str]], max_exposure: float | None) -> dict[str, Any]:
    """One variant's headline figures from its audit table, and whether they pass privacy.max_exposure."""
    inserted = [r for r in rows if int(r["repeats"]) > 0]
    controls = [r for r in rows if int(r["repeats"]) == 0]
    if not inserted:
        raise RadtuneError(f"the audit table of {variant} has no inserted canaries")
    worst = max(inserted, key=lambda r: (float(r["exposure_max"]), int(r["repeats"])))
    top = max(int(r["repeats"]) for r in inserted)
    top_rows = [r for r in inserted if int(r["repeats"]) == top]
    n_ins = sum(int(r["canaries"]) for r in inserted)
    n_ctl = sum(int(r["canaries"]) for r in controls)
    out = {
        "variant": variant,
        "inserted": n_ins,
        "controls": n_ctl,
        "candidates": int(worst["candidates"]),
        "resolvable_max": float(worst["resolvable_max"]),
        "exposure_max": float(worst["exposure_max"]),
        "exposure_max_kind": worst["kind"],
        "exposure_max_repeats": int(worst["repeats"]),
        "exposure_mean_top_repeats": sum(float(r["exposure_mean"]) * int(r["canaries"]) for r in top_rows)
        / sum(int(r["canaries"]) for r in top_rows),
        "control_exposure_mean": sum(float(r["exposure_mean"]) * int(r["canaries"]) for r in controls) / n_ctl
        if n_ctl
        else None,
        "extracted": f"{sum(int(r['extracted']) for r in inserted)}/{n_ins}",
        "control_extracted": f"{sum(int(r['extracted']) for r in controls)}/{n_ctl}",
        "max_exposure": max_exposure,
        "status": "pass" if max_exposure is None or float(worst["exposure_max"]) <= max_exposure else "fail",
    }
    return out


def check(variant: str, audit_table: str | Path, max_exposure: float | None, output: str | Path) -> dict[str, Any]:
    """Write the variant's headline row; a max exposure over privacy.max_exposure is an error (nothing written)."""
    row = headline(variant, read_tsv(audit_table), max_exposure)
    if row["status"] == "fail":
        raise RadtuneError(
            f"privacy check: {variant}'s canaries reach an exposure of {row['exposure_max']:.2f} bits"
            f" ({row['exposure_max_kind']}, inserted {row['exposure_max_repeats']} times) > privacy.max_exposure"
            f" {max_exposure}: the model memorised secrets of its training data; not exported (see {audit_table})"
        )
    write_tsv(output, [row], CHECK_COLUMNS, decimals=3)
    log.info("%s: max exposure %.2f bits, extracted %s: pass", variant, row["exposure_max"], row["extracted"])
    return row


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    sub = ap.add_subparsers(dest="command", required=True)
    a = sub.add_parser("audit", help="exposure and extraction of a variant's canaries")
    a.add_argument("--base", required=True)
    a.add_argument("--finetuned", help="results/models/{variant} (none: the base model itself)")
    a.add_argument("--canaries", required=True)
    a.add_argument("--params", required=True, help="JSON: config['privacy']['canaries'] (candidates, batch_size)")
    a.add_argument("--output", required=True, help="results/privacy/{variant}.tsv")
    a.add_argument("--per-canary", required=True, help="results/privacy/{variant}.canaries.tsv")
    c = sub.add_parser("check", help="the headline row, against privacy.max_exposure")
    c.add_argument("--variant", required=True)
    c.add_argument("--audit", required=True)
    c.add_argument("--max-exposure", type=float)
    c.add_argument("--output", required=True)
    t = sub.add_parser("table", help="every variant's headline row in one table")
    t.add_argument("--inputs", nargs="+", required=True)
    t.add_argument("--output", required=True)
    args = ap.parse_args(argv)
    if args.command == "audit":
        p = json_arg(args.params, "--params")
        for what, folder in (("base model", args.base), ("fine-tuned model", args.finetuned)):
            if folder and not Path(folder).is_dir():
                raise RadtuneError(f"{what} folder {folder} does not exist")
        rows, per, seconds = audit(args.base, args.finetuned, args.canaries, int(p["candidates"]), int(p["batch_size"]))
        write_tsv(args.per_canary, per, CANARY_COLUMNS, decimals=4)
        write_tsv(args.output, rows, AUDIT_COLUMNS, decimals=3)
        log.info("audit: %d canaries x %d candidates scored in %.1f s", len(per), int(p["candidates"]), seconds)
    elif args.command == "check":
        check(args.variant, args.audit, args.max_exposure, args.output)
    else:
        rows = [r for path in args.inputs for r in read_tsv(path)]
        write_tsv(args.output, rows, CHECK_COLUMNS)


if __name__ == "__main__":
    run_main(main)
