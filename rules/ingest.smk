# Stage 1 - ingest: read one raw CSV export of a dataset, check it against the column mapping, and
# cut it into `shards` deterministic pieces (by a hash of the report id) with canonical columns.
# One job per CSV file: a changed export reruns only its own shards downstream.


rule ingest:
    input:
        csv=get_part_csv,
    output:
        expand(SHARD_PIECE, piece=piece_ids(), allow_missing=True),
    log:
        f"{LOGS}/ingest/{{dataset}}/{{part}}.log",
    conda:
        "../envs/deid.yaml"
    resources:
        mem_mb=4000,
        runtime=60,
    params:
        spec=lambda w: as_json(config["datasets"][w.dataset]),
    shell:
        "python -m radtune.ingest --dataset {wildcards.dataset} --spec {params.spec:q}"
        " --csv {input.csv:q} --outputs {output:q} > {log} 2>&1"
