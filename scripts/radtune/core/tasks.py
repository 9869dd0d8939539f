"""The tasks radtune serves, each defined once (columns, model input and output, de-identification, scoring,
prompt, boilerplate, baselines): every stage reads TASKS. A new task is one entry here plus its instruction
templates in config/instruction_templates.yaml (and its name in the `task` enum of config/schema.yaml, and any new
column under `columns` there: tests/test_tasks.py checks both)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Task:
    """One task: the columns it reads, what the model sees and must answer, and how its answers are scored."""

    name: str
    # Canonical columns a dataset of this task must map (config datasets.NAME.columns); ingest writes them.
    required: tuple[str, ...]
    # Columns the model input is made of, in order; several are joined with input_sep into input_text (filter).
    inputs: tuple[str, ...]
    # Column holding the expected answer: output_text, the JSONL reference.
    output: str
    # Columns of the task de-identified (ctx_* columns always are); a label is a class, kept as it is.
    deid_columns: tuple[str, ...]
    # "text": scored with ROUGE and BERTScore; "label": exact match (accuracy), macro-F1 and similarity.
    output_kind: Literal["text", "label"]
    # Metric of eval.tsv that p-values and the best baseline are computed on, and the per-example column of
    # scores.tsv it is the mean of (a label's per-example `exact` averages to the table's `accuracy`).
    main_metric: str
    main_score: str
    # Metrics eval.png shows for the task, the main one first (the only one shown on the novel subset too).
    chart_metrics: tuple[str, ...]
    # The prompt's label of the task input ("Findings: ..."); with several inputs, the label of each part
    # ("Note: ...\n\nQuestion: ...") and input_label for the joined input_text when a part column is absent.
    input_label: str
    input_labels: tuple[str, ...] = ()
    input_sep: str = "\n"
    # Prepend phrases (config/prepend_phrases.yaml, "Impression:", ...) may open the answer.
    prepend: bool = False
    # Columns sign-off boilerplate is stripped from: the output (not a label), and the input with
    # filter.boilerplate.inputs.
    boilerplate_input: str | None = None
    boilerplate_output: str | None = None
    # Column whose rows with fewer than filter.min_findings_words words are dropped (dropped_short_findings).
    min_words_column: str | None = None
    # The extractive baseline (last sentences of the input) applies; elsewhere it falls back to constant.
    extractive_baseline: bool = False

    @property
    def is_label(self) -> bool:
        return self.output_kind == "label"


TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        Task(
            name="impression",
            required=("findings", "impression"),
            inputs=("findings",),
            output="impression",
            deid_columns=("findings", "impression"),
            output_kind="text",
            main_metric="rouge_l",
            main_score="rouge_l",
            chart_metrics=("rouge_l", "bertscore_f1"),
            input_label="Findings",
            prepend=True,
            boilerplate_input="findings",
            boilerplate_output="impression",
            min_words_column="findings",
            extractive_baseline=True,
        ),
        Task(
            name="protocol",
            required=("order_notes", "protocol"),
            inputs=("order_notes",),
            output="protocol",
            deid_columns=("order_notes",),
            output_kind="label",
            main_metric="accuracy",
            main_score="exact",
            chart_metrics=("accuracy", "macro_f1"),
            input_label="Order notes",
            boilerplate_input="order_notes",
        ),
        Task(
            name="note_qa",
            required=("note", "question", "answer"),
            inputs=("note", "question"),
            output="answer",
            deid_columns=("note", "question", "answer"),
            output_kind="text",
            main_metric="rouge_l",
            main_score="rouge_l",
            chart_metrics=("rouge_l", "bertscore_f1"),
            input_label="Note and question",
            input_labels=("Note", "Question"),
            boilerplate_input="note",
            boilerplate_output="answer",
        ),
    )
}
