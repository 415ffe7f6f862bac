"""The lexicon grammar: the term tables of :mod:`pet2rep.text.ce.lexicon` compiled per language (``docs/ce.md`` §4).

:func:`grammar` builds, once per language, the table term -> :class:`Term` (its kind and flags), one trie-shaped
regex that finds every term by the longest match (whole words in English), and the gap patterns the place and
statement rules test between two terms (what may stand between a node region and 淋巴结, inside a negation's scope,
around a comparison reference ...). An :class:`Element` is one term found in a clause, with what the rules of
:mod:`~pet2rep.text.ce.mentions` decide about it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pet2rep.text.ce import lexicon as lx
from pet2rep.text.ce.sentences import normalize
from pet2rep.vocab import STATES

INC, DEC, ABS = STATES
MENTION_KINDS = {"organ", "unscored", "region", "node"}  # the place words (mentions) of docs/ce.md §1
PLACE_KINDS = ("organ", "region", "unscored")


@dataclass(frozen=True, slots=True)
class Term:
    """What a lexicon term is: its kind (organ, region, node, uptake, state, neg, ...) and the flags the rules read."""

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
class Element:
    """One term found in a clause (its span and text), with what the place rules (P1-P6) decide about it."""

    start: int
    end: int
    term: Term
    text: str
    organs: frozenset = frozenset()  # what the mention names when it is a subject (None: unlocated node)
    groups: frozenset = frozenset()  # the node groups it names when it locates a lymph node
    consumed: bool = False
    reference: bool = False  # a comparison reference (较肝脏, 高于肝脏本底): inside its statement, not a subject
    ref_kind: str | None = None  # on a comparison cue: its reference is "liver", "local" tissue or "other"


def _split(terms: str, lang: str) -> list[str]:
    return [t for t in (terms.split("|") if lang == "en" else terms.split()) if t]


def _build_lexicon(lang: str) -> dict[str, Term]:
    g = {name: getattr(lx, f"{name}_{lang.upper()}") for name in _LEXICON_NAMES}
    table: dict[str, Term] = {}

    def add(term: str, spec: Term) -> None:
        term = normalize(term)
        if any(ch.isdecimal() for ch in term):
            raise RuntimeError(f"lexicon term {term!r} holds a digit; digits are masked before matching")
        if term in table and table[term] != spec:
            raise RuntimeError(f"lexicon conflict for {term!r}: {table[term]} vs {spec}")
        table[term] = spec

    for organ, terms in g["ORGAN_TERMS"].items():
        for t in _split(terms, lang):
            add(t, Term("organ", organs=(organ,)))
    for t, organs in g["MULTI_ORGAN_TERMS"].items():
        add(t, Term("organ", organs=tuple(organs)))
    for group, terms in g["REGION_TERMS"].items():
        for t in _split(terms, lang):
            add(t, Term("region", organs=(group,)))
    for group, terms in g["NODE_ONLY_REGION_TERMS"].items():
        for t in _split(terms, lang):
            add(t, Term("region", organs=(group,), station=False))
    simple = {
        "UNSCORED_TERMS": Term("unscored"),
        "TISSUE_TERMS": Term("unscored", tissue=True),
        "NODE_TERMS": Term("node"),
        "UPTAKE_TERMS": Term("uptake", uptake=True),
        "INC_TERMS": Term("state", state=INC),
        "INC_UPTAKE_TERMS": Term("state", state=INC, uptake=True),
        "INC_CMP_TERMS": Term("state", state=INC, cmp=True, rel="above"),
        "DEC_TERMS": Term("state", state=DEC),
        "DEC_UPTAKE_TERMS": Term("state", state=DEC, uptake=True),
        "ABS_TERMS": Term("state", state=ABS),
        "ABS_UPTAKE_TERMS": Term("state", state=ABS, uptake=True),
        "CMP_BELOW_TERMS": Term("cmp_before", cmp=True, rel="below"),
        "CMP_EQUAL_TERMS": Term("cmp_before", cmp=True, rel="equal"),
        "CMP_BEFORE_TERMS": Term("cmp_before", cmp=True),
        "CMP_AFTER_TERMS": Term("cmp_after"),
        "CMP_AFTER_EQUAL_TERMS": Term("cmp_after", rel="equal"),
        "REFERENCE_TERMS": Term("cmp_after", ref=True),
        "NEG_TERMS": Term("neg"),
        "POSTNEG_TERMS": Term("postneg"),
        "ABNORMAL_TERMS": Term("abnormal"),
        "NORMAL_TERMS": Term("normal"),
        "PHYSIO_TERMS": Term("physio"),
        "PHYSIO_UPTAKE_TERMS": Term("physio", uptake=True),
        "DEGREE_TERMS": Term("degree"),
        "INTENSITY_TERMS": Term("degree", intensity=True),
        "LESION_TERMS": Term("lesion"),
        "PART_TERMS": Term("part"),
        "LOCATOR_TERMS": Term("locator"),
        "CT_TERMS": Term("ct"),
        "BREAK_TERMS": Term("break"),
        "UNCERTAIN_TERMS": Term("uncertain"),
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
class Grammar:
    """The term table, the term regex and the gap patterns of one language."""

    lang: str
    table: dict[str, Term]
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


_GRAMMARS: dict[str, Grammar] = {}
# What may stand between a lymph-node region and 淋巴结: lists, sides, sub-regions, quantities, 未见肿大 ...
_ZH_NODE_FILLER = (
    r"\s、,及和与或并以双两左右侧区部周围旁内外间隙上下前后深浅见可未无明显肿大增大稍略多发数枚个小一些部分少许散在的组站处域"
    r"其余它他窝不等0-9ivxabrl()"  # stations: 纵隔(4R、7区)淋巴结 -> "(0r、0区)" after NFKC and digit masking
)
# What may stand between two place words that name one place (no list word): sides, parts, levels
_ZH_PART_GAP = r"[\s左右双两侧前后上下内外中尖底段叶极部区缘壁深浅面方旁周围水平层第0]*"


def _words_gap(words: str, punctuation: str = r"\s,/&()-") -> re.Pattern:
    """An English gap made only of the given words, spaces and light punctuation."""
    alts = "|".join(sorted((re.escape(w) for w in words.split()), key=len, reverse=True))
    return re.compile(rf"(?:[{punctuation}]|'s|(?:{alts})(?![a-z0-9]))*")


def grammar(lang: str) -> Grammar:
    """The compiled grammar of ``lang`` (``"zh"`` or ``"en"``), built on first use and kept."""
    built = _GRAMMARS.get(lang)
    if built is not None:
        return built
    table = _build_lexicon(lang)
    trie = _trie_pattern(table)
    if lang == "zh":
        regex = re.compile(trie)
        suffixes = sorted(_split(lx.POSITION_SUFFIXES_ZH, lang), key=len, reverse=True)
        built = Grammar(
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
        built = Grammar(
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
    _GRAMMARS[lang] = built
    return built
