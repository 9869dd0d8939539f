# Stage 2 - de-identify every free-text column of one shard with Presidio (offline spaCy
# pipeline + radiology recognizers); replace spans with typed placeholders; count, never log, them.


rule deidentify:
    input:
        shard=SHARD,
        # ids unique across the dataset's CSV parts; ancient: a re-check reruns no other part's shards
        ids_checked=ancient(IDS_CHECKED),
        # what de-identifies (model, threshold, allow-list terms): a change reruns every shard
        settings=DEID_SETTINGS,
        # this configuration's quality check passes before any shard is de-identified; ancient: a
        # new check (other corpus sizes, floors) makes no shard stale. (Snakemake does not look at
        # a job's own reasons to rerun when an ancient input is being remade: the settings file,
        # made by its own job, is what carries them here, not params or the allow-list file.)
        quality=ancient(DEID_QUALITY),
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
        options=lambda w: job_options("deidentify", "deid"),
    shell:
        "python -m radtune.deid run --input {input.shard} --settings {input.settings}"
        " --params {params.options:q} --output {output.data} --audit {output.audit} > {log} 2>&1"


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


# What de-identifies, written once for the quality check and the shard jobs.
rule deid_settings:
    input:
        allow_list=config["deid"]["allow_list"],
    output:
        DEID_SETTINGS,
    log:
        f"{LOGS}/deid/settings.log",
    localrule: True
    conda:
        "../envs/deid.yaml"
    params:
        deid=lambda w: tracked_config("deid_settings", "deid"),
    shell:
        "python -m radtune.deid settings --params {params.deid:q} --allow-list {input.allow_list}"
        " --output {output} > {log} 2>&1"


# This configuration's recognizers measured on the shipped corpora with planted identifiers;
# refuses (before any shard is de-identified) a threshold/allow-list/model below the recall floor.
# update(): a failed check restores the last passing table instead of deleting it, so reverting the
# config plans the check only (a missing table, even as an ancient() input, would rerun every shard).
rule deid_quality:
    input:
        settings=DEID_SETTINGS,
    output:
        report(
            update(DEID_QUALITY), caption="../report/deid_quality.rst", category="Data"
        ),
    log:
        f"{LOGS}/deid/quality.log",
    conda:
        "../envs/deid.yaml"
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        check=lambda w: tracked_config("deid_quality", "deid"),
        options=lambda w: job_options("deid_quality", "deid"),
    shell:
        "python -m radtune.deid_eval --params {params.options:q} --settings {input.settings}"
        " --output {output} > {log} 2>&1"
