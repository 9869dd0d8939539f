"""How a training run is launched: one process, torchrun on one node, or srun + torchrun across SLURM nodes, and
the launching process that passes SLURM's signals on to the ranks and turns their outcome into its exit status.
Kept apart from the training code (and light to import: the workflow renders the launch in its dry run)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from radtune.core.common import RadtuneError
from radtune.train.preemption import EXIT_CHECKPOINTED


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


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def run_distributed(cmd: list[str], output: str, env: dict[str, str]) -> None:
    """Run the per-rank processes (torchrun) and turn their outcome into this process's exit.

    torchrun runs with SIGUSR1 ignored (it would die of it); a SIGUSR1/SIGTERM sent to this process
    (SLURM's warning before the time limit) is passed on as SIGUSR1 to every process below it, which the
    ranks catch: they finish the step, save a complete checkpoint together and exit. Then this process
    exits EXIT_CHECKPOINTED: rerunning resumes."""
    got: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        got.append(signum)
        for pid in descendants(proc.pid):  # torchrun starts each rank in a session of its own
            try:
                os.kill(pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass

    def ignore_usr1() -> None:
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)

    proc = subprocess.Popen(cmd, env=env, start_new_session=True, preexec_fn=ignore_usr1)
    old = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGUSR1)}
    try:
        rc = proc.wait()
    finally:
        for s, h in old.items():
            signal.signal(s, h)
    if rc == 0 and Path(output).is_dir():
        return
    if rc == 0 or got:  # the ranks stopped on a signal (theirs or ours) after checkpointing
        print(
            f"radtune: stopped by a signal; checkpoint saved, rerun to resume (exit {EXIT_CHECKPOINTED})",
            file=sys.stderr,
        )
        sys.exit(EXIT_CHECKPOINTED)
    raise RadtuneError(f"distributed training exited with status {rc}")
