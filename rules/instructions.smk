# Stage 5 - instructions: one chat example per row (system / user / assistant) from 20 editable
# templates, exam code in the user turn, seeded prepend phrases; one JSONL per split.


rule instructions:
    input:
        data=SPLIT_ASSIGNED,
        templates=config["instructions"]["templates"],
        prepend=config["instructions"]["prepend_phrases"],
    output:
        expand(DATA, split=SPLITS),
    log:
        f"{LOGS}/instructions.log",
    conda:
        "../envs/deid.yaml"
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        instructions=lambda w: tracked_config("instructions", "instructions"),
        seed=config["seed"],
    shell:
        "python -m radtune.data.instructions --input {input.data} --templates {input.templates}"
        " --prepend {input.prepend} --params {params.instructions:q} --seed {params.seed}"
        " --outputs {output:q} > {log} 2>&1"
