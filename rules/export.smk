# Stage 11 (on request, not in `all`) - a servable export of one variant: its adapter merged into the
# base (QLoRA: into the full-precision base, not the 4-bit one), safetensors shards, the tokenizer with
# its chat template, a generation config that stops at the end-of-turn token and a model card. The
# merged folder, loaded with plain transformers, must answer the first test prompts as the adapter
# model does, or nothing is written. Not an input: results/eval.tsv (export does not wait for
# evaluation; the card quotes the table when it exists and is newer than the model). With privacy.canaries, the
# variant's memorisation audit must pass its check (privacy.max_exposure) first, and the card quotes it.


rule export:
    input:
        unpack(get_export_input),
    output:
        directory(EXPORT),
    log:
        f"{LOGS}/export/{{variant}}.log",
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=120,
    params:
        base_name=lambda w: config["variants"][w.variant]["base"],
        eval_table=EVAL,
        privacy=lambda w, input: (
            f"--privacy-audit {input.privacy_audit} --privacy-check {input.privacy_check}"
            if "privacy_check" in input.keys()
            else ""
        ),
    shell:
        "python -m radtune.serve.export --variant {wildcards.variant} --base {input.base} --base-name {params.base_name}"
        " --model {input.model} --test {input.test} --deid-quality {input.deid_quality} {params.privacy}"
        " --eval-table {params.eval_table} --output {output} > {log} 2>&1"
