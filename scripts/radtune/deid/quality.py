"""De-identification scoring against gold spans: per-kind recall, verbatim survival, precision, over-redaction.

Gold spans are (start, end, kind) tuples per text (radtune.deid.corpora.heldout.GoldSpan is one); detections are any
objects with `.start`, `.end` (and optionally `.entity_type`), e.g. Presidio results from Deidentifier.analyze_batch.

- found: every letter/digit of the planted span lies inside some detection (punctuation and spaces may be left);
  the detection's type is not compared (an identifier under the wrong placeholder is still removed).
- survived: the planted string still occurs verbatim, not inside a longer word, in the anonymized output.
- precision: detections that overlap at least one planted character / all detections.
- over-redaction: words (whitespace-delimited tokens holding a letter or digit) that share no character with a
  planted span but overlap a detection / all such words. `words_spilled` counts the redacted ones whose detection
  also covers a planted identifier (a span running past its identifier: "at" in "<DATE> at <TIME>" taken as one
  date, a "Dr." or "MRN:" label); the rest are detections of non-identifier text ("Hampton hump", "May represent").
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radtune.core.common import RadtuneError, run_main
from radtune.core.formats import write_tsv

log = logging.getLogger("radtune.deid.quality")

Gold = Sequence[tuple[int, int, str]]
# The targets of the de-identification bench (bench/deid_quality.py) and of the workflow's quality check.
MIN_RECALL, MIN_KIND_RECALL, MAX_OVER = 0.99, 0.98, 0.005
NO_SURVIVORS = ("ID", "PHONE")
WORD = re.compile(r"\S*[^\W_]\S*")
_MARK = re.compile(r"\[\[([A-Z]+):([^\]]+)\]\]")


def covered_chars(detections: Iterable[Any]) -> set[int]:
    """Character offsets inside any detection."""
    out: set[int] = set()
    for d in detections:
        out.update(range(d.start, d.end))
    return out


def span_found(text: str, start: int, end: int, covered: set[int]) -> bool:
    """True when every letter/digit of text[start:end] is covered."""
    return all(j in covered for j in range(start, end) if text[j].isalnum())


def survives(identifier: str, output: str) -> bool:
    """True when `identifier` occurs verbatim in `output`, not as part of a longer word or number."""
    return re.search(rf"(?<![^\W_]){re.escape(identifier)}(?![^\W_])", output) is not None


@dataclass
class DeidScore:
    """Counts from evaluate(); the rates are properties so that scores can be added up."""

    planted: Counter = field(default_factory=Counter)
    found: Counter = field(default_factory=Counter)
    survived: Counter = field(default_factory=Counter)
    detections: int = 0
    detections_on_gold: int = 0
    false_by_type: Counter = field(default_factory=Counter)
    words: int = 0
    words_redacted: int = 0
    words_spilled: int = 0
    texts: int = 0

    def recall(self, kind: str | None = None) -> float:
        """Recall of one kind, or over all kinds; 1.0 when nothing was planted."""
        total = self.planted[kind] if kind else sum(self.planted.values())
        hit = self.found[kind] if kind else sum(self.found.values())
        return hit / total if total else 1.0

    def min_recall(self) -> tuple[str, float]:
        """(kind, recall) of the worst kind that was planted at least once."""
        if not self.planted:
            return "-", 1.0
        kind = min(sorted(self.planted), key=self.recall)
        return kind, self.recall(kind)

    @property
    def precision(self) -> float:
        return self.detections_on_gold / self.detections if self.detections else 1.0

    @property
    def over_redaction(self) -> float:
        return self.words_redacted / self.words if self.words else 0.0

    def surviving(self, kinds: Iterable[str]) -> int:
        return sum(self.survived[k] for k in kinds)

    def __add__(self, other: DeidScore) -> DeidScore:
        return DeidScore(
            self.planted + other.planted,
            self.found + other.found,
            self.survived + other.survived,
            self.detections + other.detections,
            self.detections_on_gold + other.detections_on_gold,
            self.false_by_type + other.false_by_type,
            self.words + other.words,
            self.words_redacted + other.words_redacted,
            self.words_spilled + other.words_spilled,
            self.texts + other.texts,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready figures: per kind (planted, found, recall, survived) and the overall rates."""
        return {
            "texts": self.texts,
            "planted": sum(self.planted.values()),
            "found": sum(self.found.values()),
            "recall": self.recall(),
            "survived": sum(self.survived.values()),
            "precision": self.precision,
            "detections": self.detections,
            "detections_on_gold": self.detections_on_gold,
            "false_detections_by_type": dict(sorted(self.false_by_type.items())),
            "words": self.words,
            "words_redacted": self.words_redacted,
            "words_spilled": self.words_spilled,
            "over_redaction": self.over_redaction,
            "kinds": {
                k: {
                    "planted": self.planted[k],
                    "found": self.found[k],
                    "recall": self.recall(k),
                    "survived": self.survived[k],
                }
                for k in sorted(self.planted)
            },
        }


def evaluate(
    texts: Sequence[str], gold: Sequence[Gold], detections: Sequence[Sequence[Any]], outputs: Sequence[str]
) -> DeidScore:
    """Score detections (and the anonymized outputs made from them) against the gold spans of each text."""
    sc = DeidScore(texts=len(texts))
    for text, spans, dets, out in zip(texts, gold, detections, outputs, strict=True):
        covered = covered_chars(dets)
        gold_chars: set[int] = set()
        for s, e, _ in spans:
            gold_chars.update(range(s, e))
        on_gold = [d for d in dets if any(j in gold_chars for j in range(d.start, d.end))]
        spill = covered_chars(on_gold)
        for s, e, kind in spans:
            sc.planted[kind] += 1
            sc.found[kind] += span_found(text, s, e, covered)
            sc.survived[kind] += survives(text[s:e], out)
        sc.detections += len(dets)
        sc.detections_on_gold += len(on_gold)
        for d in dets:
            if not any(j in gold_chars for j in range(d.start, d.end)):
                sc.false_by_type[getattr(d, "entity_type", "?")] += 1
        for m in WORD.finditer(text):
            chars = range(m.start(), m.end())
            if not any(j in gold_chars for j in chars):
                sc.words += 1
                sc.words_redacted += any(j in covered for j in chars)
                sc.words_spilled += any(j in spill for j in chars)
    return sc


def missed_spans(text: str, spans: Gold, detections: Sequence[Any]) -> list[tuple[int, int, str]]:
    """The gold spans of one text that evaluate() does not count as found."""
    covered = covered_chars(detections)
    return [(s, e, k) for s, e, k in spans if not span_found(text, s, e, covered)]


def parse_marked(line: str) -> tuple[str, list[tuple[int, int, str]]]:
    """Text and gold spans from `[[KIND:identifier]]` mark-up (hand-written test sentences)."""
    text, spans = "", []
    for i, part in enumerate(_MARK.split(line)):
        if i % 3 == 0:
            text += part
        elif i % 3 == 1:
            kind = part
        else:
            spans.append((len(text), len(text) + len(part), kind))
            text += part
    return text, spans


def gold_from_spans(
    rows: Sequence[dict[str, str]], spans: Iterable[Any], columns: Sequence[str]
) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    """One text per (row, column) cell and its gold spans, from span objects with row/column/start/end/entity_type
    (radtune.deid.corpora.synthetic.Span); spans of other columns are ignored."""
    texts: list[str] = []
    gold: list[list[tuple[int, int, str]]] = []
    index: dict[tuple[int, str], int] = {}
    for i, row in enumerate(rows):
        for c in columns:
            index[(i, c)] = len(texts)
            texts.append(row[c] or "")
            gold.append([])
    for s in spans:
        j = index.get((s.row, s.column))
        if j is not None:
            gold[j].append((s.start, s.end, s.entity_type))
    return texts, gold


# ---- corpora and scoring of one configured de-identifier (bench and workflow) --------------------------------------
def synthetic_corpus(n: int, protocol_n: int, seed: int) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    """Corpus A: radtune.deid.corpora.synthetic reports and protocol orders, one text per cell."""
    from radtune.deid.corpora.synthetic import generate_protocol_orders, generate_reports

    rows, spans = generate_reports(n, seed)
    texts, gold = gold_from_spans(rows, spans, ["indication", "comparison", "findings", "impression"])
    prows, pspans = generate_protocol_orders(protocol_n, seed)
    ptexts, pgold = gold_from_spans(prows, pspans, ["clinical_history", "ordering_notes"])
    return texts + ptexts, gold + pgold


def heldout_corpus(n: int, seed: int | None = None) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    """Corpus B: radtune.deid.corpora.heldout, the independent generator the recognizers are never tuned against."""
    from radtune.deid.corpora.heldout import HELDOUT_SEED, generate_heldout

    texts, gold = generate_heldout(n, HELDOUT_SEED if seed is None else seed)
    return texts, [[tuple(g) for g in spans] for spans in gold]  # type: ignore[misc]


def blind_corpus(n: int, seed: int | None = None) -> tuple[list[str], list[list[tuple[int, int, str]]]]:
    """Corpus C: radtune.deid.corpora.corpus_c, written blind from a style description; never used for tuning either."""
    from radtune.deid.corpora.corpus_c import CORPUS_C_SEED, generate_corpus_c

    texts, gold = generate_corpus_c(n, CORPUS_C_SEED if seed is None else seed)
    return texts, [[tuple(g) for g in spans] for spans in gold]  # type: ignore[misc]


def score_deid(deid: Any, texts: list[str], gold: Sequence[Gold]) -> tuple[DeidScore, list, list[str], float]:
    """Run a Deidentifier over texts: (score, detections, anonymized outputs, seconds)."""
    t0 = time.perf_counter()
    detections = deid.analyze_batch(texts)
    outputs = [deid.anonymize(t, det)[0] for t, det in zip(texts, detections, strict=True)]
    secs = time.perf_counter() - t0
    return evaluate(texts, gold, detections, outputs), detections, outputs, secs


def unmet_targets(sc: DeidScore) -> list[str]:
    """Targets not met, in words (empty when all are met)."""
    bad = []
    if sc.recall() < MIN_RECALL:
        bad.append(f"recall {sc.recall():.4f} < {MIN_RECALL}")
    bad += [f"{k} {sc.recall(k):.4f}" for k in sorted(sc.planted) if sc.recall(k) < MIN_KIND_RECALL]
    if sc.surviving(NO_SURVIVORS):
        bad.append(f"{sc.surviving(NO_SURVIVORS)} IDs/phones survive")
    if sc.over_redaction > MAX_OVER:
        bad.append(f"over-redaction {sc.over_redaction:.3%}")
    return bad


QUALITY_COLUMNS = ["corpus", "kind", "planted", "found", "recall", "survived"]


def quality_check(
    params: dict[str, Any], allow_list: str | Path | Iterable[str], output: str | Path | None
) -> dict[str, DeidScore]:
    """Measure this configuration's de-identification on both shipped corpora; refuse it below the floor.

    Writes `output` (per corpus and kind: planted, found, recall, survived; plus overall, precision and
    over-redaction rows) next to the de-id audit, so a weakened configuration is visible in results/ and in the
    report. Raises (and writes nothing) when the overall recall on a corpus is below its
    deid.quality_check.min_recall: a threshold, allow-list or spaCy model that lets identifiers through stops
    the run before any report is de-identified with it.
    """
    from radtune.deid.engine import Deidentifier

    qc = params["quality_check"]
    deid = Deidentifier.from_params(params, allow_list)
    corpora = {
        "synthetic": synthetic_corpus(
            int(qc["synthetic_reports"]), int(qc["synthetic_reports"]) // 4, int(qc["seed"])
        ),  # fmt: skip
        "heldout": heldout_corpus(int(qc["heldout_reports"])),
    }
    scores = {name: score_deid(deid, *corpus)[0] for name, corpus in corpora.items()}
    rows = []
    for name, sc in scores.items():
        for k in sorted(sc.planted):
            rows.append([name, k, sc.planted[k], sc.found[k], f"{sc.recall(k):.4f}", sc.survived[k]])
        rows.append([name, "overall", sum(sc.planted.values()), sum(sc.found.values()), f"{sc.recall():.4f}",
                     sum(sc.survived.values())])  # fmt: skip
        rows.append([name, "precision", sc.detections, sc.detections_on_gold, f"{sc.precision:.4f}", ""])
        rows.append([name, "over_redaction", sc.words, sc.words_redacted, f"{sc.over_redaction:.5f}", ""])
        log.info("%s corpus: recall %.4f (worst %s %.4f), over-redaction %.3f%%, targets %s", name, sc.recall(),
                 *sc.min_recall(), 100 * sc.over_redaction, "; ".join(unmet_targets(sc)) or "met")  # fmt: skip
    floors = qc["min_recall"]
    low = {name: sc.recall() for name, sc in scores.items() if sc.recall() < floors[name]}
    if low:
        figures = ", ".join(
            f"{name} {r:.4f} < deid.quality_check.min_recall.{name} {floors[name]}" for name, r in low.items()
        )
        raise RadtuneError(
            f"de-identification with this configuration finds too few planted identifiers ({figures}): check "
            "deid.score_threshold, deid.allow_list and deid.spacy_model; no shard was de-identified with this "
            "configuration (shards made before with a passing one are kept)"
        )
    if output is not None:  # (None: the check that gates the settings file, radtune.deid.engine settings --check)
        write_tsv(output, rows, QUALITY_COLUMNS)
    return scores


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m radtune.deid.quality", description=quality_check.__doc__)
    ap.add_argument("--settings", help="settings file (python -m radtune.deid.engine settings); else --allow-list")
    ap.add_argument("--allow-list")
    ap.add_argument("--params", required=True, help="JSON of config['deid'] (with --settings: the rest of it)")
    ap.add_argument("--output", required=True)
    a = ap.parse_args(argv)
    from radtune.deid.engine import job_params

    quality_check(*job_params(a.params, a.settings, a.allow_list), a.output)


if __name__ == "__main__":
    run_main(main)
