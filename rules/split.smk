# Stage 4 - split: group identical (normalised) task inputs, optionally near-duplicates, and
# patients; assign whole groups to train/val/test by a seeded hash; prove zero overlap.


rule split:
    input:
        FILTERED,
    output:
        data=SPLIT_ASSIGNED,
        report=report(SPLIT_REPORT, caption="../report/split.rst", category="Data"),
    log:
        f"{LOGS}/split.log",
    conda:
        "../envs/deid.yaml"
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        split=lambda w: tracked_config("split", "split"),
        seed=config["seed"],
    shell:
        "python -m radtune.data.split --input {input} --params {params.split:q} --seed {params.seed}"
        " --output {output.data} --report {output.report} > {log} 2>&1"
