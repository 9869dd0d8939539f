"""The exported model's card (README.md of results/export/<variant>/): what the model is, how it was trained, how it
scored against its base and the strongest baseline (with the collapse diagnostics), de-identification, memorisation
audit, the export check, and how to use it."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from radtune.core.formats import read_tsv
from radtune.core.tasks import TASKS
from radtune.evaluate.ranking import DIAGNOSTIC_COLUMNS, NOVEL, best_baseline

# eval.tsv columns the card shows (value [lo, hi] where the table has a CI); empty ones are left out
CARD_METRICS = (
    "n", "rouge1", "rouge2", "rouge_l", "bertscore_f1", "accuracy", "macro_f1", "similarity", "judge_score",
    "p_vs_base", "p_vs_best_baseline",
)  # fmt: skip
# the second table: the collapse diagnostics, and the novel-subset columns
CARD_DIAGNOSTICS = tuple(DIAGNOSTIC_COLUMNS)
NOVEL_METRICS = ("n", "rouge_l", "accuracy", "macro_f1")  # novel_<these>; empty ones are left out
DIAGNOSTICS_NOTE = (
    "distinct_share: share of distinct predictions (low: the model says the same few things); constant_share: share"
    " equal to the constant baseline's answer; copied_train_share: share copied verbatim from a training output;"
    " placeholder_rate: share with a de-identification placeholder; length_ratio: mean prediction/reference length."
    " novel: the test examples whose reference is not itself a training output."
)
SIGNIFICANCE = 0.05  # the card calls a variant better than the strongest baseline when its paired p is below this
METRIC_NAMES = {"rouge_l": "ROUGE-L", "rouge1": "ROUGE-1", "rouge2": "ROUGE-2"}
# radtune_variant.json facts of the training run the card lists (those present)
RUN_FACTS = ("global_step", "first_loss", "final_loss", "final_eval_loss", "seed", "max_seq_len", "packing", "device")


# ---- the model card ---------------------------------------------------------------------------------
def _mtime(path: Path) -> str:
    return datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _cell(r: dict[str, str], c: str) -> str:
    v = r.get(c, "")
    lo, hi = r.get(f"{c}_lo", ""), r.get(f"{c}_hi", "")
    return f"{v} [{lo}, {hi}]" if v and lo and hi else v or "-"


def _table(rows: list[dict[str, str]], wanted: tuple[str, ...] | list[str]) -> list[str]:
    """A markdown table of `rows` with the `wanted` columns some row fills (empty: no table)."""
    cols = [c for c in wanted if any(r.get(c, "") != "" for r in rows)]
    if not cols:
        return []
    return [
        "| model | kind | task | " + " | ".join(cols) + " |",
        "|---|---|---|" + "---|" * len(cols),
        *("| " + " | ".join([r["model"], r.get("kind", ""), r.get("task", ""), *(_cell(r, c) for c in cols)]) + " |"
          for r in rows),
    ]  # fmt: skip


def strongest_baseline(rows: list[dict[str, str]], task: str, group: str = "") -> dict[str, str] | None:
    """The baseline row of eval.tsv that the task's p_vs_best_baseline was computed against: the same choice
    (radtune.evaluate.table.best_baseline) on the task's main metric, as the table rounds it."""
    if task not in TASKS:
        return None
    metric = TASKS[task].main_metric
    cands = {
        r["model"]: r
        for r in rows
        if r.get("kind") == "baseline"
        and r.get("task") == task
        and r.get("group", "") == group
        and _float(r.get(metric)) is not None
    }
    name = best_baseline({m: float(r[metric]) for m, r in cands.items()})
    return cands[name] if name is not None else None


def versus_baseline(v: dict[str, str], b: dict[str, str] | None) -> str:
    """One line: how far ahead of or behind the strongest baseline the variant is on the task's main metric."""
    task = v.get("task", "")
    if b is None or task not in TASKS:
        return f"- {task}: no baseline was evaluated on this task; {v['model']} is not compared with one."
    metric = TASKS[task].main_metric
    name = METRIC_NAMES.get(metric, metric)
    x, y, p = _float(v.get(metric)), float(b[metric]), _float(v.get("p_vs_best_baseline"))
    if x is None:
        return f"- {task}: {v['model']} has no {name} in the table; not compared with {b['model']}."
    gap = x - y
    if gap < 0:
        verdict = "behind the strongest baseline, not better than it"
    elif gap == 0:
        verdict = "level with the strongest baseline, not better than it"
    elif p is not None and p < SIGNIFICANCE:
        verdict = f"better than the strongest baseline (p < {SIGNIFICANCE:g})"
    else:
        verdict = f"ahead, but not significantly (p >= {SIGNIFICANCE:g}): not shown better than the strongest baseline"
    ptext = "paired p not computed" if p is None else f"paired p = {p:.4f}"
    line = f"- {task}: {v['model']} {name} {x:.4f} vs {b['model']} {y:.4f} ({gap:+.4f}; {ptext}): {verdict}."
    nx, ny = _float(v.get(f"{NOVEL}{metric}")), _float(b.get(f"{NOVEL}{metric}"))
    if nx is not None and ny is not None:
        line += f" On the {v.get(f'{NOVEL}n')} novel examples: {nx:.4f} vs {ny:.4f} ({nx - ny:+.4f})."
    return line


def eval_section(eval_table: Path | None, variant: str, base_name: str | None, model_dir: Path, method: str) -> list:
    """The card's evaluation lines, per task: the variant's row of eval.tsv, its base's and the strongest
    baseline's, how far the variant is from that baseline, and the three rows' collapse diagnostics and novel-subset
    figures; when the table exists and is newer than the model (export does not wait for evaluation)."""
    lines = ["## Evaluation", ""]
    if eval_table is None or not eval_table.exists():
        return lines + [
            f"Not evaluated when this export was made ({eval_table or 'no eval table given'} did not exist). Run the"
            f" workflow (`snakemake`), then re-export (`snakemake --forcerun export results/export/{variant}/`).",
            "",
        ]
    if eval_table.stat().st_mtime < (model_dir / "radtune_variant.json").stat().st_mtime:
        return lines + [
            f"{eval_table} ({_mtime(eval_table)}) is older than this model"
            f" ({_mtime(model_dir / 'radtune_variant.json')}): its figures are not this model's and are left out."
            " Rerun the evaluation, then re-export.",
            "",
        ]
    rows = read_tsv(eval_table)
    mine = [r for r in rows if r.get("model") == variant]
    if not mine:
        return lines + [f"{eval_table} has no rows for {variant}.", ""]
    shown, versus = [], []
    for v in mine:
        task, group = v.get("task", ""), v.get("group", "")
        same = [r for r in rows if r.get("task") == task and r.get("group", "") == group]
        best = strongest_baseline(rows, task, group)
        shown += [v, *(r for r in same if base_name and r.get("model") == base_name and r.get("kind") == "base")]
        shown += [best] if best else []
        versus.append(versus_baseline(v, best))
    lines += [
        f"From `{eval_table}` ({_mtime(eval_table)}; 95% bootstrap intervals in brackets), per task the variant, its"
        " base model and the strongest baseline (the highest main metric; the one `p_vs_best_baseline` is computed"
        ' against). p-values are one-sided paired bootstrap p for "this model is better" on the task\'s main metric.'
        " The export does not rerun when the table changes: re-export to refresh these figures.",
        "",
        *_table(shown, CARD_METRICS),
        "",
        "Against the strongest baseline:",
        "",
        *versus,
    ]
    diagnostics = _table(shown, [*CARD_DIAGNOSTICS, *(f"{NOVEL}{m}" for m in NOVEL_METRICS)])
    if diagnostics:
        lines += ["", "Collapse diagnostics and the novel subset:", "", *diagnostics, "", DIAGNOSTICS_NOTE]
    else:
        lines += ["", f"{eval_table} carries no collapse diagnostics (it was written before they existed)."]
    if method == "qlora":
        lines += ["", "These figures were measured on the adapter over the 4-bit NF4 base (as trained), not on"
                  " this merged export; see the export check for how often the two agree."]  # fmt: skip
    return [*lines, ""]


def deid_section(quality: Path | None) -> list[str]:
    """De-identification figures of the training data's configuration (results/deid/quality.tsv)."""
    lines = ["## De-identification", ""]
    lines.append(
        "Every free-text field was de-identified (Presidio with a spaCy pipeline plus radtune's radiology"
        " recognizers; typed placeholders such as `<PERSON>`) before any training example was built."
    )
    if quality is None or not quality.exists():
        return [*lines, "", "The quality check's figures (results/deid/quality.tsv) were not available.", ""]
    rows = read_tsv(quality)
    lines += [
        "",
        "Quality check of that configuration on two corpora with planted identifiers"
        f" (`{quality}`, {_mtime(quality)}):",
        "",
        "| corpus | recall (found / planted) | identifiers surviving | precision | over-redacted words |",
        "|---|---|---|---|---|",
    ]
    for corpus in dict.fromkeys(r["corpus"] for r in rows):
        by = {r["kind"]: r for r in rows if r["corpus"] == corpus}
        o, p, w = by.get("overall", {}), by.get("precision", {}), by.get("over_redaction", {})
        lines.append(
            f"| {corpus} | {o.get('recall', '-')} ({o.get('found', '-')} / {o.get('planted', '-')}) |"
            f" {o.get('survived', '-')} | {p.get('recall', '-')} | {w.get('recall', '-')} |"
        )
    low = [f"{r['corpus']} {r['kind']} {r['recall']}" for r in rows if r["kind"] not in ("overall", "precision",
           "over_redaction") and r["recall"] and float(r["recall"]) < 0.95]  # fmt: skip
    if low:
        lines += ["", "Kinds recalled below 0.95: " + ", ".join(low) + "."]
    lines += ["", "De-identification lowers the risk of re-identification; it does not remove it (README)."]
    return [*lines, ""]


def privacy_section(audit: Path | None, check: Path | None) -> list[str]:
    """The memorisation audit of the variant (results/privacy/<variant>.tsv and its check), when it ran."""
    if audit is None or check is None:
        return []
    lines = ["## Memorisation audit", ""]
    if not (audit.exists() and check.exists()):
        return [*lines, f"The audit's figures ({audit}, {check}) were not available.", ""]
    (head,) = read_tsv(check)
    rows = read_tsv(audit)
    limit = head.get("max_exposure") or "none set"
    lines += [
        "Canaries (fake identifiers in report frames, drawn under the pseudonym key) were inserted into the train"
        " split 1 or more times; controls never were. Exposure (bits; Carlini et al. 2019) is how much more likely"
        f" the model finds a secret than random candidates of its format, resolved up to {head['resolvable_max']}"
        " bits by the candidates scored; a never-seen secret scores 1 bit at the median. Extracted: greedy decoding"
        f" from the secret's prefix reproduced it (`{audit}`, {_mtime(audit)}).",
        "",
        "| kind | inserted (times) | canaries | exposure mean | exposure max | extracted |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['kind']} | {r['repeats'] if r['repeats'] != '0' else 'never (control)'} | {r['canaries']} |"
        f" {r['exposure_mean']} | {r['exposure_max']} | {r['extracted']}/{r['canaries']} |"
        for r in rows
    ]
    lines += [
        "",
        f"Highest exposure of an inserted canary: {head['exposure_max']} bits ({head['exposure_max_kind']}, inserted"
        f" {head['exposure_max_repeats']} times); controls {head['control_exposure_mean']} on average; extracted"
        f" {head['extracted']} (controls {head['control_extracted']}). Limit (privacy.max_exposure): {limit};"
        f" check: **{head['status']}**.",
        "",
        "An identifier that slipped through de-identification and appears in as many training reports carries about"
        " that risk. The audit does not prove that the model leaks nothing else (README).",
        "",
    ]
    return lines


def _pairs(d: dict[str, Any]) -> str:
    return ", ".join(f"{k}={f'{v:.4g}' if isinstance(v, float) else v}" for k, v in sorted(d.items()))


# A retrieval variant answers the prompts it was trained and evaluated on only when they show its neighbours.
RETRIEVAL_LIMITS = (
    "- Retrieval-augmented prompts: trained and evaluated with the most similar train reports (findings and"
    " impression) shown before the report (`radtune.data.retrieval`, the run's `instructions.retrieval`)."
    " A server must build the same prompts, as radtune's batch predictions do (`results/predict/`); without them"
    " it answers prompts it was neither trained nor evaluated on. The train reports are not part of this"
    " export (de-identified patient text): keep them, and the index, inside the institution.",
)


def model_card(
    facts: dict[str, Any],
    meta: dict[str, Any],
    eval_lines: list[str],
    deid_lines: list[str],
    privacy_lines: list[str] | None = None,
) -> str:
    variant, method, check = facts["variant"], meta["method"], facts["check"]
    base = facts["base"]
    source = base.get("source")
    src = ", ".join(f"{k} `{v}`" for k, v in sorted(source.items())) if source else f"`{base['folder']}`"
    merge = {
        "lora": "the LoRA adapter merged into the base weights",
        "qlora": "the QLoRA adapter merged into the base in full precision (not into the 4-bit NF4 base it was"
        " trained on, which would fix the quantization error into the weights)",
        "full": "the full fine-tune's weights, re-saved",
    }[method]
    lora = meta.get("lora") or {}
    recipe_fields = meta.get("recipe_fields") or {}
    lines = [
        "---",
        "library_name: transformers",
        "pipeline_tag: text-generation",
        f"tags: [radtune, radiology, {method}]",
        "---",
        "",
        f"# radtune-{variant}",
        "",
        f"Variant `{variant}` of radtune: base model **{base['name']}** ({src}), fine-tuned with {method} on"
        f" de-identified radiology reports; {merge}. Weights: {facts['dtype']} safetensors"
        f" ({facts['shards']} file(s)). Exported {facts['exported_at']}.",
        "",
        "## Intended use and limits",
        "",
        "- Research only: drafting radiology text (e.g. an impression from findings) to study fine-tuning.",
        "- Every draft needs review by a radiologist; it may omit findings, state conclusions the findings do"
        " not support, or repeat patterns of its training data.",
        "- Trained on de-identified reports; keep the model inside the institution whose data it was trained on"
        " (a model can memorise training text).",
        "- Not a medical device: not validated for clinical use or for any decision about a patient.",
        *RETRIEVAL_LIMITS * bool(facts.get("retrieval")),
        "",
        "## Training",
        "",
        f"- Base model: {base['name']} ({src}" + (f"; converted into `{base['folder']}`)" if source else ")"),
        f"- Method: {method}; recipe `{meta.get('recipe', '?')}`",
    ]
    if lora:
        lines.append("- LoRA: " + _pairs(lora))
    if recipe_fields:
        lines.append("- Recipe fields: " + _pairs(recipe_fields))
    run = {k: meta[k] for k in RUN_FACTS if meta.get(k) is not None}
    if run:
        lines.append("- Run: " + _pairs(run))
    kept = meta.get("kept_checkpoint")
    if kept and kept.get("checkpoint"):  # load_best_model_at_end: the weights are not the last step's
        lines.append(
            f"- Weights: `{kept['checkpoint']}` (step {kept['step']}), the best {kept['metric']}"
            f" ({kept['metric_value']:.4g}) on the validation split (load_best_model_at_end)"
        )
    if meta.get("data_fingerprint"):
        tok_fp = meta.get("tokenizer_fingerprint")
        lines.append(
            f"- Data fingerprint: `{meta['data_fingerprint']}` (the tokenized training data"
            + (f"; tokenizer `{tok_fp}`)" if tok_fp else ")")
        )
    lines += ["", *eval_lines, *deid_lines, *(privacy_lines or []), "## Export check", ""]
    lines.append(
        f"Greedy outputs ({check['new_tokens']} new tokens) on the first {check['prompts']} test prompts: the exported"
        f" folder, loaded with plain `AutoModelForCausalLM`, gave {check['identical']}/{check['prompts']} outputs"
        f" identical to the {check['reference']}: **{'passed' if check['passed'] else 'FAILED'}**."
    )
    nf4 = facts.get("nf4_agreement")
    if nf4 is not None:
        lines.append(
            f" The evaluated model (adapter on the NF4 base) gave {nf4['identical']}/{nf4['prompts']} identical"
            " outputs."
            if nf4.get("measured")
            else f" Agreement with the evaluated NF4 model was not measured ({nf4.get('reason')})."
        )
    eot = ", ".join(f"`{t}` ({i})" for t, i in facts["stop_tokens"])
    lines += [
        "",
        "## Using the model",
        "",
        f"The tokenizer carries the chat template; `generation_config.json` stops at {eot}.",
        "",
        "```bash",
        f"vllm serve results/export/{variant} --served-model-name radtune-{variant}",
        "```",
        "",
        "```python",
        "from transformers import AutoModelForCausalLM, AutoTokenizer",
        f'tok = AutoTokenizer.from_pretrained("results/export/{variant}")',
        f'model = AutoModelForCausalLM.from_pretrained("results/export/{variant}")',
        "```",
        "",
    ]
    return "\n".join(lines)
