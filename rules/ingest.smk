# Stage 1 - ingest: read one raw CSV export of a dataset, check it against the column mapping, and
# cut it into `shards` deterministic pieces (by a keyed hash of the report id) with canonical columns.
# One job per CSV file: a changed export reruns only its own shards downstream. The raw shards are
# temporary (deleted once de-identified) unless ingest.keep_raw_shards; the keyed id list of each
# part stays, so that check_ids can compare the parts without reading any text again.


rule ingest:
    input:
        csv=get_part_csv,
    output:
        shards=raw_shards(expand(SHARD_PIECE, piece=piece_ids(), allow_missing=True)),
        ids=INGEST_IDS,
    log:
        f"{LOGS}/ingest/{{dataset}}/{{part}}.log",
    conda:
        "../envs/deid.yaml"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        # the key's file and variable name (options, never the key), its fingerprint (tracked: another key
        # reruns ingest, the same key moved elsewhere does not)
        **pseudonym_key_params(),
        # the dataset's column mapping, task and delimiter (not its list of CSV files: a new month's
        # file adds jobs, it does not rerun the others)
        spec=lambda w: tracked_config("ingest", "datasets", w.dataset),
        # the limit of a check: an option, not tracked
        max_field_chars=Untracked(config["ingest"]["max_field_chars"]),
    shell:
        "python -m radtune.data.ingest --dataset {wildcards.dataset} --spec {params.spec:q}"
        " --csv {input.csv:q} --outputs {output.shards:q} --ids-output {output.ids:q}"
        " --key-file {params.key_file:q} --key-env {params.key_env:q} --key-fingerprint {params.key_fingerprint}"
        " --max-field-chars {params.max_field_chars} > {log} 2>&1"


# Report ids must be unique across a dataset's CSV parts, which separate ingest jobs read: compare
# their keyed id lists (no text). The filter takes the result (before it reads any shard); the
# de-identification jobs do not, so a re-check after one part changed reruns no other part's shards.
rule check_ids:
    input:
        lambda w: expand(INGEST_IDS, dataset=w.dataset, part=part_ids(w.dataset)),
    output:
        IDS_CHECKED,
    log:
        f"{LOGS}/ingest/{{dataset}}/check_ids.log",
    localrule: True
    conda:
        "../envs/deid.yaml"
    params:
        column=lambda w: config["datasets"][w.dataset]["columns"].get(
            "report_id", "report_id"
        ),
    shell:
        "python -m radtune.data.ingest check-ids --inputs {input:q} --column {params.column:q}"
        " --output {output:q} > {log} 2>&1"
