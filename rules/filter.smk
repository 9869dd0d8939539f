# Stage 3 - filter with Polars: drop rows missing the task's input/output, short findings,
# exact duplicate pairs and over-long rows; normalise whitespace; report counts per reason.


rule filter:
    input:
        shards=all_shards(DEID),
        audit=DEID_AUDIT,
    output:
        data=FILTERED,
        report=report(FILTER_REPORT, caption="../report/filter.rst", category="Data"),
    log:
        f"{LOGS}/filter.log",
    conda:
        "../envs/deid.yaml"
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        datasets=lambda w: as_json(config["datasets"]),
        filter=lambda w: as_json(config["filter"]),
    shell:
        "python -m radtune.filter --inputs {input.shards:q} --datasets {params.datasets:q}"
        " --params {params.filter:q} --output {output.data} --report {output.report} > {log} 2>&1"
