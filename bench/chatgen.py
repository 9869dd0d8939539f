"""Synthetic radiology-style chat JSONL (docs/data-formats.md records) for the benches; no real patient text."""

from __future__ import annotations

import json
import random
from pathlib import Path

ORGANS = ["liver", "spleen", "pancreas", "kidneys", "gallbladder", "lungs", "heart", "aorta", "bladder", "bowel"]
FINDINGS = [
    "is normal in size and attenuation",
    "shows no focal lesion",
    "demonstrates a small hypodense lesion, likely a cyst",
    "is unremarkable",
    "shows mild diffuse fatty infiltration",
    "contains a 4 mm nonobstructing calculus",
    "shows scattered atelectasis",
    "is within normal limits",
]


def make_records(n: int, seed: int = 0) -> list[dict]:
    """n chat records with findings of 2-12 sentences and a short impression."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        sents = [f"The {rng.choice(ORGANS)} {rng.choice(FINDINGS)}." for _ in range(rng.randint(2, 12))]
        findings = " ".join(sents)
        impression = " ".join(rng.sample(sents, k=min(len(sents), rng.randint(1, 3))))
        out.append(
            {
                "id": f"synth-{i}",
                "dataset": "synth",
                "task": "impression",
                "group": "CT",
                "messages": [
                    {"role": "system", "content": "You are an expert radiologist."},
                    {"role": "user", "content": f"Summarize the findings into an impression.\n\n{findings}"},
                    {"role": "assistant", "content": f"Impression: {impression}"},
                ],
                "reference": impression,
                "input_text": findings,
                "template": 0,
                "prepend": "Impression:",
            }
        )
    return out


def write_records(path: str | Path, n: int, seed: int = 0) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for r in make_records(n, seed):
            fh.write(json.dumps(r) + "\n")
    return path
