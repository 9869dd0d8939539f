"""Facts defined once and read by several layers: every reader agrees with the one definition.

The placeholder kinds (radtune.core.norm.PLACEHOLDER_KINDS) against the de-id engine, the normalisation, the
extractive baseline and the synthetic corpora; the data splits; the columns one stage reads of another's table."""

from __future__ import annotations

import pytest

from radtune.core import common, formats, norm
from radtune.deid import engine
from radtune.deid.corpora import corpus_c, heldout, synthetic
from radtune.evaluate import baselines, judge, score, table

KINDS = norm.PLACEHOLDER_KINDS


def test_placeholder_kinds_are_distinct_upper_case_names():
    assert len(set(KINDS)) == len(KINDS)
    assert all(k.isupper() and k.isidentifier() for k in KINDS)


def test_engine_writes_exactly_the_placeholders_of_the_kinds():
    assert sorted(engine.PLACEHOLDERS.values()) == sorted(f"<{k}>" for k in KINDS)  # one entity per kind
    assert engine.ENTITIES == list(engine.PLACEHOLDERS)
    assert set(engine.PRESIDIO_ENTITY) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_normalisation_knows_every_placeholder(kind):
    text = f"Seen by <{kind}> today."
    assert norm.has_placeholder(text)
    assert norm.normalise_text(text) == "seen by today"


def test_corpora_label_spans_with_the_same_kinds():
    for name, kinds in [
        ("heldout.KINDS", heldout.KINDS),
        ("synthetic.ENTITY_TYPES", synthetic.ENTITY_TYPES),
        ("corpus_c.KINDS", corpus_c.KINDS),
    ]:
        assert len(set(kinds)) == len(kinds), name
        assert set(kinds) == set(KINDS), name


def test_extractive_baseline_skips_every_placeholder_but_location_and_age():
    skipped = {k for k in KINDS if baselines._NOT_CLINICAL.search(f"Seen by <{k}>.")}
    assert skipped == set(KINDS) - {"LOCATION", "AGE"}


def test_the_data_splits_are_the_common_ones():
    split = pytest.importorskip("radtune.data.split")  # polars: the data environment
    instructions = pytest.importorskip("radtune.data.instructions")
    assert split.SPLITS is common.SPLITS
    assert instructions.SPLITS is common.SPLITS


def test_the_table_reads_columns_the_score_and_judge_stages_write():
    assert set(table.SCORE_KEYS) <= set(score.COLUMNS)
    assert set(score.DIAGNOSTICS) <= set(score.COLUMNS)
    assert set(table.JUDGE_KEYS) <= set(judge.COLUMNS)


def test_the_model_card_shows_columns_of_the_eval_table():
    export = pytest.importorskip("radtune.serve.export")
    assert set(export.CARD_METRICS) <= set(table.columns(by_group=False))


def test_examples_without_an_exam_share_the_prediction_rows_group():
    instructions = pytest.importorskip("radtune.data.instructions")
    assert instructions.NO_GROUP is formats.NO_GROUP
    assert formats.prediction_row({"id": "x", "task": "t", "reference": "r"}, "m", "p")["group"] == formats.NO_GROUP
