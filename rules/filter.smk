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
        # the keyed id lists of the CSV parts the config names: the shards must hold exactly these reports
        ingested=lambda w: [p for ps in ingested_ids().values() for p in ps],
        # (not read) report ids unique across each dataset's CSV parts (rule check_ids)
        ids_checked=expand(IDS_CHECKED, dataset=config["datasets"]),
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
        ingested=lambda w: Untracked(ingested_ids()),  # the same files, by dataset (inputs: tracked as such)
    shell:
        "python -m radtune.data.filter --inputs {input.shards:q} --datasets {params.datasets:q}"
        " --params {params.filter:q} --boilerplate {input.boilerplate:q} --ingested {params.ingested:q}"
        " --output {output.data} --report {output.report} > {log} 2>&1"
