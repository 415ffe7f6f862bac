"""Clinical efficacy (CE): organ-level FDG uptake states extracted from a report, and the CE score.

:func:`extract_uptake` reads a report (Chinese or English) and returns, for each of the 24 organs in
:data:`ORGANS`, the set of uptake states (:data:`STATES`) the report asserts; an empty set means normal (or not
mentioned). :func:`ce_counts` and :func:`ce_scores` turn the extracted labels of prediction/reference pairs into
precision, recall and F1: the macro average over the three states of per-state scores on the binary columns of
every (case, organ) row, exactly scikit-learn's ``precision_recall_fscore_support(average="macro",
zero_division=0)`` on the multilabel indicator matrices.

The extraction rules are specified in ``docs/ce.md`` (normative; the rule names below are its), and every example of
that document is a test. The pipeline, per report:

1. Sentences (T1: digits masked as ``0``, wrapped lines joined), each normalised (T2: NFKC, lower case, brackets,
   traditional characters, spaces between ideographs), cut into clauses at ``,`` and ``:`` (T3).
2. Terms of ``pet2rep.text.lexicon`` found by longest match (one trie-shaped regex per language).
3. Per clause, the place words are read (P1-P6): comparison references, node phrases taking the stations listed
   before them, tissue phrases (brown fat, skin), stations named alone, adjacent places, positional suffixes.
4. Per clause, statement words form runs; a run with an uptake noun is a statement (S1-S3) whose states follow from
   its state words, negations (N1-N3: scope, coordination across a CT phrase, resolution), physiological words and
   comparisons (C, R). The clause becomes a sequence of events: mentions, statements, comparisons, locators, lesions.
5. Per sentence, statements attach to their subjects (A1-A2, L): the clause's own places, then the places since the
   previous statement, then carry-over; comparisons and later physiological readings (S4) qualify the statement
   before them; located nodes take the statement's state.
6. The states of all statements about an organ accumulate (A3). :func:`explain_uptake` returns the statements with
   the cue words and the rules applied (the ``pet2rep ce explain`` view).

Sentence and clause analyses are memoised (keyed on everything they depend on): templated reports repeat most
sentences, which is what makes extraction fast. :func:`clear_cache` empties the memos.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pet2rep.errors import InputError
from pet2rep.text import lexicon as lx
from pet2rep.text.tokenize import check_lang, detect_lang

ORGANS: tuple[str, ...] = lx.ORGANS
STATES: tuple[str, ...] = lx.STATES

_INC, _DEC, _ABS = STATES
_STATE_BEARING = {"state", "normal", "abnormal", "physio"}
_MENTION_KINDS = {"organ", "unscored", "region", "node"}
_PLACE_KINDS = ("organ", "region", "unscored")


@dataclass(frozen=True, slots=True)
class _Term:
    kind: str
    organs: tuple = ()  # organ keys (organ), node group or None (region)
    state: str | None = None
    uptake: bool = False
    cmp: bool = False  # a comparison cue before its reference (高于, 较, than)
    rel: str | None = None  # the comparison it states: "above", "below", "equal"
    ref: bool = False  # a reference noun (本底, 血池, background)
    tissue: bool = False  # unscored tissue heading a place phrase (皮下, 脂肪间隙, 胸膜)
    station: bool = True  # a region that names its node group when named alone (not 肋膈角: pleura as often)
    intensity: bool = False  # intensity degree (轻度, 明显)


@dataclass(slots=True)
class _Element:
    start: int
    end: int
    term: _Term
    text: str
    organs: frozenset = frozenset()  # what the mention names when it is a subject (None: unlocated node)
    groups: frozenset = frozenset()  # the node groups it names when it locates a lymph node
    consumed: bool = False
    reference: bool = False  # a comparison reference (较肝脏, 高于肝脏本底): inside its statement, not a subject
    ref_kind: str | None = None  # on a comparison cue: its reference is "liver", "local" tissue or "other"


@dataclass(frozen=True)
class UptakeStatement:
    """One uptake statement found in a report (for inspection, the audit view and tests).

    Attributes:
        sentence: the normalised sentence (NFKC, lower case, digits as 0).
        organs: the scored organs it is about (empty: unscored anatomy, or no subject).
        states: the states it asserts (empty: normal).
        cues: the words that decided it (uptake nouns, state words, negation and comparison cues), in text order.
        notes: the rules applied beyond plain reading (negation, comparison, physiological, lesion, locator).
    """

    sentence: str
    organs: frozenset
    states: frozenset
    cues: tuple = ()
    notes: tuple = ()


# ----------------------------------------------------------------------------------------------- lexicon


def _split(terms: str, lang: str) -> list[str]:
    return [t for t in (terms.split("|") if lang == "en" else terms.split()) if t]


def _build_lexicon(lang: str) -> dict[str, _Term]:
    g = {name: getattr(lx, f"{name}_{lang.upper()}") for name in _LEXICON_NAMES}
    table: dict[str, _Term] = {}

    def add(term: str, spec: _Term) -> None:
        term = _normalize(term)
        if any(ch.isdecimal() for ch in term):
            raise RuntimeError(f"lexicon term {term!r} holds a digit; digits are masked before matching")
        if term in table and table[term] != spec:
            raise RuntimeError(f"lexicon conflict for {term!r}: {table[term]} vs {spec}")
        table[term] = spec

    for organ, terms in g["ORGAN_TERMS"].items():
        for t in _split(terms, lang):
            add(t, _Term("organ", organs=(organ,)))
    for t, organs in g["MULTI_ORGAN_TERMS"].items():
        add(t, _Term("organ", organs=tuple(organs)))
    for group, terms in g["REGION_TERMS"].items():
        for t in _split(terms, lang):
            add(t, _Term("region", organs=(group,)))
    for group, terms in g["NODE_ONLY_REGION_TERMS"].items():
        for t in _split(terms, lang):
            add(t, _Term("region", organs=(group,), station=False))
    simple = {
        "UNSCORED_TERMS": _Term("unscored"),
        "TISSUE_TERMS": _Term("unscored", tissue=True),
        "NODE_TERMS": _Term("node"),
        "UPTAKE_TERMS": _Term("uptake", uptake=True),
        "INC_TERMS": _Term("state", state=_INC),
        "INC_UPTAKE_TERMS": _Term("state", state=_INC, uptake=True),
        "INC_CMP_TERMS": _Term("state", state=_INC, cmp=True, rel="above"),
        "DEC_TERMS": _Term("state", state=_DEC),
        "DEC_UPTAKE_TERMS": _Term("state", state=_DEC, uptake=True),
        "ABS_TERMS": _Term("state", state=_ABS),
        "ABS_UPTAKE_TERMS": _Term("state", state=_ABS, uptake=True),
        "CMP_BELOW_TERMS": _Term("cmp_before", cmp=True, rel="below"),
        "CMP_EQUAL_TERMS": _Term("cmp_before", cmp=True, rel="equal"),
        "CMP_BEFORE_TERMS": _Term("cmp_before", cmp=True),
        "CMP_AFTER_TERMS": _Term("cmp_after"),
        "CMP_AFTER_EQUAL_TERMS": _Term("cmp_after", rel="equal"),
        "REFERENCE_TERMS": _Term("cmp_after", ref=True),
        "NEG_TERMS": _Term("neg"),
        "POSTNEG_TERMS": _Term("postneg"),
        "ABNORMAL_TERMS": _Term("abnormal"),
        "NORMAL_TERMS": _Term("normal"),
        "PHYSIO_TERMS": _Term("physio"),
        "PHYSIO_UPTAKE_TERMS": _Term("physio", uptake=True),
        "DEGREE_TERMS": _Term("degree"),
        "INTENSITY_TERMS": _Term("degree", intensity=True),
        "LESION_TERMS": _Term("lesion"),
        "PART_TERMS": _Term("part"),
        "LOCATOR_TERMS": _Term("locator"),
        "CT_TERMS": _Term("ct"),
        "BREAK_TERMS": _Term("break"),
        "UNCERTAIN_TERMS": _Term("uncertain"),
    }
    for name, spec in simple.items():
        for t in _split(g[name], lang):
            add(t, spec)
    return table


_LEXICON_NAMES = (
    "ORGAN_TERMS",
    "MULTI_ORGAN_TERMS",
    "REGION_TERMS",
    "NODE_ONLY_REGION_TERMS",
    "UNSCORED_TERMS",
    "TISSUE_TERMS",
    "NODE_TERMS",
    "UPTAKE_TERMS",
    "INC_TERMS",
    "INC_UPTAKE_TERMS",
    "INC_CMP_TERMS",
    "DEC_TERMS",
    "DEC_UPTAKE_TERMS",
    "ABS_TERMS",
    "ABS_UPTAKE_TERMS",
    "CMP_BELOW_TERMS",
    "CMP_EQUAL_TERMS",
    "CMP_BEFORE_TERMS",
    "CMP_AFTER_TERMS",
    "CMP_AFTER_EQUAL_TERMS",
    "REFERENCE_TERMS",
    "NEG_TERMS",
    "POSTNEG_TERMS",
    "ABNORMAL_TERMS",
    "NORMAL_TERMS",
    "PHYSIO_TERMS",
    "PHYSIO_UPTAKE_TERMS",
    "DEGREE_TERMS",
    "INTENSITY_TERMS",
    "LESION_TERMS",
    "PART_TERMS",
    "LOCATOR_TERMS",
    "CT_TERMS",
    "BREAK_TERMS",
    "UNCERTAIN_TERMS",
    "POSITION_SUFFIXES",
)


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex alternation of ``words`` shaped as a trie: one branch per next character, longest match first."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:
            return ("(?:" + body + ")?") if len(branches) == 1 else body + "?"
        return body

    return build(trie)


@dataclass
class _Grammar:
    lang: str
    table: dict[str, _Term]
    regex: re.Pattern
    region_gap: re.Pattern
    organ_gap: re.Pattern
    forward_gap: re.Pattern | None
    neg_gap: re.Pattern
    cmp_before_gap: re.Pattern
    cmp_after_gap: re.Pattern
    coord: re.Pattern
    max_gap: int
    neg_coord_gap: re.Pattern  # after a negated CT phrase, what leads to a coordinated uptake phrase (影或, 灶及)
    suv_value: re.Pattern  # right after a SUV word: a value follows (SUVmax为0, SUVmax 0)
    part_gap: re.Pattern | None = None  # between two adjacent place words (右肺中叶肺门旁, 第0腰椎水平左腰大肌)
    position: re.Pattern | None = None  # a positional suffix after a place word (胰腺后方)


_GRAMMARS: dict[str, _Grammar] = {}
# What may stand between a lymph-node region and 淋巴结: lists, sides, sub-regions, quantities, 未见肿大 ...
_ZH_NODE_FILLER = (
    r"\s、,及和与或并以双两左右侧区部周围旁内外间隙上下前后深浅见可未无明显肿大增大稍略多发数枚个小一些部分少许散在的组站处域"
    r"其余它他窝不等0-9ivxabrl()"  # stations: 纵隔(4R、7区)淋巴结 -> "(0r、0区)" after NFKC and digit masking
)
# What may stand between two place words that name one place (no list word): sides, parts, levels
_ZH_PART_GAP = r"[\s左右双两侧前后上下内外中尖底段叶极部区缘壁深浅面方旁周围水平层第0]*"
_LOCAL_RE = re.compile(r"周围|邻近|同侧|对侧|surrounding|adjacent")


def _words_gap(words: str, punctuation: str = r"\s,/&()-") -> re.Pattern:
    """An English gap made only of the given words, spaces and light punctuation."""
    alts = "|".join(sorted((re.escape(w) for w in words.split()), key=len, reverse=True))
    return re.compile(rf"(?:[{punctuation}]|'s|(?:{alts})(?![a-z0-9]))*")


def _grammar(lang: str) -> _Grammar:
    grammar = _GRAMMARS.get(lang)
    if grammar is not None:
        return grammar
    table = _build_lexicon(lang)
    trie = _trie_pattern(table)
    if lang == "zh":
        regex = re.compile(trie)
        suffixes = sorted(_split(lx.POSITION_SUFFIXES_ZH, lang), key=len, reverse=True)
        grammar = _Grammar(
            lang=lang,
            table=table,
            regex=regex,
            region_gap=re.compile(rf"[{_ZH_NODE_FILLER}]*"),  # 颈部Ⅱ区 -> "ii" after NFKC
            # an organ names a node location only with a positional suffix (胰头旁, 胃周围, 脾门, 胃小弯侧) or directly
            organ_gap=re.compile(rf"[\s左右双两侧]*(?:(?:周围|[周旁门区侧])[{_ZH_NODE_FILLER}]*)?"),
            forward_gap=None,
            neg_gap=re.compile(r"[\s的、,或及和与/-]*(?:0+f-?)?"),
            cmp_before_gap=re.compile(r"[\s的]*(?:周围|邻近)?[\s的]*(?:正常|同侧|对侧)?[\s的]*"),
            cmp_after_gap=re.compile(r"[\s的]*(?:实质|组织|生理性)?[\s的]*"),
            coord=re.compile(r"[或及和与、/]"),
            max_gap=4,
            neg_coord_gap=re.compile(r"[\s影灶区像块结节状样]{0,4}[或及和与、/][\s]*"),
            suv_value=re.compile(r"[\s为约是:=]{0,3}0"),
            part_gap=re.compile(_ZH_PART_GAP),
            position=re.compile("|".join(map(re.escape, suffixes))),
        )
    else:
        regex = re.compile(rf"(?<![a-z0-9])(?:{trie})(?![a-z0-9])")
        grammar = _Grammar(
            lang=lang,
            table=table,
            regex=regex,
            region_gap=_words_gap(
                "and or the left right bilateral both multiple several enlarged small prominent few a some level "
                "station stations region regions side sided no any mildly slightly borderline subcentimeter "
                "subcentimetric upper lower deep superficial anterior posterior ii iii iv v vi"
            ),
            organ_gap=_words_gap("the left right and or region area side"),
            forward_gap=_words_gap(
                "in at of within involving the left right bilateral both and or region regions area areas is are "
                "seen located noted identified"
            ),
            # a parenthesis ends a negation's scope: "no FDG uptake (photopenic)" restates, it does not negate
            neg_gap=_words_gap(
                "of any evidence the a an in is are was were be been seen noted detected identified demonstrated "
                "or and nor to 0f",
                punctuation=r"\s,/&-",
            ),
            cmp_before_gap=_words_gap("the that those of normal a surrounding adjacent"),
            cmp_after_gap=_words_gap("the parenchyma parenchymal tissue"),
            coord=re.compile(r"(?:\bor\b|\band\b|\bnor\b|/|,)"),
            max_gap=24,
            neg_coord_gap=re.compile(r"[\sa-z-]{0,24}?\b(?:or|and|nor)\b\s*"),
            suv_value=re.compile(r"[\s:=]{0,3}(?:of\s)?0"),
        )
    _GRAMMARS[lang] = grammar
    return grammar


# ----------------------------------------------------------------------------------------------- text


# Template brackets go; dashes are one; the traditional forms of common report characters (and the variant 內) read as
# their simplified forms: 縱隔淋巴結攝取增高 is 纵隔淋巴结摄取增高.
_TRADITIONAL = "縱結攝濃臟腎頸膽腸異見無顯謝區側雙兩狀門後節減損變點頜鎖體靜脈為約較於彌輕內腦髖盤傷腫塊發現處線顱"
_SIMPLIFIED = "纵结摄浓脏肾颈胆肠异见无显谢区侧双两状门后节减损变点颌锁体静脉为约较于弥轻内脑髋盘伤肿块发现处线颅"
_DELETE = str.maketrans(
    {"[": None, "]": None, "【": None, "】": None, "‐": "-", "‑": "-", "–": "-", "—": "-"}
    | dict(zip(_TRADITIONAL, _SIMPLIFIED, strict=True))
)
_NEWLINES_RE = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+")
_SPACES_RE = re.compile(r"\s+")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Spaces between two ideographs carry nothing (肝脏 FDG 摄取 增 高); a line break after an ideograph or a comma and
# before an ideograph or a letter, or between two lower-case English words, is a wrapped line inside a sentence, not
# a sentence end (a line that ends with 。 or is followed by "2." still ends its sentence).
_CJK_SPACE_RE = re.compile(rf"(?<=[{_CJK}])[^\S\r\n]+(?=[{_CJK}])")
_WRAP_ZH_RE = re.compile(rf"(?<=[{_CJK}，、,：:（(])[^\S\r\n]*(?:\r\n|[\r\n])[^\S\r\n]*(?=[{_CJK}a-zA-Z])")
_WRAP_EN_RE = re.compile(r"(?<=[a-z,])[^\S\r\n]*(?:\r\n|[\r\n])[^\S\r\n]*(?=[a-z])")
# Sentence ends, on the raw text (full-width and small forms included); "." only before whitespace, the end or an
# ideograph, or after an ideograph (not in a number: digits are masked as 0 before splitting, "3.7" is "0.0").
_SENTENCE_END_RE = re.compile(
    rf"([。｡;；﹔!！﹗?？﹖\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]|[.．﹒](?=\s|$|[{_CJK}])|(?<=[{_CJK}])[.．﹒])"
)
_CLAUSE_END_RE = re.compile(r",|:(?!\s?0)")  # after NFKC: ， ： ﹐ ... are , and : (not "SUVmax: 0")
_MEMO_MAX = 200_000
# Every decimal digit (ASCII, full-width, ...) becomes "0"; the lexicon holds no digits.
_DIGIT_RE = re.compile(r"\d")

# (lang, raw sentence[, node groups carried in]) -> (statements, subject and node groups carried out)
_sentence_memo: dict[tuple, tuple] = {}
# (lang, normalised clause) -> the clause's events (see _clause_summary)
_clause_memo: dict[tuple, tuple] = {}


def clear_cache() -> None:
    """Forget memoised sentence and clause analyses (they only save time; results never depend on them)."""
    _sentence_memo.clear()
    _clause_memo.clear()


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().translate(_DELETE)
    text = _NEWLINES_RE.sub("。", text)
    text = _CJK_SPACE_RE.sub("", text)
    return _SPACES_RE.sub(" ", text)


def _resolve_lang(text: str, lang: str) -> str:
    lang = check_lang(lang)
    return detect_lang(text) if lang == "auto" else lang


def _raw_sentences(text: str) -> list[str]:
    text = _WRAP_EN_RE.sub(" ", _WRAP_ZH_RE.sub("", text))
    parts = _SENTENCE_END_RE.split(text)  # [sentence, end, sentence, end, ..., tail]
    sentences = [a + b for a, b in zip(parts[:-1:2], parts[1::2], strict=True)]
    if parts[-1]:
        sentences.append(parts[-1])
    return sentences


# ----------------------------------------------------------------------------------------------- extraction


def extract_uptake(text: str, lang: str = "auto") -> dict[str, frozenset[str]]:
    """Uptake states per organ asserted by a report (the rules: ``docs/ce.md``).

    Args:
        text: the report (findings and/or impression).
        lang: ``"zh"``, ``"en"`` or ``"auto"`` (CJK share of the letters, see ``pet2rep.text.detect_lang``).

    Returns:
        ``{organ: frozenset(states)}`` for every organ of :data:`ORGANS`, in that order; an empty set is normal.

    Raises:
        InputError: ``text`` is not a string or ``lang`` is not valid.
    """
    labels: dict[str, set[str]] = {organ: set() for organ in ORGANS}
    for statement in _statements(text, lang):
        if statement[2]:
            for organ in statement[1]:
                labels[organ] |= statement[2]
    return {organ: frozenset(states) for organ, states in labels.items()}


def explain_uptake(text: str, lang: str = "auto") -> list[UptakeStatement]:
    """Every uptake statement found, in text order: its normalised sentence (digits as 0), subject organs (scored
    only), states, the cue words that decided it and the rules applied (see :class:`UptakeStatement`)."""
    return [UptakeStatement(*statement) for statement in _statements(text, lang)]


def _statements(text: str, lang: str) -> list[tuple]:
    """The uptake statements of a report as (sentence, organs, states, cues, notes), sentence by sentence.

    A sentence's outcome depends only on its text and on what the previous sentences carry into it (the subject
    for carry-over, the node groups for a bare 淋巴结), so it is memoised on those: templated reports repeat most
    sentences. Numbers never matter here (sizes, SUV values): digits are masked first, for more memo hits.
    """
    if not isinstance(text, str):
        raise InputError(f"report must be a str; got {type(text).__name__}")
    lang = _resolve_lang(text, lang)
    g = _grammar(lang)
    memo = _sentence_memo
    subjects: frozenset = frozenset()
    groups: frozenset | None = None
    out = []
    for raw in _raw_sentences(_DIGIT_RE.sub("0", text)):
        # Most sentences do not depend on the node groups carried in: try the key without them first.
        key = (lang, raw)
        outcome = memo.get(key)
        if outcome is None:
            outcome = _analyse_sentence(raw, g, _INHERIT)
            if outcome is _DEPENDS_ON_GROUPS:
                memo[key] = outcome
        if outcome is _DEPENDS_ON_GROUPS:
            key = (lang, raw, groups)
            outcome = memo.get(key)
            if outcome is None:
                outcome = _analyse_sentence(raw, g, groups)
        if key not in memo:
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[key] = outcome
        statements, out_subjects, groups, leading = outcome
        for ev in leading:
            if out:
                s, organs, states, cues, notes = out[-1]
                new = _compare(states, ev[1], ev[2])
                out[-1] = (s, organs, new, (*cues, ev[3]), (*notes, _compare_note(ev, states, new)))
        for statement in statements:
            if statement[1] is _CARRY:
                statement = (statement[0], subjects, *statement[2:-1], (*statement[-1], "subject carried over"))
            else:
                subjects = statement[1]
            out.append(statement)
        if out_subjects is not _CARRY:
            subjects = out_subjects
    return out


class _Carry(frozenset):
    """Stands for the subject carried into a sentence (its value is filled in per report)."""


_CARRY = _Carry()
_INHERIT = object()  # node groups not known while analysing: a sentence that needs them says so
_DEPENDS_ON_GROUPS = object()


def _compare(states: frozenset, rel: str | None, ref_kind: str | None) -> frozenset:
    """The states of a statement after a comparison with a reference (``docs/ce.md``, rule C)."""
    if rel == "above":
        return states | {_INC}
    if rel in ("equal", "below"):
        if ref_kind == "liver":
            return states - {_INC}  # at or below the liver: normal
        if ref_kind == "local" and rel == "below":
            return (states - {_INC}) | {_DEC}  # below the surrounding tissue: decreased
    return states


def _analyse_sentence(raw: str, g: _Grammar, prev_groups):
    """Statements of one sentence, the subject it hands on (``_CARRY``: unchanged) and its located node groups.

    With ``prev_groups=_INHERIT`` a sentence whose bare lymph-node mention needs the previous sentence's node
    groups returns ``_DEPENDS_ON_GROUPS`` instead.
    """
    norm = _normalize(raw)
    sentence = norm.strip()
    memo = _clause_memo
    last_groups = prev_groups
    located = None
    last_subjects: frozenset = _CARRY
    statements: list[tuple] = []
    pending: list[frozenset] = []  # subjects named since the last statement, earlier clauses included
    leading: list[tuple] = []  # comparisons before the sentence's first statement: they qualify the previous one
    lesion = False  # a lesion (结节, 肿块, 淋巴结 ...) named so far in the sentence
    node_context = False  # a lymph node named so far in the sentence: a locator places it
    named = False  # a place named so far in the sentence: a locator's places locate it
    physiological = False  # a physiological reading stated in the sentence: no lesion uptake is inferred after it
    start = 0
    for end in [m.end() for m in _CLAUSE_END_RE.finditer(norm)] + [len(norm)]:
        text = norm[start:end]
        start = end
        key = (g.lang, text)
        events = memo.get(key)
        if events is None:
            events = _clause_summary(text, g)
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[key] = events
        if not events:
            continue
        # Resolve lymph-node groups (a bare node mention takes the last located groups) and locators.
        resolved = []
        locating = False
        located_here: list[str] = []
        for ev in events:
            kind = ev[0]
            if kind == "n":
                value = ev[1]
                if value is None:
                    if last_groups is _INHERIT:
                        return _DEPENDS_ON_GROUPS
                    value = last_groups or frozenset()
                else:
                    last_groups = located = value
                node_context = named = True
                resolved.append(("m", frozenset(x for x in value if x is not None)))
            elif kind == "m":
                if locating and node_context:  # 淋巴结 ... 较大者位于胰腺后方: a place of the nodes
                    resolved.append(("m", frozenset(x for x in ev[2] if x is not None)))
                    located_here.append(ev[3])
                elif locating and named:  # 脾脏…，长轴位于左侧第0后肋之间: a place of what was named, not a subject
                    continue
                else:
                    resolved.append(("m", ev[1]))
                named = True
            elif kind == "l":
                locating = True
            elif kind == "x":
                lesion = True
            else:
                resolved.append(ev)
        clause_pending: list[frozenset] = []
        used: set[int] = set()
        for i, ev in enumerate(resolved):
            kind = ev[0]
            if kind == "m":
                if i not in used:
                    clause_pending.append(ev[1])
                continue
            if kind == "c":  # a comparison clause (约平肝脏, 高于肝脏) qualifies the statement before it
                if statements:
                    s, organs, states, cues, notes = statements[-1]
                    new = _compare(states, ev[1], ev[2])
                    statements[-1] = (s, organs, new, (*cues, ev[3]), (*notes, _compare_note(ev, states, new)))
                else:  # ... also across a sentence end (摄取弥漫性分布。高于肝脏)
                    leading.append(ev)
                continue
            _, states, flags, cues, notes = ev
            if "physio_only" in flags:
                physiological = True
            if "physio_only" in flags and statements and not clause_pending:
                # 局部放射性浓聚，考虑生理性摄取: the physiological reading stated later makes the statement normal
                s, organs, prev_states, prev_cues, prev_notes = statements[-1]
                statements[-1] = (
                    s,
                    organs,
                    prev_states - {_INC, _DEC},
                    (*prev_cues, *cues),
                    (*prev_notes, "physiological stated later: normal"),
                )
                continue
            if "weak" in flags and lesion and not physiological:
                states = frozenset({_INC})
                notes = (*notes, "a lesion with an uptake noun and a degree or a SUV value, no state word: increased")
            post = []
            for j in range(i + 1, len(resolved)):
                if resolved[j][0] != "m":
                    break
                post.append(j)
            if clause_pending:
                subjects = clause_pending
            elif g.lang == "en" and post:
                subjects = [resolved[j][1] for j in post]
                used.update(post)
            elif pending:
                subjects = pending
            elif post:
                subjects = [resolved[j][1] for j in post]
                used.update(post)
            else:
                subjects = []
            pending = []
            clause_pending = []
            if subjects:
                last_subjects = frozenset().union(*subjects)
            statements.append((sentence, last_subjects, states, cues, notes))
        if located_here and clause_pending and statements:
            # the nodes' places named after their statement (较大者位于右侧髂血管旁) take the same states
            s, organs, states, cues, notes = statements[-1]
            groups = frozenset().union(*clause_pending)
            if groups - organs:
                note = f"locator: {'、'.join(located_here)} places the lymph nodes"
                statements.append((sentence, groups, states, cues, (*notes, note)))
            clause_pending = []
        pending = pending + clause_pending
    if pending:
        last_subjects = frozenset().union(*pending)
    return tuple(statements), last_subjects, located, tuple(leading)


def _compare_note(ev: tuple, before: frozenset, after: frozenset) -> str:
    _, rel, ref_kind, cue = ev
    return f"comparison {cue!r} ({rel}, reference {ref_kind}): {_states_word(before)} -> {_states_word(after)}"


def _states_word(states: frozenset) -> str:
    return "+".join(sorted(states)) or "normal"


def _clause_summary(text: str, g: _Grammar) -> tuple:
    """One clause as a sequence of events.

    ``("m", organs, node_groups, word)`` a place mention (organs empty: not scored), ``("n", groups, word)`` a
    lymph-node mention (groups ``None``: no location in the clause), ``("s", states, flags, cues, notes)`` an
    uptake statement, ``("c", relation, reference kind, cue)`` a comparison without an uptake noun, ``("x",)`` a
    lesion is named (not negated), ``("l",)`` a locator (位于).
    """
    table = g.table
    clause = [_Element(m.start(), m.end(), table[m.group()], m.group()) for m in g.regex.finditer(text)]
    if not clause:
        return ()
    _resolve_mentions(text, clause, g)
    return tuple(_clause_events(text, clause, g))


def _mention_event(el: _Element) -> tuple:
    if el.term.kind == "node":
        return ("n", el.organs, el.text)
    return ("m", el.organs, el.groups, el.text)


def _resolve_mentions(norm: str, clause: list[_Element], g: _Grammar) -> None:
    """Read the place words of one clause (``docs/ce.md``, rules P1-P6).

    Sets ``organs`` on every mention (what it names as a subject; on a lymph-node mention the frozenset of node
    groups, ``None`` for a group that is not scored, or ``None`` when the clause names no location for it) and
    ``groups`` (the node groups it names when it locates a node); marks comparison references and the place words
    that only locate another one as consumed.
    """
    # P1: a comparison reference is not a subject (高于肝脏, 较周围脾实质, 肝脏本底, 与纵隔血池相仿)
    if any(e.term.cmp or e.term.kind == "cmp_after" for e in clause):
        for i, el in enumerate(clause):
            if el.term.kind not in _PLACE_KINDS:
                continue
            before = clause[i - 1] if i else None
            if before is not None and before.term.kind == "normal" and i >= 2:  # 较正常肝组织: look past 正常
                before = clause[i - 2]
            after = clause[i + 1] if i + 1 < len(clause) else None
            hit_before = (
                before is not None and before.term.cmp and g.cmp_before_gap.fullmatch(norm, before.end, el.start)
            )
            hit_after = (
                after is not None
                and after.term.kind == "cmp_after"
                and g.cmp_after_gap.fullmatch(norm, el.end, after.start)
            )
            if hit_before or hit_after:
                el.consumed = el.reference = True
                local_from = before.end if hit_before else max(0, el.start - 4)
                local = _LOCAL_RE.search(norm, local_from, el.start) is not None
                kind = "local" if local else "liver" if "liver" in el.term.organs else "other"
                for cue in (before if hit_before else None, after if hit_after else None):
                    if cue is not None:
                        cue.ref_kind = kind
    mentions = [el for el in clause if el.term.kind in _MENTION_KINDS and not el.consumed]
    for el in mentions:
        kind = el.term.kind
        if kind == "organ":
            el.organs = frozenset(el.term.organs)
            el.groups = frozenset(lx.ORGAN_NODE_GROUP[o] for o in el.term.organs)
        elif kind == "region":
            el.groups = frozenset(el.term.organs)
            if el.term.station:  # P4: a station named without 淋巴结 counts as its node group
                el.organs = el.groups - {None}
    # P2: a lymph node takes its groups from the places listed right before it (or, in English, right after it)
    last_groups = None
    for i, el in enumerate(mentions):
        if el.term.kind == "node":
            chain = _place_chain(norm, mentions, i, g, _PLACE_KINDS)
            if not chain and g.forward_gap is not None:
                prev = el
                for cand in mentions[i + 1 :]:
                    if cand.term.kind not in ("organ", "region"):
                        break
                    gap = g.forward_gap if prev is el else g.region_gap
                    if not gap.fullmatch(norm, prev.end, cand.start):
                        break
                    chain.append(cand)
                    prev = cand
            if chain:
                groups = set()
                for cand in chain:
                    cand.consumed = True
                    groups.update(cand.groups)
                last_groups = frozenset(groups)
            el.organs = last_groups
    # P3: an unscored tissue heads the places listed before it (双侧颈部及椎旁脂肪间隙, 乳腺皮肤)
    for i, el in enumerate(mentions):
        if el.term.tissue and not el.consumed:
            for cand in _place_chain(norm, mentions, i, g, _PLACE_KINDS):
                cand.consumed = True
    if g.part_gap is None:
        return
    # P5: of two place words with only sides and parts between them, the first locates the second (腹部胃, 第0腰椎水平
    # 左腰大肌); a station right after an organ and followed by a positional suffix lies in the organ (右肺中叶肺门旁)
    places = [el for el in mentions if not el.consumed and el.term.kind in _PLACE_KINDS]
    for a, b in itertools.pairwise(places):
        if a.consumed or not g.part_gap.fullmatch(norm, a.end, b.start):
            continue
        if a.term.kind == "organ" and b.term.kind == "region" and g.position.match(norm, b.end):
            b.consumed = True
        else:
            a.consumed = True
    # P6: an organ followed by a positional suffix names a place beside it, not the organ (胰腺后方, 胃后方)
    for el in places:
        if not el.consumed and el.term.kind == "organ" and g.position.match(norm, el.end):
            el.organs = frozenset()


def _place_chain(norm: str, mentions: list[_Element], i: int, g: _Grammar, kinds: tuple) -> list[_Element]:
    """The place words listed right before ``mentions[i]`` (joined by list words, sides, quantities, stations)."""
    chain: list[_Element] = []
    nxt = mentions[i]
    for cand in reversed(mentions[:i]):
        if cand.consumed or cand.term.kind not in kinds:
            break
        station = cand.term.kind == "region" or (cand.term.kind == "organ" and cand.term.organs[0] in _STATION_ORGANS)
        gap = g.region_gap if station or cand.term.kind == "unscored" else g.organ_gap
        if not gap.fullmatch(norm, cand.end, nxt.start) and not (
            g.part_gap is not None and g.part_gap.fullmatch(norm, cand.end, nxt.start)
        ):
            break
        chain.append(cand)
        nxt = cand
    return chain


# organs whose name, in a list of node places, is a nodal station (右侧腮腺、双颈部多发淋巴结: intraparotid nodes)
_STATION_ORGANS = frozenset({"salivary_gland"})
_LESION_CT_WORDS = frozenset({"增厚", "肿大", "enlarged", "thickening"})


def _is_lesion(el: _Element) -> bool:
    kind = el.term.kind
    return kind in ("lesion", "node") or (kind == "ct" and el.text in _LESION_CT_WORDS)


def _clause_events(norm: str, clause: list[_Element], g: _Grammar) -> list:
    """The clause as an ordered list of events (see :func:`_clause_summary`)."""
    out: list = []
    seen_neg = False
    for el in clause:
        if el.term.kind == "neg":
            seen_neg = True
        elif _is_lesion(el) and not seen_neg:
            out.append(("x",))
            break
    if not any(el.term.uptake for el in clause):  # no uptake noun: no statement; mentions, locators, comparisons
        ct = any(el.term.kind == "ct" for el in clause)  # 密度高于肝脏 compares densities, not uptake
        for el in clause:
            kind = el.term.kind
            if kind in _MENTION_KINDS:
                if not (el.consumed and kind != "node"):
                    out.append(_mention_event(el))
            elif kind == "locator":
                out.append(("l",))
            elif el.term.rel is not None and not ct:
                out.append(("c", el.term.rel, el.ref_kind or "other", el.text))
        kinds = {el.term.kind for el in clause}
        if "physio" in kinds and "neg" not in kinds and not _ALTERNATIVE_RE.search(norm):
            # 考虑生理性 without an uptake noun: a physiological reading of what came before (S4)
            out.append(("s", frozenset(), frozenset({"physio_only"}), tuple(e.text for e in clause), ()))
        return out
    events: list = []
    cluster: list[_Element] = []
    clusters: list[tuple[int, list[_Element]]] = []  # (index in events, cluster)
    carry_neg: tuple[_Element, int] | None = None  # a negation open across a CT phrase: 未见异常密度影或 ...

    def close():
        if cluster:
            clusters.append((len(events), list(cluster)))
            events.append(None)  # placeholder
            cluster.clear()

    for el in clause:
        kind = el.term.kind
        if kind in _MENTION_KINDS:
            if el.reference:  # 摄取较肝脏增高: the reference neither ends the statement nor is its subject
                continue
            close()
            carry_neg = None
            if not (el.consumed and kind != "node"):
                events.append(el)
            continue
        if kind in ("lesion", "part"):
            continue
        if kind == "locator":
            close()
            carry_neg = None
            events.append(("l",))
            continue
        if kind in ("ct", "break"):
            carry_neg = _open_negation(cluster, el) if kind == "ct" else None
            close()
            continue
        if cluster and el.start - cluster[-1].end > g.max_gap:
            close()
        if not cluster and carry_neg is not None:
            neg, after = carry_neg
            if g.neg_coord_gap.fullmatch(norm, after, el.start):
                # N2: the negation governs both members of the coordination (未见异常密度影或异常放射性浓聚灶)
                cluster.append(_Element(el.start, el.start, neg.term, neg.text + "…"))
            carry_neg = None
        cluster.append(el)
    close()

    # English: "FDG uptake in the liver is increased", "increased bone marrow uptake" -> one statement.
    if g.lang == "en":
        merged: list[tuple[int, list[_Element]]] = []
        for idx, els in clusters:
            if merged:
                p_idx, p_els = merged[-1]
                between = events[p_idx + 1 : idx]
                if (
                    _has_uptake(p_els) != _has_uptake(els)
                    and _has_state(p_els) != _has_state(els)
                    and _has_uptake(p_els) != _has_state(p_els)
                    and all(isinstance(e, _Element) for e in between)
                ):
                    events[p_idx] = "drop"
                    merged[-1] = (idx, p_els + els)
                    continue
            merged.append((idx, els))
        clusters = merged
    for idx, els in clusters:
        events[idx] = _cluster_statement(norm, els, g)
    for ev in events:
        if ev is None or isinstance(ev, str):
            continue
        out.append(_mention_event(ev) if isinstance(ev, _Element) else ev)
    return out


def _open_negation(cluster: list[_Element], ct: _Element) -> tuple[_Element, int] | None:
    """A negation cue still open when a CT word ends its cluster (未见[明显]异常 密度 ...), with the CT word's end."""
    for i in range(len(cluster) - 1, -1, -1):
        kind = cluster[i].term.kind
        if kind == "neg":
            return cluster[i], ct.end
        if kind not in ("abnormal", "degree"):
            return None
    return None


def _has_uptake(els: Sequence[_Element]) -> bool:
    return any(e.term.uptake for e in els)


def _has_state(els: Sequence[_Element]) -> bool:
    return any(e.term.kind in _STATE_BEARING for e in els)


def _cluster_statement(norm: str, els: list[_Element], g: _Grammar):
    """The statement event of a cluster of statement words, or "drop" when it is none (``docs/ce.md``, rules S, N)."""
    if not _has_uptake(els):
        return "drop"
    cmp_cue = any(e.term.cmp or e.term.rel is not None for e in els)
    if any(e.term.ref for e in els) and not cmp_cue:
        return "drop"  # R: a reference value (纵隔血池SUVmax 2.0, 肝脏本底) is never a finding
    negated = [False] * len(els)
    states: set[str] = set()
    notes: list[str] = []
    for i, el in enumerate(els):
        kind = el.term.kind
        if kind == "neg":
            scope = []
            j = i + 1
            while j < len(els) and g.neg_gap.fullmatch(norm, els[j - 1].end, els[j].start):
                scope.append(j)
                k = els[j].term.kind
                if k in ("state", "normal", "physio"):
                    nxt = j + 1
                    if nxt >= len(els):
                        break
                    # coordinated (增高或减低) or juxtaposed states (稀疏缺损) share the negation
                    juxtaposed = k == els[nxt].term.kind == "state" and els[j].end == els[nxt].start
                    if not juxtaposed and not g.coord.search(norm, els[j].end, els[nxt].start):
                        break
                j += 1
            if scope and scope[-1] == len(els) - 1 and all(els[j].term.kind in ("abnormal", "degree") for j in scope):
                # N1: a cue that ends the run after only 明显/异常 is predicative (放射性浓聚未见明显异常): it negates
                # the run before it, back to the previous negation
                back = []
                for j in range(i - 1, -1, -1):
                    if els[j].term.kind in ("neg", "postneg"):
                        break
                    back.append(j)
                scope = back + scope
            _apply_negation(els, scope, negated, states, notes, el)
        elif kind == "postneg":
            scope = []
            j = i - 1
            while j >= 0 and els[j].term.kind not in ("neg", "postneg"):
                if not g.neg_gap.fullmatch(norm, els[j].end, els[j + 1].start) and not _copula(
                    norm, els[j], els[j + 1]
                ):
                    break
                scope.append(j)
                j -= 1
            _apply_negation(els, scope, negated, states, notes, el)
    physiological = any(el.term.kind == "physio" and not negated[i] for i, el in enumerate(els))
    stated = False
    for i, el in enumerate(els):
        if el.term.state is not None and not negated[i]:
            stated = True
            if physiological and el.term.state != _ABS:
                notes.append(f"physiological {el.text!r}: normal")
                continue  # 生理性浓聚, physiologic increased uptake: normal
            states.add(el.term.state)
    flags = set()
    rel_cues = [e for e in els if e.term.rel is not None and not negated[els.index(e)]]
    if rel_cues:
        cue = rel_cues[-1]
        ref_kind = cue.ref_kind or next((e.ref_kind for e in els if e.ref_kind), None) or "other"
        before = frozenset(states)
        states = set(_compare(before, cue.term.rel, ref_kind))
        if states != before:
            notes.append(_compare_note(("c", cue.term.rel, ref_kind, cue.text), before, frozenset(states)))
    elif physiological and not stated and not _ALTERNATIVE_RE.search(norm):
        flags.add("physio_only")
    if (
        not states
        and not _has_state(els)
        and not any(e.term.kind in ("neg", "postneg") or e.term.cmp for e in els)
        and any(
            e.term.intensity or (e.term.uptake and e.text.startswith("suv") and g.suv_value.match(norm, e.end))
            for e in els
        )
    ):
        flags.add("weak")
    cues = tuple(e.text for e in els)
    return ("s", frozenset(states), frozenset(flags), cues, tuple(notes))


# 考虑炎性摄取或生理性摄取: physiological as one alternative does not cancel the statement
_ALTERNATIVE_RE = re.compile(r"或|\bor\b")


_COPULA_RE = re.compile(r"(?:\s|\bis\b|\bare\b|\bwas\b|\bwere\b|\bbe\b|\bbeen\b)*")


def _copula(norm: str, a: _Element, b: _Element) -> bool:
    return bool(_COPULA_RE.fullmatch(norm, a.end, b.start))


def _apply_negation(els, scope, negated, states, notes, cue) -> None:
    bearing = [j for j in scope if els[j].term.kind in _STATE_BEARING]
    if bearing:
        for j in bearing:
            negated[j] = True
        notes.append(f"negation {cue.text!r} over {' '.join(els[j].text for j in bearing)}: normal")
    elif any(els[j].term.uptake for j in scope):
        states.add(_ABS)
        notes.append(f"negation {cue.text!r} of an uptake noun: absent")


# ----------------------------------------------------------------------------------------------- scoring


def label_matrix(labels: Sequence[dict[str, frozenset[str]]]):
    """Stack extracted labels into a boolean array of shape (cases, organs, states) in ORGANS x STATES order."""
    import numpy as np

    out = np.zeros((len(labels), len(ORGANS), len(STATES)), dtype=bool)
    state_index = {state: s for s, state in enumerate(STATES)}
    for c, lab in enumerate(labels):
        for o, organ in enumerate(ORGANS):
            for state in lab.get(organ, ()):
                out[c, o, state_index[state]] = True
    return out


def prf(tp, pred_pos, true_pos):
    """Precision, recall, F1 from counts (numpy arrays or scalars), 0 where a denominator is 0.

    F1 is ``2 tp / (pred_pos + true_pos)``, which is how scikit-learn computes it (equal to 2PR/(P+R)).
    """
    import numpy as np

    tp = np.asarray(tp, dtype=np.float64)
    pred_pos = np.asarray(pred_pos, dtype=np.float64)
    true_pos = np.asarray(true_pos, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(pred_pos > 0, tp / np.where(pred_pos > 0, pred_pos, 1), 0.0)
        recall = np.where(true_pos > 0, tp / np.where(true_pos > 0, true_pos, 1), 0.0)
        denom = pred_pos + true_pos
        f1 = np.where(denom > 0, 2 * tp / np.where(denom > 0, denom, 1), 0.0)
    return precision, recall, f1


def ce_scores(pred, ref) -> dict:
    """CE precision/recall/F1 of predicted vs reference label arrays (see :func:`label_matrix`).

    Returns ``ce_precision``, ``ce_recall``, ``ce_f1`` (macro over the states: scikit-learn's
    ``precision_recall_fscore_support(Y_ref, Y_pred, average="macro", zero_division=0)`` on the
    (case x organ) x state indicator matrices), the per-state ``ce_<metric>_<state>`` and ``per_organ``: for each
    organ the micro average over its three state columns, with reference (``support``) and predicted counts.
    """
    import numpy as np

    tp = (pred & ref).sum(axis=0)  # (organs, states)
    pp = pred.sum(axis=0)
    rp = ref.sum(axis=0)
    p_state, r_state, f_state = prf(tp.sum(axis=0), pp.sum(axis=0), rp.sum(axis=0))
    out: dict = {
        "ce_precision": float(np.mean(p_state)),
        "ce_recall": float(np.mean(r_state)),
        "ce_f1": float(np.mean(f_state)),
    }
    for s, state in enumerate(STATES):
        out[f"ce_precision_{state}"] = float(p_state[s])
        out[f"ce_recall_{state}"] = float(r_state[s])
        out[f"ce_f1_{state}"] = float(f_state[s])
    p_org, r_org, f_org = prf(tp.sum(axis=1), pp.sum(axis=1), rp.sum(axis=1))
    out["per_organ"] = {
        organ: {
            "precision": float(p_org[o]),
            "recall": float(r_org[o]),
            "f1": float(f_org[o]),
            "support": {state: int(rp[o, s]) for s, state in enumerate(STATES)},
            "predicted": {state: int(pp[o, s]) for s, state in enumerate(STATES)},
        }
        for o, organ in enumerate(ORGANS)
    }
    return out


def ce_bootstrap_std(pred, ref, n_resamples: int, seed: int) -> dict[str, float]:
    """Standard deviation (ddof=1) of every CE score over ``n_resamples`` bootstrap resamples of the cases.

    Resample b takes the cases ``numpy.random.default_rng(seed).integers(0, n, size=(n_resamples, n))[b]`` (with
    replacement) and is scored exactly as :func:`ce_scores` scores those cases. Keys: ``ce_precision_std`` ... and
    per state.
    """
    import numpy as np

    n = pred.shape[0]
    counts = np.concatenate(
        [(pred & ref).sum(axis=1), pred.sum(axis=1), ref.sum(axis=1)], axis=1, dtype=np.float64
    )  # (cases, 3 x states): true positives, predicted, reference
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(n_resamples, n))
    offsets = (np.arange(n_resamples) * n)[:, None]
    weights = np.bincount((draws + offsets).ravel(), minlength=n_resamples * n).reshape(n_resamples, n)
    totals = weights.astype(np.float64) @ counts  # (B, 3 x states)
    k = len(STATES)
    p, r, f = prf(totals[:, :k], totals[:, k : 2 * k], totals[:, 2 * k :])  # (B, states)
    out = {
        "ce_precision_std": float(np.std(p.mean(axis=1), ddof=1)),
        "ce_recall_std": float(np.std(r.mean(axis=1), ddof=1)),
        "ce_f1_std": float(np.std(f.mean(axis=1), ddof=1)),
    }
    for s, state in enumerate(STATES):
        out[f"ce_precision_{state}_std"] = float(np.std(p[:, s], ddof=1))
        out[f"ce_recall_{state}_std"] = float(np.std(r[:, s], ddof=1))
        out[f"ce_f1_{state}_std"] = float(np.std(f[:, s], ddof=1))
    return out
