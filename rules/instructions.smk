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


# Retrieval-augmented examples, for the variants with retrieval: true (instructions.retrieval): every assigned
# row's nearest train rows (leak-free: a train row never retrieves its own leakage group), then the examples
# with those neighbours shown in the user turn, within a token budget of each base model's tokenizer.
rule neighbours:
    input:
        SPLIT_ASSIGNED,
    output:
        NEIGHBOURS,
    log:
        f"{LOGS}/retrieval/neighbours.log",
    conda:
        "../envs/train.yaml"
    # the exact search is BLAS products: it parallelises over the job's cores (~5 h on 2 cores at 1M train
    # reports, bench/retrieval_speed.py); Snakemake gives it fewer where fewer are available
    threads: 8
    resources:
        mem_mb=16000,
        runtime=600,
    params:
        tracked=lambda w: tracked_config("neighbours", "instructions", "retrieval"),
        # the whole section for the command (max_tokens is the render's: not compared here)
        retrieval=Untracked(config["instructions"]["retrieval"]),
    shell:
        "python -m radtune.data.neighbours neighbours --input {input} --params {params.retrieval:q}"
        " --output {output} > {log} 2>&1"


rule retrieval_data:
    input:
        unpack(get_retrieval_data_input),
    output:
        expand(DATA_RETRIEVAL, split=SPLITS, allow_missing=True),
    log:
        f"{LOGS}/retrieval/{{base}}.log",
    conda:
        "../envs/train.yaml"
    resources:
        mem_mb=8000,
        runtime=120,
    params:
        tracked=lambda w: tracked_config("retrieval_data", "instructions", "retrieval"),
        # the whole section for the command (k and fields are the neighbours step's: not compared here)
        retrieval=Untracked(config["instructions"]["retrieval"]),
    shell:
        "python -m radtune.data.neighbours render --inputs {input.data:q} --neighbours {input.neighbours}"
        " --model {input.base} --params {params.retrieval:q} --outputs {output:q} > {log} 2>&1"
