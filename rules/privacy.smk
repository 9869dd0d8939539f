# Stage 10b - the memorisation audit (privacy.canaries): fake identifiers in report frames, drawn under the
# pseudonym key, are added to the train split's tokenized rows (rule tokenize, train split only: never val/test,
# predictions or exports); each trained variant's exposure and extraction of them, a cheap check of the figures
# against privacy.max_exposure (export waits for it), and every variant's headline row in one table.


rule canaries:
    output:
        canaries=CANARIES,
        report=report(
            CANARY_REPORT, caption="../report/canary_report.rst", category="Data"
        ),
    log:
        f"{LOGS}/privacy/canaries.log",
    localrule: True
    conda:
        "../envs/eval.yaml"
    params:
        # the key's file and variable name (never the key), and its fingerprint: another key, other canaries
        **pseudonym_key_params(),
        canaries=lambda w: tracked_config("canaries", "privacy", "canaries"),
    shell:
        "python -m radtune.deid.canaries --params {params.canaries:q} --key-file {params.key_file:q}"
        " --key-env {params.key_env:q} --output {output.canaries} --report {output.report} > {log} 2>&1"


rule privacy_audit:
    input:
        unpack(get_privacy_audit_input),
    output:
        table=report(
            PRIVACY_AUDIT,
            caption="../report/privacy_audit.rst",
            category="Privacy",
            subcategory="{variant}",
        ),
        per_canary=PRIVACY_CANARIES,
    log:
        f"{LOGS}/privacy/{{variant}}.log",
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=600,
    params:
        tracked=lambda w: tracked_config("privacy_audit", "privacy", "canaries"),
        options=lambda w: job_options("privacy_audit", "privacy", "canaries"),
    shell:
        "python -m radtune.evaluate.privacy audit --base {input.base} --finetuned {input.model}"
        " --canaries {input.canaries} --params {params.options:q}"
        " --output {output.table} --per-canary {output.per_canary} > {log} 2>&1"


rule privacy_check:
    input:
        PRIVACY_AUDIT,
    output:
        PRIVACY_CHECK,
    log:
        f"{LOGS}/privacy/{{variant}}.check.log",
    localrule: True
    conda:
        "../envs/train.yaml"  # radtune.evaluate.privacy: the audit's module (its check needs none of the model packages)
    params:
        limit=lambda w: tracked_config("privacy_check", "privacy"),
        max_exposure=lambda w: (
            ""
            if config["privacy"]["max_exposure"] is None
            else f"--max-exposure {config['privacy']['max_exposure']}"
        ),
    shell:
        "python -m radtune.evaluate.privacy check --variant {wildcards.variant} --audit {input}"
        " {params.max_exposure} --output {output} > {log} 2>&1"


rule privacy_table:
    input:
        expand(PRIVACY_CHECK, variant=config["variants"]),
    output:
        report(PRIVACY_TABLE, caption="../report/privacy.rst", category="Privacy"),
    log:
        f"{LOGS}/privacy/table.log",
    localrule: True
    conda:
        "../envs/train.yaml"
    shell:
        "python -m radtune.evaluate.privacy table --inputs {input:q} --output {output} > {log} 2>&1"
