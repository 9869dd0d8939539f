"""Experiment tracking, offline (config `tracking:`): the trainer's report_to, a variant's MLflow run (params,
loss curve, eval loss) and the rows of eval.tsv logged into the same runs, or TensorBoard event files. Only
configuration, fingerprints and numbers are logged, never report text (no datasets, no artifacts, no samples)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
from pathlib import Path
from typing import Any

from radtune.core.common import InputError, RadtuneError, atomic_path, json_arg, run_main
from radtune.core.formats import read_tsv

log = logging.getLogger("radtune.core.tracking")

BACKENDS = ("mlflow", "tensorboard", "none")
DEFAULT_DIRS = {"mlflow": "results/mlruns", "tensorboard": "results/tensorboard"}
RUN_ID_FILE = "mlflow_run_id"  # in the variant's checkpoint folder: a resumed training continues its run
MAX_PARAM_CHARS = 250  # MLflow's limit on a param value


def report_to(recipe_fields: dict[str, Any], tracking: dict[str, Any] | None) -> list[str]:
    """The trainer's report_to: the recipe's own when it sets one (honoured as written), else the tracking backend."""
    if "report_to" in recipe_fields:
        value = recipe_fields["report_to"]
        value = [value] if isinstance(value, str) else list(value or [])
        return [v for v in value if v != "none"]
    backend = (tracking or {}).get("backend", "none")
    return [] if backend == "none" else [backend]


def store_location(tracking: dict[str, Any], backend: str) -> str:
    """Where runs go: tracking.uri (an MLflow server, or a folder), else results/mlruns or results/tensorboard;
    a folder as an absolute path (MLflow: a file: URI), so that jobs on any node of a shared file system agree."""
    uri = tracking.get("uri") or DEFAULT_DIRS[backend]
    if "://" in uri or uri.startswith("file:"):
        return uri
    path = Path(uri).expanduser().resolve()
    return path.as_uri() if backend == "mlflow" else str(path)


def git_commit(folder: str | Path | None = None) -> str:
    """The commit of the workflow's checkout (with "+dirty" for uncommitted changes), or "unknown"."""
    folder = Path(folder) if folder else Path(__file__).resolve().parents[3]
    try:
        head = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True, text=True)
        if head.returncode:
            return "unknown"
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True)  # fmt: skip
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def _mlflow(uri: str, experiment: str) -> Any:
    # no background logging threads or system metrics; the trainer's callback logs no artifacts
    os.environ["HF_MLFLOW_LOG_ARTIFACTS"] = "FALSE"
    os.environ.setdefault("MLFLOW_ENABLE_SYSTEM_METRICS_LOGGING", "false")
    # MLflow 3 keeps its folder store (in maintenance mode) behind this switch; a database store needs the full
    # mlflow package and a server needs a server: the folder is what works offline with the client alone
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment)
    return mlflow


def _params(values: dict[str, Any]) -> dict[str, str]:
    out = {}
    for k, v in values.items():
        text = v if isinstance(v, str) else json.dumps(v, sort_keys=True, default=str)
        out[k] = text[:MAX_PARAM_CHARS]
    return out


def start_training(tracking: dict[str, Any], variant: str, checkpoints: str | Path, params: dict[str, Any],
                   backends: list[str]) -> dict[str, Any] | None:  # fmt: skip
    """Before the trainer starts (rank 0): open the variant's MLflow run - the one a stopped job started, when it
    resumes - with radtune's params, or point TensorBoard at results/tensorboard/<variant>. Returns what
    radtune_variant.json records (backend, where, run id), or None without a tracker."""
    info: dict[str, Any] | None = None
    if "tensorboard" in backends:
        folder = Path(store_location(tracking, "tensorboard")) / variant
        os.environ["TENSORBOARD_LOGGING_DIR"] = str(folder)
        info = {"backend": "tensorboard", "location": str(folder)}
    if "mlflow" in backends:
        uri = store_location(tracking, "mlflow")
        experiment = tracking.get("experiment", "radtune")
        mlflow = _mlflow(uri, experiment)
        id_file = Path(checkpoints) / RUN_ID_FILE
        run_id = id_file.read_text().strip() if id_file.exists() else None
        try:
            run = mlflow.start_run(run_id=run_id) if run_id else None
        except Exception:  # noqa: BLE001 - the run is gone (another store): start a new one
            log.warning("MLflow run %s of the checkpoints is not in %s: starting a new run", run_id, uri)
            run = None
        if run is None:
            run = mlflow.start_run(run_name=variant, tags={"radtune.model": variant, "radtune.kind": "variant"})
            Path(checkpoints).mkdir(parents=True, exist_ok=True)
            id_file.write_text(run.info.run_id + "\n")
            mlflow.log_params(_params(params))
        log.info("MLflow run %s (experiment %s) in %s", run.info.run_id, experiment, uri)
        info = {"backend": "mlflow", "location": uri, "experiment": experiment, "run_id": run.info.run_id}
    return info


def end_training(info: dict[str, Any] | None, finished: bool) -> None:
    """Close the variant's MLflow run: FINISHED, or KILLED when the job stopped on a signal (a rerun resumes it)."""
    if info and info["backend"] == "mlflow":
        import mlflow

        mlflow.end_run(status="FINISHED" if finished else "KILLED")


# ---- the rows of eval.tsv into the runs ------------------------------------------------------------------------


def read_eval(path: str | Path) -> list[dict[str, str]]:
    try:
        rows = read_tsv(path)
    except OSError as exc:
        raise InputError(path, f"cannot read ({type(exc).__name__})") from None
    for i, row in enumerate(rows, start=2):
        for col in ("model", "task"):
            if not row.get(col):
                raise InputError(path, "missing value", line=i, column=col)
    return rows


def eval_metrics(rows: list[dict[str, str]]) -> dict[str, float]:
    """eval.<task>.<column> -> value for every numeric cell of a model's rows."""
    out = {}
    for row in rows:
        for col, value in row.items():
            if col in ("model", "task", "kind") or value in ("", None):
                continue
            try:
                out[f"eval.{row['task']}.{col}"] = float(value)
            except ValueError:
                continue
    return out


def log_eval(
    eval_tsv: str | Path,
    model_dirs: dict[str, str],
    kinds: dict[str, str],
    tracking: dict[str, Any],
    output: str | Path,
) -> dict[str, str]:
    """Log each model's rows of eval.tsv: into the variant's own training run (its radtune_variant.json names it),
    and for the base model(s) and baselines into one run each, found again by its tags on a rerun, so that the
    tracker shows base, variants and baselines side by side. Writes `output` (model -> run id or folder)."""
    rows = read_eval(eval_tsv)
    by_model: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_model.setdefault(row["model"], []).append(row)
    backend = tracking["backend"]
    logged: dict[str, str] = {}
    if backend == "mlflow":
        uri = store_location(tracking, "mlflow")
        experiment = tracking.get("experiment", "radtune")
        mlflow = _mlflow(uri, experiment)
        for model, model_rows in by_model.items():
            kind = kinds.get(model, "baseline").split(":", 1)[0]
            run_id = None
            if model in model_dirs:
                meta = json.loads((Path(model_dirs[model]) / "radtune_variant.json").read_text())
                track = meta.get("tracking") or {}
                if track.get("backend") == "mlflow" and track.get("location") == uri:
                    run_id = track["run_id"]
            if run_id is None:  # the base model, a baseline, or a variant trained with another tracker: own run
                found = mlflow.search_runs(
                    filter_string=f"tags.`radtune.model` = '{model}' and tags.`radtune.kind` = '{kind}'",
                    output_format="list",
                    max_results=1,
                )
                run_id = found[0].info.run_id if found else None
            with mlflow.start_run(run_id=run_id, run_name=None if run_id else model) as run:
                mlflow.set_tags({"radtune.model": model, "radtune.kind": kind})
                mlflow.log_metrics(eval_metrics(model_rows))
                logged[model] = run.info.run_id
        where = uri
    elif backend == "tensorboard":
        from tensorboardX import SummaryWriter

        where = store_location(tracking, "tensorboard")
        for model, model_rows in by_model.items():
            folder = Path(where) / model / "eval"
            with SummaryWriter(logdir=str(folder)) as writer:
                for name, value in eval_metrics(model_rows).items():
                    writer.add_scalar(name.replace(".", "/"), value, 0)
            logged[model] = str(folder)
    else:
        raise RadtuneError("tracking.backend is none: nothing to log")
    with atomic_path(output) as tmp:
        tmp.write_text(json.dumps({"backend": backend, "location": where, "runs": logged}, indent=1) + "\n")
    log.info("logged the eval rows of %d models to %s (%s)", len(logged), where, backend)
    return logged


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m radtune.core.tracking", description=__doc__)
    ap.add_argument("--eval", required=True, help="results/eval.tsv")
    ap.add_argument("--models", nargs="*", default=[], help="results/models/<variant> folders")
    ap.add_argument("--kinds", required=True, help="JSON: model -> base | variant:<base> | baseline")
    ap.add_argument("--params", required=True, help="JSON: config['tracking']")
    ap.add_argument("--output", required=True)
    a = ap.parse_args(argv)
    models = {Path(m).name: m for m in a.models}
    log_eval(a.eval, models, json_arg(a.kinds, "--kinds"), json_arg(a.params, "--params"), a.output)


if __name__ == "__main__":
    run_main(main)
