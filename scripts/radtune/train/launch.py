"""How a training run is launched: one process, torchrun on one node, or srun + torchrun across SLURM nodes.
Kept apart from the training code (and light to import: the workflow renders the launch in its dry run)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any


def cpu_ranks(spec: dict[str, Any]) -> int:
    """Processes a run on CPU uses: `cpu_ranks` of the variant for method full (ZeRO-3 over gloo), else 1."""
    return max(1, int(spec["cpu_ranks"])) if spec["method"] == "full" else 1


def distributed_command(argv: list[str], nproc: int, nnodes: int = 1, head: str = "", job_id: str = "0") -> list[str]:
    """torchrun command that reruns this module as `nproc` processes per node. One node: torchrun --standalone
    (a free local port). Several SLURM nodes: srun starts one torchrun per node of the job (a new step
    overlapping the job's own), and they meet at a c10d rendezvous on the first node (`head`), keyed by the
    job id; torchrun numbers the ranks node by node."""
    cmd = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}"]
    if nnodes <= 1:
        return [*cmd, "--standalone", "-m", "radtune.train.run", *argv]
    srun = ["srun", f"--nodes={nnodes}", f"--ntasks={nnodes}", "--ntasks-per-node=1", "--overlap"]
    cmd = [*srun, "--kill-on-bad-exit=1", *cmd, f"--nnodes={nnodes}"]
    cmd += ["--rdzv_backend=c10d", f"--rdzv_endpoint={head}:29500", f"--rdzv_id={job_id}"]
    return [*cmd, "-m", "radtune.train.run", *argv]


def launch_preview(spec: dict[str, Any]) -> str:
    """The launch a variant gets on SLURM, for the dry run and the log (host and job id known only at run time)."""
    nnodes, gpus = int(spec["nodes"]), int(spec["gpus"])
    if nnodes > 1:
        cmd = distributed_command(["..."], max(gpus, 1), nnodes, "$FIRST_NODE", "$SLURM_JOB_ID")
    elif gpus > 1 or spec["method"] == "full":
        cmd = distributed_command(["..."], max(gpus, 1) if gpus else cpu_ranks(spec))
    else:
        return "one process: python -m radtune.train.run ..."
    return " ".join(["python" if c == sys.executable else c for c in cmd])


def slurm_head_node() -> str:
    """First host of this SLURM job (the rendezvous host)."""
    return subprocess.run(
        ["scontrol", "show", "hostnames", os.environ["SLURM_JOB_NODELIST"]], capture_output=True, text=True, check=True
    ).stdout.split()[0]
