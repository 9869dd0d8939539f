"""Radiology de-identification recognizers: regex rules, a multi-origin name lexicon and the spaCy NER filter.

This package is what a hospital edits: the RULES table (one regex per shape of identifier, `rules`), the pattern
fragments it is written in (trigger and role words around names, dates, ids, streets, facility endings: `patterns`),
and the word lists (`vocab`: the clinical vocabulary that is never a name without explicit context, the facility
words). The engine that runs them (radtune.deid.engine.Deidentifier) imports `build_recognizers` and
`filtered_spacy_recognizer` from here. All rule-based recognizers always apply; the configured
`deid.score_threshold` only gates the spaCy NER (see radtune.deid.engine).

Modules, each importing only those above it:
  patterns  regex building blocks (strings) and the shared token/context regexes
  vocab     word lists and `fold`, the key of every word lookup
  lexicon   names (Faker), places (GeoNames), English words (is_word), corpus word rarity (WordRarity)
  names     NameScanner: names by a token scan over the lexicon, capitalisation and context
  checks    the span checks the rules call (places, facilities, names, year-less dates)
  rules     the RULES table (rule order is match order) and the CONTEXT words
  ner       the spaCy NER filter (keep_ner, filtered_spacy_recognizer)
  build     the Presidio recognizers built from all of the above (build_recognizers)
  trim      span trimming: labels, titles and connectors cut off a detection (trim_span, trim_results)
  complete  span completion: a detection grown over the rest of its identifier (complete_spans)
  case      case restoration of all-capital and all-lower-case lines before detection (restore_case)

The names below are the ones the engine and the tests use; import anything else from its module.
"""

from radtune.deid.recognizers.build import LANG, build_recognizers
from radtune.deid.recognizers.case import restore_case
from radtune.deid.recognizers.complete import _drop_clinical_tail, complete_spans
from radtune.deid.recognizers.lexicon import WordRarity, is_word, name_lexicon, place_lexicon
from radtune.deid.recognizers.names import NameScanner
from radtune.deid.recognizers.ner import filtered_spacy_recognizer, keep_ner, ner_word_forms
from radtune.deid.recognizers.rules import CONTEXT, RULES, Rule
from radtune.deid.recognizers.trim import trim_results, trim_span
from radtune.deid.recognizers.vocab import NER_STOPWORDS, fold

__all__ = [
    "CONTEXT",
    "LANG",
    "NER_STOPWORDS",
    "RULES",
    "NameScanner",
    "Rule",
    "WordRarity",
    "_drop_clinical_tail",
    "build_recognizers",
    "complete_spans",
    "filtered_spacy_recognizer",
    "fold",
    "is_word",
    "keep_ner",
    "name_lexicon",
    "ner_word_forms",
    "place_lexicon",
    "restore_case",
    "trim_results",
    "trim_span",
]
