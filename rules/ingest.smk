# Stage 1 - ingest: read a dataset's raw CSV(s), check them against the column mapping, and cut
# them into `shards` deterministic pieces (by a hash of the report id) with canonical columns.


rule ingest:
    input:
        csv=lambda w: config["datasets"][w.dataset]["csv"],
    output:
        expand(SHARD, shard=shard_ids(), allow_missing=True),
    log:
        f"{LOGS}/ingest/{{dataset}}.log",
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
