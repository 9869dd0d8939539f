# Stage 2 - de-identify every free-text column of one shard with Presidio (offline spaCy
# pipeline + radiology recognizers); replace spans with typed placeholders; count, never log, them.


rule deidentify:
    input:
        shard=SHARD,
        # ids unique across the dataset's CSV parts; ancient: a re-check reruns no other part's shards
        ids_checked=ancient(IDS_CHECKED),
        # this configuration's quality check passes before any shard is de-identified (not ancient:
        # an ancient input that is being remade stops Snakemake from rerunning these jobs at all)
        quality=DEID_QUALITY,
        allow_list=config["deid"]["allow_list"],
    output:
        data=DEID,
        audit=DEID_SHARD_AUDIT,
    log:
        f"{LOGS}/deid/{{dataset}}/{{shard}}.log",
    group:
        "deid"
    conda:
        "../envs/deid.yaml"
    threads: config["deid"]["n_process"]
    resources:
        mem_mb=3000,
        runtime=120,
    params:
        deid=lambda w: as_json(config["deid"]),
    shell:
        "python -m radtune.deid run --input {input.shard} --allow-list {input.allow_list}"
        " --params {params.deid:q} --output {output.data} --audit {output.audit} > {log} 2>&1"


rule deid_audit:
    input:
        all_shards(DEID_SHARD_AUDIT),
    output:
        report(DEID_AUDIT, caption="../report/deid_audit.rst", category="Data"),
    log:
        f"{LOGS}/deid/audit.log",
    localrule: True
    conda:
        "../envs/deid.yaml"
    shell:
        "python -m radtune.deid merge-audit --inputs {input:q} --output {output} > {log} 2>&1"


# This configuration's recognizers measured on the two shipped corpora with planted identifiers;
# refuses (before any shard is de-identified) a threshold/allow-list/model below the recall floor.
rule deid_quality:
    input:
        allow_list=config["deid"]["allow_list"],
    output:
        report(DEID_QUALITY, caption="../report/deid_quality.rst", category="Data"),
    log:
        f"{LOGS}/deid/quality.log",
    conda:
        "../envs/deid.yaml"
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        deid=lambda w: as_json(config["deid"]),
    shell:
        "python -m radtune.deid_eval --params {params.deid:q} --allow-list {input.allow_list}"
        " --output {output} > {log} 2>&1"
