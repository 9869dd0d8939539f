# Stage 9 - predictions on the test split: greedy, batched generation for the base model(s) and
# every variant (sharded across jobs), and the reference baselines built from the train split.


rule generate:
    input:
        unpack(get_generate_input),
    output:
        GENERATED,
    log:
        f"{LOGS}/generate/{{model}}/{{eshard}}.log",
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=600,
    params:
        eval=lambda w: tracked_config("generate", "eval"),
        n_shards=config["eval"]["shards"],
        finetuned=lambda w, input: (
            f"--finetuned {input.model}" if "model" in input.keys() else ""
        ),
    shell:
        "python -m radtune.evaluate.generate --model-name {wildcards.model} --base {input.base}"
        " {params.finetuned} --test {input.test} --shard {wildcards.eshard} --n-shards {params.n_shards}"
        " --params {params.eval:q} --output {output} > {log} 2>&1"


rule merge_predictions:
    input:
        expand(GENERATED, eshard=eval_shard_ids(), allow_missing=True),
    output:
        PREDICTIONS,
    log:
        f"{LOGS}/generate/{{model}}.merge.log",
    wildcard_constraints:
        model="|".join(llm_models()) or "^$",
    localrule: True
    conda:
        "../envs/eval.yaml"
    shell:
        "python -m radtune.core.formats merge-predictions --inputs {input:q} --output {output} > {log} 2>&1"


rule baseline:
    input:
        train=DATA.format(split="train"),
        test=DATA.format(split="test"),
    output:
        "results/predictions/baseline_{kind}.jsonl",
    log:
        f"{LOGS}/baseline/{{kind}}.log",
    wildcard_constraints:
        kind="|".join(BASELINE_KINDS),
    conda:
        "../envs/eval.yaml"
    resources:
        mem_mb=4000,
        runtime=30,
    params:
        eval=lambda w: tracked_config("baseline", "eval"),
    shell:
        "python -m radtune.evaluate.baselines --kind {wildcards.kind} --train {input.train} --test {input.test}"
        " --params {params.eval:q} --output {output} > {log} 2>&1"
