# radtune: raw radiology report CSVs -> de-identified, fine-tuned and evaluated LLM.
# Read the included rule files top to bottom to follow one report to a row of results/eval.tsv.


# The demo config, unless the user names their own with --configfile (which then replaces it
# rather than being merged into it: a merge would keep the demo dataset).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "rules/common.smk"


# One image holds every rule's conda environment (envs/Dockerfile); set `container` in the config.
if config["container"]:

    containerized: config["container"]


include: "rules/ingest.smk"
include: "rules/deid.smk"
include: "rules/filter.smk"
include: "rules/split.smk"
include: "rules/instructions.smk"
include: "rules/base_model.smk"
include: "rules/tokenize.smk"
include: "rules/train.smk"
include: "rules/generate.smk"
include: "rules/score.smk"
include: "rules/privacy.smk"
include: "rules/export.smk"
include: "rules/predict.smk"


rule all:
    default_target: True
    input:
        get_final_output(),
