"""A run's checkpoint folder: which checkpoint a rerun resumes (complete ones of the same run only), what makes
checkpoints resumable (run_key, content_fingerprint), and the finished output waiting beside them (DONE_DIR)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from radtune.core.common import stable_hash
from radtune.core.tracking import RUN_ID_FILE

log = logging.getLogger("radtune.train.run")  # the run's logger: log lines name radtune.train.run as before

COMPLETE_MARKER = "radtune_complete"  # written into a checkpoint folder only after the Trainer finished saving it
RUN_FILE = "radtune_run.json"  # what the checkpoints in a folder were trained from (resume only if it matches)
# A finished output whose run was signalled (SLURM's warning also stops the job step that would report it):
# kept beside the checkpoints and delivered by the rerun, which trains nothing.
DONE_DIR = "done"


def run_key(
    spec: dict[str, Any], recipe: dict[str, Any], lora: dict[str, Any], train_fp: str, seed: int, content: str = ""
) -> str:
    """What makes checkpoints resumable: the same variant entry, recipe, tokenization, seed and data content."""
    return stable_hash(json.dumps([spec, recipe, lora, train_fp, seed, content], sort_keys=True, default=str))


def content_fingerprint(*dataset_dirs: str | os.PathLike) -> str:
    """sha256 of the examples of tokenized/packed dataset folders (their Arrow files, in name order): other
    training examples under the same tokenizer and length (new reports, another filter or split) give another
    fingerprint, so checkpoints of the old data are never resumed. Reads every byte once (~1 GB/s)."""
    digest = hashlib.sha256()
    for folder in dataset_dirs:
        for path in sorted(Path(folder).glob("*.arrow")):
            digest.update(path.name.encode())
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def latest_complete_checkpoint(folder: str | os.PathLike) -> Path | None:
    """Newest checkpoint-N with the completion marker (a checkpoint cut off mid-save is ignored)."""
    folder = Path(folder)
    done = [p for p in folder.glob("checkpoint-*") if (p / COMPLETE_MARKER).exists() and p.name[11:].isdigit()]
    return max(done, key=lambda p: int(p.name[11:]), default=None)


def prepare_checkpoints(folder: Path, key: str) -> Path | None:
    """Return the checkpoint to resume from; wipe checkpoints of a different run (other recipe/data/seed)."""
    folder.mkdir(parents=True, exist_ok=True)
    run_file = folder / RUN_FILE
    if run_file.exists() and json.loads(run_file.read_text()).get("key") != key:
        log.warning("checkpoints in %s are from a different recipe/data/seed: starting over", folder)
        for p in [*folder.glob("checkpoint-*"), folder / DONE_DIR]:
            shutil.rmtree(p, ignore_errors=True)
        (folder / RUN_ID_FILE).unlink(missing_ok=True)  # the tracker run of the old training: a new run starts
    run_file.write_text(json.dumps({"key": key}) + "\n")
    return latest_complete_checkpoint(folder)
