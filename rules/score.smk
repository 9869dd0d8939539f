# Stage 10 - score every model's predictions with the same code (ROUGE, BERTScore, protocol
# metrics, collapse/memorisation diagnostics against the train split, optional LLM judge), then one
# table with bootstrap CIs and paired tests, overall and on the novel subset: eval.tsv.


rule score:
    input:
        predictions=PREDICTIONS,
        train=DATA.format(split="train"),
    output:
        SCORES,
    log:
        f"{LOGS}/score/{{model}}.log",
    conda:
        "../envs/eval.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        eval=lambda w: tracked_config("score", "eval"),
    shell:
        "python -m radtune.evaluate.score --predictions {input.predictions} --train {input.train}"
        " --params {params.eval:q} --output {output} > {log} 2>&1"


# A configured judge endpoint must answer a one-token test completion before any job runs (not on
# a dry-run), so a wrong URL or path fails in seconds instead of after generation. The judge job
# checks again on its node before sending any report text.
onstart:
    if config["eval"]["judge"]["backend"] != "none":
        judge_params = as_json(config["eval"]["judge"])
        shell("python -m radtune.evaluate.judge --check --params {judge_params:q}")


rule judge:
    input:
        predictions=PREDICTIONS,
        prompt=config["eval"]["judge"]["prompt"],
    output:
        JUDGE,
    log:
        f"{LOGS}/judge/{{model}}.log",
    conda:
        "../envs/eval.yaml"
    resources:
        mem_mb=8000,
        runtime=240,
    params:
        tracked=lambda w: tracked_config("judge", "eval", "judge"),
        judge=lambda w: job_options("judge", "eval", "judge"),
    shell:
        "python -m radtune.evaluate.judge --predictions {input.predictions} --prompt {input.prompt}"
        " --params {params.judge:q} --output {output} > {log} 2>&1"


rule table:
    input:
        unpack(get_table_input),
    output:
        table=report(EVAL, caption="../report/eval.rst", category="Evaluation"),
        by_group=report(
            EVAL_BY_GROUP, caption="../report/eval_by_group.rst", category="Evaluation"
        ),
        plot=report(EVAL_PLOT, caption="../report/eval_plot.rst", category="Evaluation"),
    log:
        f"{LOGS}/table.log",
    conda:
        "../envs/eval.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        eval=lambda w: tracked_config("table", "eval"),
        judge=lambda w, input: (
            f"--judge {' '.join(input.judge)}" if "judge" in input.keys() else ""
        ),
        kinds=lambda w: as_json(model_kinds()),
    shell:
        "python -m radtune.evaluate.table --scores {input.scores:q} {params.judge} --kinds {params.kinds:q} --params {params.eval:q}"
        " --output {output.table} --by-group {output.by_group} --plot {output.plot} > {log} 2>&1"


# The rows of eval.tsv into the tracker (tracking:): into each variant's training run, and one run each for the
# base model(s) and the baselines. Numbers only.
rule track:
    input:
        table=EVAL,
        models=expand(MODEL, variant=config["variants"]),
    output:
        TRACKED,
    log:
        f"{LOGS}/track.log",
    localrule: True
    conda:
        "../envs/eval.yaml"
    params:
        tracking=lambda w: tracked_config("track", "tracking"),
        kinds=lambda w: as_json(model_kinds()),
    shell:
        "python -m radtune.core.tracking --eval {input.table} --models {input.models:q} --kinds {params.kinds:q}"
        " --params {params.tracking:q} --output {output} > {log} 2>&1"
