"""Bench: how long `snakemake -n` takes to plan the workflow with 1,000 de-identification shards vs the demo's 4.

Both runs include Snakemake's start-up, which can be seconds on its own: the SLURM executor plugin probes
`sacct` when it is imported, and waits when no SLURM daemon answers. The increment between the two runs is
the workflow's own cost of planning the extra shards.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def plan(shards: int) -> tuple[float, int]:
    """Seconds for a dry-run of results/eval.tsv with `shards` pieces per CSV, and the planned job count.

    Planned from an empty working directory (config and data linked in), so existing results don't matter.
    """
    work = Path(tempfile.mkdtemp(prefix="radtune-plan-"))
    for name in ("config", "data"):
        (work / name).symlink_to(ROOT / name)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-n", "results/eval.tsv",
           "--workflow-profile", "none", "--config", f"shards={shards}"]  # fmt: skip
    t0 = time.perf_counter()
    run = subprocess.run(cmd, cwd=work, capture_output=True, text=True, check=True)
    dt = time.perf_counter() - t0
    total = re.search(r"^total\s+(\d+)", run.stdout + run.stderr, re.M)
    return dt, int(total.group(1)) if total else -1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shards", type=int, default=1000)
    args = ap.parse_args()
    base_s, base_jobs = plan(4)
    big_s, big_jobs = plan(args.shards)
    print(f"baseline: shards=4      {base_jobs:6d} jobs planned in {base_s:5.1f} s")
    print(f"large:    shards={args.shards:<6d} {big_jobs:6d} jobs planned in {big_s:5.1f} s")
    print(f"increment for {big_jobs - base_jobs} more jobs: {big_s - base_s:.1f} s")
    print(
        f"SUMMARY plan_speed: {big_jobs} jobs planned in {big_s:.1f} s vs {base_jobs} in {base_s:.1f} s "
        f"(start-up included) = {big_s / base_s:.2f}x the time for {big_jobs / base_jobs:.0f}x the jobs; "
        f"+{big_s - base_s:.1f} s for the extra shards"
    )


if __name__ == "__main__":
    main()
