"""Case restoration: all-capital and all-lower-case lines rewritten in mixed case before detection (restore_case)."""

from __future__ import annotations

import re
from collections.abc import Callable

from radtune.deid.recognizers.lexicon import is_word, name_lexicon, place_lexicon
from radtune.deid.recognizers.vocab import _CALENDAR, CLINICAL_WORDS, FACILITY_WORDS, NER_STOPWORDS, RECORD_WORDS, fold

# The recognizers, the name scanner and the spaCy NER all read capitals: "Reported by Nigel Okafor" is a name, "reported
# by nigel okafor" and "REPORTED BY NIGEL OKAFOR" look like ordinary words or a header. Legacy RIS exports write whole
# reports in capitals and dictation systems whole lines in lower case. So detection runs on a case-restored copy of the
# text (the same length, so every span maps back unchanged): in a line with no lower-case letter, or none upper-case,
# each word is rewritten as mixed-case text would have it, from vocabulary alone:
#   - English and clinical words in lower case ("CHEST" -> "chest"), a line's first word capitalised (upper lines);
#   - a facility's name capitalised: the words before a facility ending ("SAND HOLLOW RURAL HEALTH CLINIC", "kowhai
#     ward"), back to a cue word ("from", "at"), a label or a gap;
#   - titles capitalised ("DR" -> "Dr"), months and weekdays capitalised;
#   - words that are no English word: capitalised when they are a known given or family name of four letters or more,
#     or have five letters or more and are rare across the corpus's patients ("OKAFOR" -> "Okafor"); else left in
#     capitals as acronyms ("PACS", "RUL", "ANGIO" in many patients' reports); record labels ("MRN", "NHS") too;
#   - a known name that is also an English word ("ROSE", "HUNTER"), or has three letters ("KIM", but also "RIS"),
#     capitalised only next to another name word.
# Mixed-case lines are left as they are. The anonymized output is always cut from the original text.
_TITLES = frozenset("dr drs mrs miss mx prof sr sister st".split())  # not "MR", "MS": MR imaging, multiple sclerosis
# Words after which a facility's name ends, and words a facility's name does not reach back over.
FACILITY_ENDINGS = frozenset(
    """
    hospital hospitals infirmary clinic clinics centre center practice surgery station lodge manor home living nursing
    service team medicine ward unit care institute associates partners imaging radiology diagnostics health healthcare
    general orthopaedics orthopedics village
    """.split()
)
_FACILITY_STOP = frozenset(
    """
    from at to by in on the with and outside study report referrer referring requested requesting location loc gp
    source seen films film exam of for via transferred resident lives dated compared comparison prior previous
    """.split()
)


_CASE_WORD = re.compile(r"(?<![\w'’])[^\W\d_](?:[^\W\d_]|['’](?=[^\W\d_]))+(?![\w])")  # no code parts, no initials


def _recase_line(line: str, upper: bool, rare: Callable[[str], bool]) -> str:
    first, last = name_lexicon()
    words = list(_CASE_WORD.finditer(line))
    kinds = []
    for m in words:
        w = fold(m.group())
        if w in _TITLES:
            kinds.append("title")
        elif w in _CALENDAR:
            kinds.append("calendar")
        elif w in FACILITY_WORDS:
            kinds.append("facility")
        elif w in CLINICAL_WORDS or w in NER_STOPWORDS:
            kinds.append("word")
        elif w in RECORD_WORDS:
            kinds.append("acronym" if upper else "word")
        elif is_word(w):
            kinds.append("lexword" if (w in first or w in last) and len(w) > 2 else "word")
        elif (w in first or w in last) and len(w) > 3 or len(w) >= 5 and (rare(w) or w in place_lexicon()):
            kinds.append("name")
        elif w in first or w in last:
            kinds.append("lexword")  # "KIM", "LEE" - or "RIS", "LOC": a name only beside another name word
        else:
            kinds.append("acronym")
    # A facility's name: the words before a facility ending, back to a cue word, a label or a gap, are one name
    # ("SAND HOLLOW RURAL HEALTH CLINIC", "lone pine assisted living", "KOWHAI WARD").
    for i, m in enumerate(words):
        if kinds[i] != "facility" or fold(m.group()) not in FACILITY_ENDINGS:
            continue
        j = i
        while j > 0 and i - j < 5 and line[words[j - 1].end() : words[j].start()] in (" ", "-"):
            w = fold(words[j - 1].group())
            hyphened = line[words[j - 1].start() - 1 : words[j - 1].start()] == "-"  # "WALK-IN"
            if w in _FACILITY_STOP and not hyphened or w in RECORD_WORDS:
                break
            if w in CLINICAL_WORDS and w not in FACILITY_WORDS:  # "primary" is both
                break
            if kinds[j - 1] == "calendar":
                break
            j -= 1
        if j < i or kinds[i - 1 if i else i] == "facility":
            for k in range(j, i + 1):
                kinds[k] = "title"
    out = list(line)
    for i, (m, kind) in enumerate(zip(words, kinds, strict=True)):
        tok = m.group()
        if kind == "facility":
            kind = "word"  # a facility word outside a facility name ("the hospital", "MEDICAL HISTORY")
        if kind == "lexword":
            near = [kinds[j] for j in (i - 1, i + 1) if 0 <= j < len(kinds)]
            gaps = [line[words[j].end() : words[j + 1].start()] for j in (i - 1, i) if 0 <= j < len(words) - 1]
            kind = "name" if "name" in near and all(g in (" ", "^", ", ", ",", "-") for g in gaps) else "word"
        if kind in ("title", "calendar", "name") or (upper and i == 0 and kind == "word"):
            new = re.sub(r"[^\W\d_]+", lambda p: p[0][:1].upper() + p[0][1:].lower(), tok)  # "O'Brien"
        elif kind == "word" or not upper or tok.isupper() and kinds[i] == "lexword":
            new = tok.lower() if kind == "word" or not upper else tok
        else:
            new = tok
        if len(new) == len(tok):
            out[m.start() : m.end()] = new
    return "".join(out)


def restore_case(text: str, rare: Callable[[str], bool] = lambda w: True) -> str:
    """`text` with its all-capital and all-lower-case lines in mixed case (see the rule above); same length.
    `rare(word)`: whether a word is rare across the corpus's patients (recurring abbreviations such as "ANGIO" or
    "BILAT" stay capitals; see WordRarity)."""
    lines = text.split("\n")
    for k, line in enumerate(lines):
        has_upper = any(c.isupper() for c in line)
        has_lower = any(c.islower() for c in line)
        if has_upper == has_lower or len(_CASE_WORD.findall(line)) < 2:
            continue  # mixed case (or no letters, or one word): as written
        lines[k] = _recase_line(line, upper=has_upper, rare=rare)
    return "\n".join(lines)
