# Stage 7 - tokenize with the base model's own chat template (loss on the answer only) into a
# cached datasets folder, then pack train rows to max_seq_len (best-fit decreasing, per-example
# position ids). The tokenizer folder is an input and max_seq_len/truncation are params, so a
# cache built for one tokenizer/template/length is never reused for another.


rule tokenize:
    input:
        # the split's examples, the base's tokenizer; for the train split with privacy.canaries, the canaries
        unpack(get_tokenize_input),
    output:
        data=directory(TOKENIZED),
        stats=TOKENIZED_STATS,
    log:
        f"{LOGS}/tokenize/{{base}}/{{split}}.log",
    conda:
        "../envs/train.yaml"
    threads: config["tokenize"]["num_proc"]
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        tracked=lambda w: tracked_config("tokenize", "tokenize"),
        tokenize=lambda w: job_options("tokenize", "tokenize"),
        canaries=lambda w, input: (
            f"--canaries {input.canaries}" if "canaries" in input.keys() else ""
        ),
    shell:
        "python -m radtune.data.tokenize --input {input.data} --model {input.base} {params.canaries}"
        " --params {params.tokenize:q} --output {output.data} --stats {output.stats} > {log} 2>&1"


rule pack:
    input:
        TOKENIZED.replace("{split}", "train"),
    output:
        data=directory(PACKED),
        stats=report(PACK_STATS, caption="../report/pack.rst", category="Training"),
    log:
        f"{LOGS}/pack/{{base}}.log",
    conda:
        "../envs/train.yaml"
    resources:
        mem_mb=8000,
        runtime=60,
    params:
        max_seq_len=config["tokenize"]["max_seq_len"],
    shell:
        "python -m radtune.data.pack --input {input} --max-seq-len {params.max_seq_len}"
        " --output {output.data} --stats {output.stats} > {log} 2>&1"


# The same jobs on the retrieval-augmented examples (variants with retrieval: true).
use rule tokenize as tokenize_retrieval with:
    input:
        unpack(get_tokenize_retrieval_input),
    output:
        data=directory(TOKENIZED_RETRIEVAL),
        stats=TOKENIZED_RETRIEVAL_STATS,
    log:
        f"{LOGS}/tokenize_retrieval/{{base}}/{{split}}.log",


use rule pack as pack_retrieval with:
    input:
        TOKENIZED_RETRIEVAL.replace("{split}", "train"),
    output:
        data=directory(PACKED_RETRIEVAL),
        stats=report(
            PACK_RETRIEVAL_STATS,
            caption="../report/pack.rst",
            category="Training",
        ),
    log:
        f"{LOGS}/pack_retrieval/{{base}}.log",
