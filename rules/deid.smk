# Stage 2 - de-identify every free-text column of one shard with Presidio (offline spaCy
# pipeline + radiology recognizers); replace spans with typed placeholders; count, never log, them.


rule deidentify:
    input:
        shard=SHARD,
        # what de-identifies (model, threshold, allow-list terms), written only once it passed the
        # quality check: a change reruns every shard. (No ancient() inputs anywhere upstream of the
        # data: while the job making an ancient input reruns, Snakemake skips the own rerun reasons of
        # every job below it - a changed file list or filter setting would go unseen in that run,
        # snakemake/snakemake#4166. The id check feeds the filter, the quality table is a leaf.)
        settings=DEID_SETTINGS,
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
        "python -m radtune.deid.engine run --input {input.shard} --settings {input.settings}"
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
        "python -m radtune.deid.engine merge-audit --inputs {input:q} --output {output} > {log} 2>&1"


# What de-identifies, written once for the quality check and the shard jobs - and only once these
# settings pass the quality check (deid.quality_check, not tracked here), so no shard is ever
# de-identified with settings below the recall floor.
rule deid_settings:
    input:
        allow_list=config["deid"]["allow_list"],
    output:
        DEID_SETTINGS,
    log:
        f"{LOGS}/deid/settings.log",
    conda:
        "../envs/deid.yaml"
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        deid=lambda w: tracked_config("deid_settings", "deid"),
        check=lambda w: job_options("deid_quality", "deid"),
    shell:
        "python -m radtune.deid.engine settings --params {params.deid:q} --allow-list {input.allow_list}"
        " --check {params.check:q} --output {output} > {log} 2>&1"


# This configuration's recognizers measured on the shipped corpora with planted identifiers, as a
# table in results/ and the report; fails the run below the recall floor. A leaf of the default
# target: a change of deid.quality_check (other floors, corpus sizes) reruns this check only.
# update(): a failed check restores the last passing table instead of deleting it, so reverting the
# config plans the check only.
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
        "python -m radtune.deid.quality --params {params.options:q} --settings {input.settings}"
        " --output {output} > {log} 2>&1"
