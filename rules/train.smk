# Stage 8 - fine-tune one variant (lora | qlora | full with DeepSpeed ZeRO-3) from its recipe.
# Checkpoints live outside the output folder, so a job stopped by SLURM resumes when rerun.
# Preemption chain: SLURM's USR1 before the time limit (profiles/default) -> radtune.train.run saves a
# complete checkpoint and exits 75 -> the job requeues itself (scontrol requeue: same job id, so it
# never runs twice at once) and resumes. SLURM's signal also ends the job step that would report
# success, so a run that finishes after it keeps the model beside the checkpoints and requeues too;
# the next run delivers it at once. Any other failure fails the job (Snakemake's retries).


from radtune.train.launch import launch_preview


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
        nodes=lambda w: config["variants"][w.variant]["nodes"],
        # GPUs of the whole job; nodes: N of them, each with `gpus`: whole GPU nodes
        gpu=lambda w: config["variants"][w.variant]["gpus"]
        * config["variants"][w.variant]["nodes"],
    params:
        variant=lambda w: tracked_config("train", "variants", w.variant),
        checkpoints=CHECKPOINTS,
        seed=config["seed"],
        launch=lambda w: launch_preview(config["variants"][w.variant]),
        # where the trainer reports (tracking:): an option, not tracked (another tracker retrains nothing)
        tracking=lambda w: job_options("train", "tracking"),
    shell:
        # USR1 is ignored until radtune.train.run installs its own handler (the shell must outlive it to requeue)
        "trap '' USR1; echo \"== $(date -u +%FT%TZ) job ${{SLURM_JOB_ID:-local}}, launch:\" {params.launch:q} >> {log};"
        " python -m radtune.train.run --variant {wildcards.variant} --spec {params.variant:q}"
        " --recipe {input.recipe} --base {input.base} --train {input.train} --val {input.val}"
        " --checkpoints {params.checkpoints} --seed {params.seed} --tracking {params.tracking:q}"
        " --output {output.model} >> {log} 2>&1"
        ' || {{ rc=$?; if [ $rc = 75 ] && [ -n "${{SLURM_JOB_ID:-}}" ]; then'
        ' echo "checkpointed: requeueing job $SLURM_JOB_ID" >> {log}; scontrol requeue "$SLURM_JOB_ID"; fi;'
        " exit $rc; }}"
