# Stage 6 - base model: a GGUF file (e.g. SmolLM2-135M shipped in a PyPI package) becomes an
# ordinary model directory once, so every later rule just takes a path. Local paths pass through.


rule base_model:
    output:
        directory(BASE_DIR),
    log:
        f"{LOGS}/base_model/{{base}}.log",
    conda:
        "../envs/train.yaml"
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        spec=lambda w: as_json(config["base_models"][w.base]),
    shell:
        "python -m radtune.train.base_model --spec {params.spec:q} --output {output} > {log} 2>&1"
