# Stage 12 (on request, not in `all`) - batch predictions on a new, unlabelled export with a trained variant:
# `snakemake results/predict/<name>.csv` ingests the entry's CSVs with its dataset's column mapping (the answer
# column may be absent), de-identifies them with the training recognizers and settings (unless
# predict.<name>.deidentify is false), builds the training prompts, generates in eval.shards GPU jobs and writes
# one row per input row keyed by the ORIGINAL report id: patient data, owner-only like everything here.


rule predict_ingest:
    input:
        csv=lambda w: config["predict"][w.name]["csv"],
    output:
        shards=raw_shards(
            expand(PREDICT_RAW, piece=predict_pieces(), allow_missing=True)
        ),
    log:
        f"{LOGS}/predict/{{name}}/ingest.log",
    conda:
        "../envs/deid.yaml"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        **pseudonym_key_params(),  # as ingest's
        # the column mapping, task and delimiter of the dataset the export is like (as ingest reads them)
        spec=lambda w: tracked_config(
            "ingest", "datasets", config["predict"][w.name]["dataset"]
        ),
        max_field_chars=Untracked(config["ingest"]["max_field_chars"]),
    shell:
        "python -m radtune.data.ingest --predict --dataset {wildcards.name} --spec {params.spec:q}"
        " --csv {input.csv:q} --outputs {output.shards:q}"
        " --key-file {params.key_file:q} --key-env {params.key_env:q} --key-fingerprint {params.key_fingerprint}"
        " --max-field-chars {params.max_field_chars} > {log} 2>&1"


# The same job as rules/deid.smk's deidentify (its params, resources and command), on a piece of the new export.
use rule deidentify as predict_deid with:
    input:
        shard=PREDICT_RAW,
        settings=DEID_SETTINGS,  # passed the quality check (rule deid_settings)
    output:
        data=PREDICT_DEID,
        audit=PREDICT_DEID_AUDIT,
    log:
        f"{LOGS}/predict/{{name}}/deid_{{piece}}.log",


rule predict_generate:
    input:
        unpack(get_predict_generate_input),
    output:
        PREDICT_SHARD,
    log:
        f"{LOGS}/predict/{{name}}/generate_{{piece}}.log",
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=600,
    params:
        # seed and prompt keys (as training built the prompts), boilerplate on inputs, generation keys
        params=lambda w: tracked_config("predict_generate"),
        boilerplate=lambda w, input: (
            f"--boilerplate {input.boilerplate}"
            if "boilerplate" in input.keys()
            else ""
        ),
        # a retrieval variant: the new reports' neighbours among the train rows, shown as in training (a change
        # of these settings retrains the variant, so these jobs rerun anyway)
        retrieval=lambda w, input: (
            f"--assigned {input.assigned} --retrieval "
            + shlex.quote(
                json.dumps(config["instructions"]["retrieval"], sort_keys=True)
            )
            if uses_retrieval(config["predict"][w.name]["variant"])
            else ""
        ),
    shell:
        "python -m radtune.serve.predict generate --input {input.shard} --base {input.base} --finetuned {input.model}"
        " --train {input.train} --templates {input.templates} --prepend {input.prepend} {params.boilerplate}"
        " {params.retrieval} --params {params.params:q} --output {output} > {log} 2>&1"


rule predict_merge:
    input:
        shards=expand(PREDICT_SHARD, piece=predict_pieces(), allow_missing=True),
        model=lambda w: MODEL.format(variant=config["predict"][w.name]["variant"]),
    output:
        PREDICT,
    log:
        f"{LOGS}/predict/{{name}}/merge.log",
    localrule: True
    conda:
        "../envs/train.yaml"
    params:
        csv=lambda w: config["predict"][w.name]["csv"],
        id_column=lambda w: config["datasets"][config["predict"][w.name]["dataset"]][
            "columns"
        ]["report_id"],
        task=lambda w: config["datasets"][config["predict"][w.name]["dataset"]]["task"],
        deidentified=lambda w: str(config["predict"][w.name]["deidentify"]).lower(),
    shell:
        "python -m radtune.serve.predict merge --inputs {input.shards:q} --csv {params.csv:q}"
        " --id-column {params.id_column:q} --task {params.task} --model {input.model}"
        " --deidentified {params.deidentified} --output {output} > {log} 2>&1"
