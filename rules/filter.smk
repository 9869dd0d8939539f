# Stage 3 - filter with Polars: strip sign-off/communication boilerplate (config/boilerplate.yaml),
# drop rows missing the task's input/output, short findings, duplicates of the rendered input and
# output, over-long rows; normalise whitespace; report counts per reason and per pattern.


rule filter:
    input:
        shards=all_shards(DEID),
        # not read: the filter waits for the merged de-id audit, so a finished filter implies a
        # complete audit of what it was built from (results/deid/audit.tsv is in the report)
        audit=DEID_AUDIT,
        boilerplate=config["filter"]["boilerplate"]["patterns"],
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
        datasets=lambda w: as_json({d: {} for d in config["datasets"]}),
        filter=lambda w: tracked_config("filter", "filter"),
    shell:
        "python -m radtune.filter --inputs {input.shards:q} --datasets {params.datasets:q}"
        " --params {params.filter:q} --boilerplate {input.boilerplate:q} --output {output.data} --report {output.report} > {log} 2>&1"
