"""Tests for radtune.core.tasks: every task is defined consistently, and the places that must list the tasks outside
Python (the config schema, the instruction templates) list exactly TASKS."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from radtune.core.tasks import TASKS
from radtune.data.instructions import load_templates
from radtune.evaluate import score, table

ROOT = Path(__file__).resolve().parents[1]


def _dataset_schema() -> dict:
    schema = yaml.safe_load((ROOT / "config" / "schema.yaml").read_text(encoding="utf-8"))
    return schema["properties"]["datasets"]["additionalProperties"]["properties"]


def test_schema_task_enum_is_tasks():
    assert _dataset_schema()["task"]["enum"] == list(TASKS)


def test_schema_columns_name_every_required_column():
    columns = _dataset_schema()["columns"]["properties"]
    for task in TASKS.values():
        assert set(task.required) <= set(columns), task.name


def test_instruction_templates_cover_every_task():
    assert set(load_templates(ROOT / "config" / "instruction_templates.yaml")) == set(TASKS)


@pytest.mark.parametrize("name", list(TASKS))
def test_task_is_consistent(name):
    t = TASKS[name]
    assert t.name == name
    assert t.inputs and set(t.inputs) <= set(t.required)
    assert t.output in t.required and t.output not in t.inputs
    assert set(t.deid_columns) <= set(t.required)
    assert set(t.inputs) <= set(t.deid_columns)  # model inputs are always de-identified
    assert t.is_label or t.output in t.deid_columns  # a text output is de-identified; a label is a class
    assert t.output_kind in ("text", "label")
    assert t.boilerplate_input in (None, *t.inputs)
    assert t.boilerplate_output in (None, t.output) and not (t.is_label and t.boilerplate_output)
    assert t.min_words_column in (None, *t.inputs)
    assert not t.input_labels or len(t.input_labels) == len(t.inputs) > 1
    assert t.main_metric in table.METRICS and t.main_score in score.COLUMNS
    assert t.chart_metrics[0] == t.main_metric and set(t.chart_metrics) <= set(table.METRICS)
    assert not (t.is_label and (t.prepend or t.extractive_baseline))
