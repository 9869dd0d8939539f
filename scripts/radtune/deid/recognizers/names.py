"""The name scanner: person names found by a token scan over the name lexicon, capitalisation and the words
around them (NameScanner), with the title, label and context regexes it reads."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from radtune.deid.recognizers.lexicon import WordRarity, dictionary_words, is_word, name_lexicon
from radtune.deid.recognizers.patterns import _MONTHS, _PARTICLES, _SENTENCE_END, _TOKEN, _TRIGGER, ROLES, WEEKDAYS
from radtune.deid.recognizers.vocab import (
    _EPONYM_NEXT,
    _EPONYM_WORDS,
    CLINICAL_WORDS,
    NER_STOPWORDS,
    RECORD_WORDS,
    REPORT_ABBREVIATIONS,
    ROMAN_NUMERALS,
    fold,
)

_TITLE_PRE = re.compile(
    r"(?i:\b(?:pt|patient|mr|mrs|ms|miss|mx|dr|drs|prof|nurse|sister|called|paged|notified|informed|"
    r"(?:discussed|spoke|reviewed|talked|met) (?:with|to)|d/w|seen by|evaluated by|consulted|contacted|per|cc|"
    r"name|signed by|dictated by|read by|attending|(?<!home )(?<!care )(?<!facility )resident|fellow|radiologist|"
    r"pcp|referring|provider|"
    r"son|daughter|wife|husband|mother|father|sister|brother|spouse|partner|guardian|caregiver|signed|"
    r"tech|technologist|sonographer|physician|doctor|md|surgeon|ordering|attending physician|referring physician|"
    r"dictated|transcribed|reader|reading radiologist|interpreted by|verified by|cc to|copy to|"
    r"performed by|requested by|ordered by|approved by|electronically signed by|rad|radiologist)"
    r"(?:(?<=pt|mr|ms|dr|mx)\.|(?<=mrs|drs)\.|(?<=prof)\.)?:?[ \t]*)$"
)
# Weaker context: a lexicon name (not an unknown word) after it is a person ("discussed with Okafor").
_WEAK_PRE = re.compile(r"(?i:\b(?:with|d/w|w/|to|by|and|from)\s+)$|(?:^|\n)[ \t]*$")
_LIST_PRE = re.compile(r"(?i:\b(?:cc|copy to|copies to|ccs?:))[^\n]{1,70}[;,/]\s*(?:(?:dr|mr|mrs|ms)\.?\s*)?$")
_OF_PRE = re.compile(r"\b(?:of|the)\s+$|\(\s*$")
_POST_CONTEXT = re.compile(
    rf"^(?:,?\s*\(?{ROLES}\b|,\s*(?:pager|ext|cell|phone|tel|beeper|x\d)|"
    r",?\s*\(?\d{1,3}[- ]?(?i:years?|yrs?|yo|y/o|y\.o\.|"
    r"year-old|-year-old)|,\s*(?i:age|aged)\b|,\s*(?i:dob|mrn)\b|\s+(?:called|reports|reported|states|stated|"
    r"was (?:called|paged|notified|informed)|(?:was|is) (?:a|an) \d)|\s+[-–]\s)"
)


_COMMA_TAIL = re.compile(r"(?:\.? ?[A-Z]\b\.?){1,2}")


_NAME_LABEL_BEFORE = re.compile(rf"(?i:\b(?:{_TRIGGER}|signed|tech|nurses?)\b)(?:(?<=[Pp]t)\.)?\s*[:#-]?\s*$")


def _initial(tok: str, text: str, end: int) -> bool:
    return len(tok) == 1 and tok.isupper() and (end >= len(text) or text[end] in ". ,")


class NameScanner:
    """Finds person names by a token scan: the name lexicon, capitalisation, and the words around them.

    Lexicon words that are also clinical or ordinary English words need a stronger signal: a role or title
    beside them, or another name word next to them (see `_decide`).
    """

    def __init__(self, allow_words: Iterable[str] = (), rarity: WordRarity | None = None) -> None:
        self.rarity = rarity
        self.first, self.last = name_lexicon()
        self.names = self.first | self.last
        self.common = dictionary_words()
        self.eponyms = frozenset(allow_words)
        self.clinical = CLINICAL_WORDS | frozenset(NER_STOPWORDS)
        self.clinical |= frozenset(fold(m) for m in _MONTHS + WEEKDAYS) | frozenset(w[:3].lower() for w in _MONTHS)
        self.clinical |= frozenset("mrn dob acc fin csn ssn dos pcp pt id sex age exam acct enc".split())
        self.clinical |= RECORD_WORDS | REPORT_ABBREVIATIONS

    def spans(self, text: str) -> list[tuple[int, int, float]]:
        """(start, end, score) of each name found in `text`."""
        toks = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
        lower_seen = {fold(t) for _, _, t in toks if t.islower() and len(t) > 2}
        out: list[tuple[int, int, float]] = []
        i = 0
        while i < len(toks):
            if not self._capital(toks[i][2]):
                i += 1
                continue
            # A run: capitalised words, initials and particles joined by single spaces on one line.
            j = i
            while j + 1 < len(toks):
                gap = text[toks[j][1] : toks[j + 1][0]]
                nxt = toks[j + 1][2]
                if gap not in (" ", ". ") or not (self._capital(nxt) or nxt in _PARTICLES):
                    break
                if gap == ". " and not _initial(toks[j][2], text, toks[j][1]):
                    break
                j += 1
            run = toks[i : j + 1]
            while run and run[-1][2] in _PARTICLES:
                run = run[:-1]
            out += self._segments(text, run, lower_seen)
            # "OKAFOR, AMA" / "Okafor, Ama": family name, comma, given name.
            if j + 1 < len(toks) and text[toks[j][1] : toks[j + 1][0]] == ", " and self._capital(toks[j + 1][2]):
                pair = self._comma_pair(text, toks[j], toks[j + 1], lower_seen)
                if pair:
                    out.append(pair)
            i = j + 1
        return out

    @staticmethod
    def _capital(tok: str) -> bool:
        return tok[0].isupper()

    def _kind(self, tok: str, lower_seen: set[str]) -> str:
        w = fold(tok)
        if w in self.clinical or w in lower_seen:
            return "clinical"
        if w in self.eponyms:
            return "lexcommon"  # allow-listed eponym ("Baker"): part of a name only beside another name word
        if w in self.names:
            return "lexcommon" if is_word(w) else "lex"
        if "-" in w:
            if is_word(w):
                return "common"  # "Pre-op", "Post-contrast": a prefixed word
            parts = [p for p in w.split("-") if p]
            if any(p in self.names and not is_word(p) for p in parts):
                return "lex"
            return "unknown" if not all(is_word(p) or p in self.clinical for p in parts) else "common"
        return "common" if is_word(w) else "unknown"

    def _segments(self, text: str, run: list[tuple[int, int, str]], lower_seen: set[str]) -> list:
        """Split a run at clinical and ordinary words; decide each remaining segment."""
        out = []
        seg: list[tuple[int, int, str, str]] = []
        for s, e, tok in [*run, (-1, -1, "")]:
            if tok == "" or text[e : e + 1].isdigit():
                kind = "break"  # "RAD19-0042": part of a code
            elif _initial(tok, text, e):
                kind = "initial"
            elif tok in _PARTICLES:
                kind = "particle"
            elif tok.isupper() and len(tok) <= 3 and seg:
                roman = fold(tok) in ROMAN_NUMERALS
                kind = "initials" if fold(tok) not in self.clinical and not roman else "break"  # "Smith JK"
            else:
                kind = self._kind(tok, lower_seen)
                if kind in ("clinical", "common"):
                    kind = "break"
            if kind == "break":
                span = self._decide(text, seg)
                if span:
                    out.append(span)
                seg = []
            else:
                seg.append((s, e, tok, kind))
        return out

    def _decide(self, text: str, seg: list[tuple[int, int, str, str]]) -> tuple[int, int, float] | None:
        # Initials belong to a name, not to "1.5 T." or "Weber B ankle fracture".
        while seg and (
            seg[0][3] in ("particle", "initials")
            or (seg[0][3] == "initial" and re.search(r"\d[.,]?\d* ?$", text[max(0, seg[0][0] - 8) : seg[0][0]]))
        ):
            seg = seg[1:]
        while seg and (
            seg[-1][3] == "particle"
            or (seg[-1][3] == "initial" and re.match(r"\.? [a-z]", text[seg[-1][1] : seg[-1][1] + 3]))
        ):
            seg = seg[:-1]
        words = [t for t in seg if t[3] in ("lex", "lexcommon", "unknown")]
        if not words:
            return None
        start, end = seg[0][0], seg[-1][1]
        if seg[-1][3] == "initial" and end < len(text) and text[end] == ".":
            end += 1
        if _EPONYM_NEXT.match(text[end : end + 40]):
            return None  # "Nissen fundoplication", "Billroth II anatomy", "Jones fracture": an eponym
        upper = all(t[2].isupper() for t in words)
        kinds = [t[3] for t in words]
        n_lex, n_all = kinds.count("lex"), len(seg)
        before = text[max(0, start - 40) : start]
        sentence_start = bool(_SENTENCE_END.search(before))
        context = bool(_TITLE_PRE.search(before) or _POST_CONTEXT.match(text[end : end + 30]))
        weak = bool(_WEAK_PRE.search(before))
        context = context or bool(_LIST_PRE.search(text[max(0, start - 80) : start]))
        if len(words) == 1 and len(seg) == 1 and _OF_PRE.search(before) and not context:
            return None  # "vein of Galen", "pouch of Douglas", "(Murphy)": eponyms
        if len(seg) == 1 and text[end : end + 1] == ":":
            return None  # "DD:", "Loc:": a field label
        if len(seg) > 1 and fold(seg[-1][2]) in _EPONYM_WORDS and not context:
            return None  # "A Hickman Line", "Swan Ganz Catheter": an eponym and its noun, restored to capitals
        if (
            len(words) == 1
            and len(seg) == 2
            and seg[-1] is not words[0]
            and re.fullmatch(r"[A-D]|I{1,3}|IV", seg[-1][2])
            and not context
            and not weak
        ):
            return None  # "syndesmosis, Weber B.", "fracture, Garden I", "ED Hall B": a grade or a bay, no person
        if upper:
            # Capitals are headers and acronyms far more often than names: two lexicon words, one distinctive.
            ok = len(words) >= 2 and n_lex >= 1 and all(len(t[2]) > 1 for t in words)
            ok = ok and (kinds.count("unknown") <= 1 or context or weak)
            return (start, end, 0.7) if ok or (context and (n_lex >= 1 or "unknown" in kinds)) else None
        if weak and n_lex >= 1 and len(words[0][2]) > 2:
            return start, end, 0.6  # "discussed with Okafor", a name alone on its line
        if n_lex >= 1 and n_all >= 2:
            return start, end, 0.8  # "Ama Owusu-Ansah", "J. Okafor", "Okafor JK"
        n_init = sum(t[3] in ("initial", "initials") for t in seg)
        if n_init and len(words) >= 1 and len(words[-1][2]) > 2 and ("unknown" in kinds or "lexcommon" in kinds):
            return start, end, 0.7  # "J. K. Rowlinson", "Smith JK"
        first_last = len(words) >= 2 and fold(words[0][2]) in self.first and fold(words[-1][2]) in self.last
        if first_last and "unknown" not in kinds and (context or not sentence_start):
            return start, end, 0.7  # "Mark Smith" mid-sentence or in a frame
        if len(words) >= 2 and all(k == "unknown" for k in kinds) and not sentence_start:
            return start, end, 0.6  # two capitalised non-dictionary words mid-sentence
        if n_lex == 1 and len(words) == 1 and (context or not sentence_start) and len(words[0][2]) > 2:
            return start, end, 0.6  # "seen with Okafor today"
        if context and len(words) >= 1 and (n_lex or "unknown" in kinds):
            return start, end, 0.6
        if (
            kinds == ["unknown"]
            and len(seg) == 1
            and not sentence_start
            and len(words[0][2]) > 3
            and self.rarity is not None
            and self.rarity.counted
            and self.rarity.rare(words[0][2])
            and not text[end : end + 1] == ":"
        ):
            return start, end, 0.5  # one capitalised non-English word mid-sentence, in one patient's reports only
        return None

    def _comma_pair(self, text: str, a: tuple[int, int, str], b: tuple[int, int, str], lower_seen: set[str]) -> Any:
        ka, kb = self._kind(a[2], lower_seen), self._kind(b[2], lower_seen)
        labelled = bool(_NAME_LABEL_BEFORE.search(text[max(0, a[0] - 40) : a[0]]))
        if ka in ("common", "lexcommon") and labelled and len(b[2]) <= 2 and b[2].isupper() and a[2][1:].islower():
            ka = "unknown"  # "Signed: Yip, T.", "Pt Name: Park, J.C."
        if "clinical" in (ka, kb) or ka == "common":
            return None
        # The given part may be initials ("Okafor, J.", "OKAFOR, JK", "Okafor, J. K.") or run on ("Okafor, Ama B.").
        tail = _COMMA_TAIL.match(text, b[1])
        end = tail.end() if tail else b[1]
        if len(b[2]) <= 2 and b[2].isupper():
            ok = ka in ("lex", "unknown", "lexcommon") and len(a[2]) > 2 and (ka != "lexcommon" or a[2].isupper())
            ok = ok and (
                ka != "unknown"
                or _TITLE_PRE.search(text[max(0, a[0] - 40) : a[0]]) is not None
                or _SENTENCE_END.search(text[max(0, a[0] - 40) : a[0]]) is not None
            )
            if ok and (end > b[1] or text[b[1] : b[1] + 1] in ("", ".", "\n", " ", ";", ",", ")")):
                end = max(end, b[1] + (text[b[1] : b[1] + 1] == "."))
                return a[0], end, 0.7
            return None
        if kb == "common":
            return None
        fa, fb = fold(a[2]), fold(b[2])
        if (ka == "lex" or kb == "lex") and (fa in self.last or "-" in fa) and fb in self.first:
            return a[0], end, 0.75
        if "lex" in (ka, kb) and "unknown" in (ka, kb):
            return a[0], end, 0.65
        if ka == "lexcommon" and kb == "lexcommon" and fa in self.last and fb in self.first:
            return a[0], end, 0.6
        return None
