"""Tests for radtune.deid.corpora.corpus_c (the blind corpus C): determinism, well-formed gold spans, rare names,
realistic
clean text. They check the generator only; nothing here runs or measures the de-identifier."""

import json
import re
from collections import Counter

import pytest

from radtune.core.norm import PLACEHOLDER_KINDS
from radtune.deid.corpora import corpus_c, corpus_c_base
from radtune.deid.corpora import heldout as heldout_corpus
from radtune.deid.corpora import synthetic as synth
from radtune.deid.corpora.corpus_c import CORPUS_C_SEED, KINDS, generate_corpus_c
from radtune.deid.quality import WORD

N = 600


@pytest.fixture(scope="module")
def corpus():
    return corpus_c._generate(N, CORPUS_C_SEED)


def _masked(text, spans):
    """The text with every planted character replaced by NUL: what is left is the clean text."""
    chars = list(text)
    for s, e, _ in spans:
        chars[s:e] = "\0" * (e - s)
    return "".join(chars)


def test_deterministic_per_seed_and_other_seeds_differ():
    a = generate_corpus_c(40, seed=11)
    assert a == generate_corpus_c(40, seed=11)
    b = generate_corpus_c(40, seed=12)
    assert a[0] != b[0]
    assert generate_corpus_c(5) == generate_corpus_c(5, CORPUS_C_SEED)


def test_spans_are_well_formed_and_do_not_overlap(corpus):
    texts, gold, _ = corpus
    assert len(texts) == len(gold) == N
    for text, spans in zip(texts, gold, strict=True):
        end = 0
        for s, e, kind in spans:
            assert kind in KINDS
            assert 0 <= s < e <= len(text)
            piece = text[s:e]
            assert piece and piece == piece.strip(), (piece, text)
            assert s >= end, f"overlapping spans in {text!r}"
            end = e


def test_every_kind_occurs_and_reports_carry_several_identifiers(corpus):
    _, gold, _ = corpus
    kinds = Counter(k for spans in gold for _, _, k in spans)
    assert set(kinds) == set(KINDS)
    assert min(kinds.values()) >= 30, kinds
    assert min(len(spans) for spans in gold) >= 5


def test_spans_leave_out_titles_labels_and_trailing_punctuation(corpus):
    texts, gold, _ = corpus
    label = re.compile(r"(?i)^(dr|mr|mrs|ms|miss|prof|professor|sister|nurse|mrn|acc|nhs|bleep|ext|tel)\b[.:]?\s")
    for text, spans in zip(texts, gold, strict=True):
        for s, e, kind in spans:
            piece = text[s:e]
            assert kind == "ADDRESS" or not label.match(piece), (kind, piece)  # "MS 39401" is a state + ZIP
            assert piece[-1] not in ",;:", (kind, piece)
            if kind == "PERSON":
                assert not piece.endswith("'s"), piece


def test_names_are_rare_across_reports(corpus):
    texts, gold, gen = corpus

    def full(name):  # at least two name tokens of two or more letters
        return sum(len(re.sub(r"\W", "", t)) >= 2 for t in re.split(r"[\s,^]+", name)) >= 2

    reports_with = Counter()
    for text, spans in zip(texts, gold, strict=True):
        for name in {text[s:e].casefold() for s, e, k in spans if k == "PERSON" and full(text[s:e])}:
            reports_with[name] += 1
    name, count = reports_with.most_common(1)[0]
    assert count <= N // 100, (name, count)
    assert len(set(gen.shown_family)) >= 1500
    assert len(set(gen.shown_full)) >= 1500
    assert len(set(gen.shown_full)) >= 0.95 * len(gen.shown_full)


def test_clean_text_has_a_realistic_number_of_words(corpus):
    texts, gold, _ = corpus
    counts = []
    for text, spans in zip(texts, gold, strict=True):
        clean = _masked(text, spans)
        counts.append(sum(1 for m in WORD.finditer(clean) if "\0" not in m.group(0)))
    mean = sum(counts) / len(counts)
    assert 80 <= mean <= 170, mean
    assert sum(40 <= c <= 220 for c in counts) >= 0.97 * len(counts)


CLEAN_LEAKS = {
    "long digit run": re.compile(r"\d{5,}"),
    "clock time": re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}[:.]\d{2}\s?(?:am|pm)\b", re.I),
    "numeric date": re.compile(r"\b\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}\b"),
    "e-mail": re.compile(r"\w@\w"),
    "url": re.compile(r"https?://|www\.|\.(?:org|com|net|uk|au|nz|ca|ie)\b"),
    "age over 89": re.compile(r"\b(?:9\d|1[01]\d)\s?(?:yo|y/o|-?years?|yrs?)\b|\baged (?:9\d|1\d\d)\b|ninety", re.I),
    "month name": re.compile(
        r"\b(?:January|February|March|April|June|July|August|September|October|November|December)\b"
    ),
}


def test_clean_text_leaks_no_obvious_identifier(corpus):
    texts, gold, _ = corpus
    for text, spans in zip(texts, gold, strict=True):
        clean = _masked(text, spans)
        for what, rx in CLEAN_LEAKS.items():
            for m in rx.finditer(clean):
                assert "\0" in m.group(0), f"unmarked {what} {m.group(0)!r} in {text!r}"


def test_ages_over_89_are_identifiers_and_younger_ages_are_plain_text(corpus):
    texts, gold, _ = corpus
    words = {corpus_c_base._number_words(n): n for n in range(90, 110)}
    young = 0
    for text, spans in zip(texts, gold, strict=True):
        for s, e, kind in spans:
            if kind == "AGE":
                piece = text[s:e].lower()
                assert (int(piece) if piece.isdigit() else words[piece]) >= 90, piece
        young += len(re.findall(r"\b[1-8]?\d(?:-year-old| yo\b| y/o\b| yrs\b)", _masked(text, spans)))
    assert young >= 30


def test_the_three_settings_and_their_formats_occur(corpus):
    texts, gold, _ = corpus
    joined = "\n".join(texts)
    assert "PID|1||" in joined and "MSH|^~\\&|" in joined  # HL7-like fragments
    assert " period" in joined and "new paragraph" in joined  # spoken punctuation of dictation
    assert "Consultant Radiologist" in joined and "Specialist Registrar" in joined and "bleep" in joined
    persons = [t[s:e] for t, spans in zip(texts, gold, strict=True) for s, e, k in spans if k == "PERSON"]
    assert any("^" in p for p in persons)  # DICOM person names
    assert any(p.islower() and " " in p for p in persons)  # names dictated in lower case
    assert any(t.upper() == t and len(t) > 400 for t in texts)  # whole reports in capitals
    dates = [t[s:e] for t, spans in zip(texts, gold, strict=True) for s, e, k in spans if k == "DATE"]
    assert any(re.fullmatch(r"\d{1,2}[/.-]\d{1,2}", d) for d in dates)  # month/day without a year


def _frame_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for x in node:
            yield from _frame_strings(x)
    elif isinstance(node, dict):
        for k, v in node.items():
            if not k.startswith("_"):
                yield from _frame_strings(v)


def test_every_slot_in_the_data_files_has_a_filler():
    for name in ("frames.json", "clinical.json"):
        data = json.loads((corpus_c.DATA_DIR / name).read_text(encoding="utf-8"))
        for s in _frame_strings(data):
            for slot in re.findall(r"\{(\w+)\}", s):
                base = re.sub(r"_(upper|lower)$", "", slot)
                assert hasattr(corpus_c._Gen, "s_" + base), f"{name}: unknown slot {{{slot}}} in {s!r}"


def test_hand_written_names_differ_from_corpora_a_and_b():
    data = corpus_c_base._data()
    others = {n.casefold() for n in heldout_corpus.GIVEN + heldout_corpus.FAMILY + synth.FIRST_NAMES + synth.LAST_NAMES}
    mine = [n for group in (*data.given.values(), *data.family.values()) for n in group]
    assert len(mine) >= 1500
    shared = [n for n in mine if n.casefold() in others]
    assert len(shared) <= 0.02 * len(mine), shared
    assert len(data.family) >= 30  # origins


def test_data_files_are_listed_in_the_readme():
    readme = (corpus_c.DATA_DIR / "README.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in corpus_c.DATA_DIR.iterdir() if p.name != "README.md")
    assert files and all(f"`{f}`" in readme for f in files), files


def test_kinds_are_the_placeholder_kinds():
    # corpus B's and C's order (the rows of the bench tables) is their own; the set is core.norm's
    assert len(KINDS) == len(set(KINDS)) and set(KINDS) == set(PLACEHOLDER_KINDS)
    assert set(heldout_corpus.KINDS) == set(PLACEHOLDER_KINDS)


def test_heldout_data_files_are_listed_in_the_readme():
    readme = (heldout_corpus.DATA_DIR / "README.md").read_text(encoding="utf-8")
    files = sorted(p.name for p in heldout_corpus.DATA_DIR.iterdir() if p.name != "README.md")
    assert files and all(f"`{f}`" in readme for f in files), files
