# Stage 2 - de-identify every free-text column of one shard with Presidio (offline spaCy
# pipeline + radiology recognizers); replace spans with typed placeholders; count, never log, them.


rule deidentify:
    input:
        shard=SHARD,
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
