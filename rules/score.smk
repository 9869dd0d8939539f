# Stage 10 - score every model's predictions with the same code (ROUGE, BERTScore, protocol
# metrics, optional LLM judge), then one table with bootstrap CIs and paired tests: eval.tsv.


rule score:
    input:
        PREDICTIONS,
    output:
        SCORES,
    params:
        eval=lambda w: as_json(config["eval"]),
    log:
        f"{LOGS}/score/{{model}}.log",
    conda:
        "../envs/eval.yaml"
    threads: 2
    resources:
        mem_mb=8000,
        runtime=120,
    shell:
        "{PY} radtune.score --predictions {input} --params {params.eval:q} --output {output} > {log} 2>&1"


rule judge:
    input:
        predictions=PREDICTIONS,
        prompt=config["eval"]["judge"]["prompt"],
    output:
        JUDGE,
    params:
        judge=lambda w: as_json(config["eval"]["judge"]),
    log:
        f"{LOGS}/judge/{{model}}.log",
    conda:
        "../envs/eval.yaml"
    resources:
        mem_mb=8000,
        runtime=240,
    shell:
        "{PY} radtune.judge --predictions {input.predictions} --prompt {input.prompt}"
        " --params {params.judge:q} --output {output} > {log} 2>&1"


def get_table_input(wildcards):
    inputs = {"scores": expand(SCORES, model=eval_models())}
    if config["eval"]["judge"]["backend"] != "none":
        inputs["judge"] = expand(JUDGE, model=eval_models())
    return inputs


rule table:
    input:
        unpack(get_table_input),
    output:
        table=report(EVAL, caption="../report/eval.rst", category="Evaluation"),
        by_group=report(EVAL_BY_GROUP, caption="../report/eval_by_group.rst", category="Evaluation"),
        plot=report(EVAL_PLOT, caption="../report/eval_plot.rst", category="Evaluation"),
    params:
        eval=lambda w: as_json(config["eval"]),
        judge=lambda w, input: f"--judge {' '.join(input.judge)}" if "judge" in input.keys() else "",
        kinds=lambda w: as_json(
            {m: ("base" if m in used_bases() else "variant") for m in llm_models()}
            | {m: "baseline" for m in baseline_models()}
        ),
    log:
        f"{LOGS}/table.log",
    conda:
        "../envs/eval.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    shell:
        "{PY} radtune.table --scores {input.scores:q} {params.judge} --kinds {params.kinds:q} --params {params.eval:q}"
        " --output {output.table} --by-group {output.by_group} --plot {output.plot} > {log} 2>&1"
