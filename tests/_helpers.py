"""Test helpers shared by several test modules (fixtures are in conftest.py): chat records, a word-level
tokenizer, TSV reading, and Snakemake run as a subprocess with its dry-run output parsed."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]


# ---- data ------------------------------------------------------------------------------------------------------
def chat_records(n: int) -> list[dict]:
    """`n` chat examples (system, user, assistant) as results/data/*.jsonl holds them, of varied lengths."""
    out = []
    for i in range(n):
        words = " ".join(["liver", "spleen", "normal", "lesion", "kidney"][(i + j) % 5] for j in range(5 + 7 * (i % 6)))
        out.append(
            {
                "id": f"r{i}",
                "messages": [
                    {"role": "system", "content": "You are an expert radiologist."},
                    {"role": "user", "content": f"Findings: {words}."},
                    {"role": "assistant", "content": f"Impression: {words[: 10 + 3 * (i % 4)]}."},
                ],
            }
        )
    return out


def read_tsv(path: Path) -> list[dict[str, str]]:
    """Rows of a tab-separated file with a header (train_log.tsv, the audit tables)."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


# ---- a word-level tokenizer -------------------------------------------------------------------------------------
WORDS = "no acute findings mild effusion small nodule liver kidney normal stable impression chest ct".split()
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def word_tokenizer(eos: str = "<|im_end|>", endoftext: bool = False):
    """A small real tokenizer (word level over WORDS, ChatML specials) built in memory: no model hub, no GGUF parse.
    `endoftext` adds <|endoftext|> (as SmolLM2 has beside its end-of-turn <|im_end|>); `eos` names the eos token."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    specials = ["<|pad|>", "<|im_start|>", "<|im_end|>", *(["<|endoftext|>"] if endoftext else []), "<unk>"]
    vocab = {t: i for i, t in enumerate(specials + ["\n", ":", ".", "system", "user", "assistant", *WORDS])}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tk.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split("\n", "isolated"), pre_tokenizers.WhitespaceSplit()]
    )
    chat = ["<|im_start|>", "<|im_end|>", *(["<|endoftext|>"] if endoftext else [])]
    tok = PreTrainedTokenizerFast(
        tokenizer_object=tk, eos_token=eos, pad_token="<|pad|>", unk_token="<unk>",
        additional_special_tokens=[t for t in chat if t != eos],
    )  # fmt: skip
    tok.chat_template = CHAT_TEMPLATE
    return tok


# ---- Snakemake ---------------------------------------------------------------------------------------------------
def snakemake(
    workdir: Path,
    configfile: Path,
    *args: str,
    profile: str | None = "none",
    cores: int | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    """`snakemake *args` on the repository's Snakefile, run in `workdir` with `configfile`, output captured.
    Offline, the venv's tools first on PATH (the rules run `python`), no pseudonym key from the environment.
    `profile`: the workflow profile ("none": none; None: Snakemake's default, profiles/default)."""
    cmd = [sys.executable, "-m", "snakemake", *args, "-s", str(ROOT / "Snakefile"), "--directory", str(workdir)]
    cmd += ["--configfile", str(configfile)]
    if profile is not None:
        cmd += ["--workflow-profile", profile]
    if cores is not None:
        cmd += ["--cores", str(cores)]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PATH": path}
    env.pop("RADTUNE_PSEUDONYM_KEY", None)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)


class PlannedJob(NamedTuple):
    rule: str
    wildcards: str  # as printed, e.g. "base=tiny, split=train"; "" without wildcards
    text: str  # the job's block of the dry-run output (input:, output:, shell command, ...)


def planned_jobs(dry_run_output: str) -> list[PlannedJob]:
    """The jobs a dry run (`-n`) plans, in order. Each job's block starts with a `[date]` line (indented inside a
    group job), then `rule <name>:` (`localrule` for local rules), then its fields."""
    jobs = []
    for block in re.split(r"^[ \t]*\[[^\]\n]*\].*$", dry_run_output, flags=re.M):
        rules = re.findall(r"^\s*(?:local)?rule (\w+):", block, re.M)
        assert len(rules) <= 1, f"one job per [date] block expected, found rules {rules}: has the output changed?"
        if rules:
            wildcards = re.search(r"^\s+wildcards: (.*)$", block, re.M)
            jobs.append(PlannedJob(rules[0], wildcards.group(1) if wildcards else "", block))
    return jobs
