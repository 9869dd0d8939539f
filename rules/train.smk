# Stage 8 - fine-tune one variant (lora | qlora | full with DeepSpeed ZeRO-3) from its recipe.
# Checkpoints live outside the output folder, so a job stopped by SLURM resumes when rerun.


rule train:
    input:
        unpack(get_train_input),
    output:
        model=report(
            directory(MODEL),
            patterns=["{name}.png", "{name}.tsv"],
            caption="../report/train.rst",
            category="Training",
            subcategory="{variant}",
        ),
    log:
        f"{LOGS}/train/{{variant}}.log",
    conda:
        "../envs/train.yaml"
    threads: 2
    resources:
        mem_mb=16000,
        runtime=1440,
        gpu=lambda w: config["variants"][w.variant]["gpus"],
    params:
        variant=lambda w: as_json(config["variants"][w.variant]),
        checkpoints=CHECKPOINTS,
        seed=config["seed"],
    shell:
        "python -m radtune.train --variant {wildcards.variant} --spec {params.variant:q}"
        " --recipe {input.recipe} --base {input.base} --train {input.train} --val {input.val}"
        " --checkpoints {params.checkpoints} --seed {params.seed} --output {output.model} > {log} 2>&1"
