"""Clinical efficacy (CE): organ-level FDG uptake states extracted from a report, and the CE score.

:func:`extract_uptake` reads a report (Chinese or English) and returns, for each of the 24 organs in
:data:`ORGANS`, the set of uptake states (:data:`STATES`) the report asserts; an empty set means normal (or not
mentioned). :func:`ce_counts` and :func:`ce_scores` turn the extracted labels of prediction/reference pairs into
precision, recall and F1: the macro average over the three states of per-state scores on the binary columns of
every (case, organ) row, exactly scikit-learn's ``precision_recall_fscore_support(average="macro",
zero_division=0)`` on the multilabel indicator matrices.

Extraction rules (issue 3), as implemented:

1. Sentences end at ``。 ； ; ！ ! ？ ?`` (and their small forms), a line break, or a ``.``/``．`` before whitespace
   or the end. Each sentence is normalised (NFKC, lower case, template brackets ``[]【】`` removed, digits read as
   ``0``: numbers never decide anything); clauses end at ``,`` and ``:`` (``，`` ``：`` after NFKC).
2. Find terms (``pet2rep.text.lexicon``) by longest match: organs, unscored anatomy, lymph-node regions, lymph
   nodes, uptake nouns, state words, negation cues, modifiers, CT attribute words, comparison cues.
3. A comparison reference is not a subject: an organ right after a comparison cue (``高于``, ``较``, ``than``,
   ``compared with``; also ``较正常肝组织``, ``较周围正常肺组织``) or right before a comparison noun (``本底``,
   ``血池``, ``background``) is dropped, and the statement it sits in goes on through it (``摄取较肝脏增高``).
4. A lymph-node mention takes its node group from the region and organ terms that directly precede it in the
   clause (joined only by list words, sides, quantities, stations ``(4R、7区)``, ``未见肿大`` ...; English also
   ``lymph nodes in the neck``), and those terms are consumed: ``肝胃间隙淋巴结`` is an abdominal node, not liver or
   stomach. A node mention without a location inherits the group of the previous node mention in the same or previous
   sentence; else it is not scored.
5. Statement words that follow one another closely in a clause form a cluster; the cluster is an uptake
   statement only if it holds an uptake noun (``摄取 代谢 放射性 浓聚 示踪剂 FDG SUV``, ``uptake``,
   ``hypermetabolic`` ...). A CT attribute word (``密度``) or an anatomy mention ends a cluster, so ``密度增高``
   is never uptake.
6. Negation: a cue (``未见 无 未 不 没有``, ``no not without``) negates the state words that follow it in the
   cluster (through modifiers such as ``异常 明显``, coordinations ``增高或减低`` and juxtaposed states
   ``稀疏缺损``): the organ is normal. A cue followed by an uptake noun and no state word is the absent state
   (``未见FDG摄取``, ``无摄取``, ``no FDG uptake``; degree words are transparent: ``未见明显FDG摄取`` is absent too,
   while ``无异常FDG摄取`` is normal). Post-negations (``增高不明显``, ``is not seen``) negate what precedes them.
   Uncertainty cues (``考虑 可能 不除外``) do not negate. A physiological word (``生理性``, ``physiologic``) turns an
   increase or decrease in its statement into normal.
7. Subjects of a statement: the anatomy mentioned earlier in its clause; else (English) the anatomy right after
   it in the clause (``increased uptake in the liver``); else the anatomy mentioned since the previous
   statement in the sentence; else the anatomy right after it (Chinese); else the subject of the previous
   statement or sentence (carry-over). Unscored anatomy (heart, pleura, vessels, axilla) takes statements
   too, so they never fall through to an organ.
8. States accumulate: an organ can be increased and decreased at once; the impression counts like the
   findings.

Sentence and clause analyses are memoised (keyed on everything they depend on): templated reports repeat most
sentences, which is what makes extraction fast. :func:`clear_cache` empties the memos.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pet2rep.errors import InputError
from pet2rep.text import lexicon as lx
from pet2rep.text.tokenize import check_lang, detect_lang

ORGANS: tuple[str, ...] = lx.ORGANS
STATES: tuple[str, ...] = lx.STATES

_INC, _DEC, _ABS = STATES
_STATE_BEARING = {"state", "normal", "abnormal", "physio"}
_MENTION_KINDS = {"organ", "unscored", "region", "node"}


@dataclass(frozen=True, slots=True)
class _Term:
    kind: str
    organs: tuple = ()  # organ keys (organ), node group or None (region)
    state: str | None = None
    uptake: bool = False
    cmp: bool = False


@dataclass(slots=True)
class _Element:
    start: int
    end: int
    term: _Term
    organs: frozenset = frozenset()
    consumed: bool = False
    reference: bool = False  # a comparison reference (较肝脏, 高于肝脏本底): inside its statement, not a subject


@dataclass
class _Statement:
    start: int
    end: int
    states: set = field(default_factory=set)


@dataclass(frozen=True)
class UptakeStatement:
    """One uptake statement found in a report (for inspection and tests)."""

    sentence: str
    organs: frozenset
    states: frozenset


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
    simple = {
        "UNSCORED_TERMS": _Term("unscored"),
        "NODE_TERMS": _Term("node"),
        "UPTAKE_TERMS": _Term("uptake", uptake=True),
        "INC_TERMS": _Term("state", state=_INC),
        "INC_UPTAKE_TERMS": _Term("state", state=_INC, uptake=True),
        "INC_CMP_TERMS": _Term("state", state=_INC, cmp=True),
        "DEC_TERMS": _Term("state", state=_DEC),
        "DEC_UPTAKE_TERMS": _Term("state", state=_DEC, uptake=True),
        "ABS_TERMS": _Term("state", state=_ABS),
        "ABS_UPTAKE_TERMS": _Term("state", state=_ABS, uptake=True),
        "CMP_BEFORE_TERMS": _Term("cmp_before", cmp=True),
        "CMP_AFTER_TERMS": _Term("cmp_after"),
        "NEG_TERMS": _Term("neg"),
        "POSTNEG_TERMS": _Term("postneg"),
        "ABNORMAL_TERMS": _Term("abnormal"),
        "NORMAL_TERMS": _Term("normal"),
        "PHYSIO_TERMS": _Term("physio"),
        "DEGREE_TERMS": _Term("degree"),
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
    "UNSCORED_TERMS",
    "NODE_TERMS",
    "UPTAKE_TERMS",
    "INC_TERMS",
    "INC_UPTAKE_TERMS",
    "INC_CMP_TERMS",
    "DEC_TERMS",
    "DEC_UPTAKE_TERMS",
    "ABS_TERMS",
    "ABS_UPTAKE_TERMS",
    "CMP_BEFORE_TERMS",
    "CMP_AFTER_TERMS",
    "NEG_TERMS",
    "POSTNEG_TERMS",
    "ABNORMAL_TERMS",
    "NORMAL_TERMS",
    "PHYSIO_TERMS",
    "DEGREE_TERMS",
    "CT_TERMS",
    "BREAK_TERMS",
    "UNCERTAIN_TERMS",
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


_GRAMMARS: dict[str, _Grammar] = {}
# What may stand between a lymph-node region and 淋巴结: lists, sides, sub-regions, quantities, 未见肿大 ...
_ZH_NODE_FILLER = (
    r"\s、,及和与或并以双两左右侧区部周围旁内外间隙上下前后深浅见可未无明显肿大增大稍略多发数枚个小一些部分少许散在的组站处域"
    r"其余它他0-9ivxabrl()"  # stations: 纵隔(4R、7区)淋巴结 -> "(0r、0区)" after NFKC and digit masking
)


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
            cmp_before_gap=_words_gap("the that those of normal a"),
            cmp_after_gap=_words_gap("the parenchyma parenchymal tissue"),
            coord=re.compile(r"(?:\bor\b|\band\b|\bnor\b|/|,)"),
            max_gap=24,
        )
    _GRAMMARS[lang] = grammar
    return grammar


# ----------------------------------------------------------------------------------------------- text


_DELETE = str.maketrans({"[": None, "]": None, "【": None, "】": None, "‐": "-", "‑": "-", "–": "-", "—": "-"})
_NEWLINES_RE = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+")
_SPACES_RE = re.compile(r"\s+")
# Sentence ends, on the raw text (full-width and small forms included); "." only before whitespace or the end.
_SENTENCE_END_RE = re.compile(r"([。｡;；﹔!！﹗?？﹖\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]|[.．﹒](?=\s|$))")
_CLAUSE_END_RE = re.compile(r"[,:]")  # after NFKC: ， ： ﹐ ... are , and :
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
    return _SPACES_RE.sub(" ", text)


def _resolve_lang(text: str, lang: str) -> str:
    lang = check_lang(lang)
    return detect_lang(text) if lang == "auto" else lang


def _raw_sentences(text: str) -> list[str]:
    parts = _SENTENCE_END_RE.split(text)  # [sentence, end, sentence, end, ..., tail]
    sentences = [a + b for a, b in zip(parts[:-1:2], parts[1::2], strict=True)]
    if parts[-1]:
        sentences.append(parts[-1])
    return sentences


# ----------------------------------------------------------------------------------------------- extraction


def extract_uptake(text: str, lang: str = "auto") -> dict[str, frozenset[str]]:
    """Uptake states per organ asserted by a report.

    Args:
        text: the report (findings and/or impression).
        lang: ``"zh"``, ``"en"`` or ``"auto"`` (CJK share of the letters, see ``pet2rep.text.detect_lang``).

    Returns:
        ``{organ: frozenset(states)}`` for every organ of :data:`ORGANS`, in that order; an empty set is normal.

    Raises:
        InputError: ``text`` is not a string or ``lang`` is not valid.
    """
    labels: dict[str, set[str]] = {organ: set() for organ in ORGANS}
    for _, organs, states in _statements(text, lang):
        if states:
            for organ in organs:
                labels[organ] |= states
    return {organ: frozenset(states) for organ, states in labels.items()}


def explain_uptake(text: str, lang: str = "auto") -> list[UptakeStatement]:
    """Every uptake statement found: its normalised sentence (digits as 0), subject organs (scored only), states."""
    return [UptakeStatement(*statement) for statement in _statements(text, lang)]


def _statements(text: str, lang: str) -> list[tuple[str, frozenset, frozenset]]:
    """The uptake statements of a report as (sentence, organs, states), sentence by sentence.

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
        statements, out_subjects, groups = outcome
        for statement in statements:
            if statement[1] is _CARRY:
                statement = (statement[0], subjects, statement[2])
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
    statements = []
    pending: list[frozenset] = []  # subjects named since the last statement, earlier clauses included
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
        # Resolve lymph-node groups: a bare node mention takes the last located groups.
        resolved = []
        for kind, value in events:
            if kind == "n":
                if value is None:
                    if last_groups is _INHERIT:
                        return _DEPENDS_ON_GROUPS
                    value = last_groups or frozenset()
                else:
                    last_groups = located = value
                resolved.append(("m", frozenset(x for x in value if x is not None)))
            else:
                resolved.append((kind, value))
        clause_pending: list[frozenset] = []
        used: set[int] = set()
        for i, (kind, value) in enumerate(resolved):
            if kind == "m":
                if i not in used:
                    clause_pending.append(value)
                continue
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
            statements.append((sentence, last_subjects, value))
        pending = pending + clause_pending
    if pending:
        last_subjects = frozenset().union(*pending)
    return tuple(statements), last_subjects, located


def _clause_summary(text: str, g: _Grammar) -> tuple:
    """One clause as a sequence of events: ``("m", organs)`` a mention (empty: not scored), ``("n", groups)`` a
    lymph-node mention (``None``: no location in the clause), ``("s", states)`` an uptake statement."""
    table = g.table
    clause = [_Element(m.start(), m.end(), table[m.group()]) for m in g.regex.finditer(text)]
    if not clause:
        return ()
    _resolve_mentions(text, clause, g)
    out = []
    for ev in _clause_events(text, clause, g):
        if isinstance(ev, _Statement):
            out.append(("s", frozenset(ev.states)))
        elif ev.term.kind == "node":
            out.append(("n", ev.organs))
        else:
            out.append(("m", ev.organs))
    return tuple(out)


def _resolve_mentions(norm: str, clause: list[_Element], g: _Grammar) -> None:
    """Drop comparison references and attach lymph-node locations within one clause.

    Sets ``organs`` on every mention; on a lymph-node mention it is the frozenset of node groups (``None`` for
    a group that is not scored) or ``None`` when the clause names no location for it.
    """
    if any(e.term.cmp or e.term.kind == "cmp_after" for e in clause):
        for i, el in enumerate(clause):
            if el.term.kind not in ("organ", "unscored", "region"):
                continue
            before = clause[i - 1] if i else None
            if before is not None and before.term.kind == "normal" and i >= 2:  # 较正常肝组织: look past 正常
                before = clause[i - 2]
            after = clause[i + 1] if i + 1 < len(clause) else None
            if (before is not None and before.term.cmp and g.cmp_before_gap.fullmatch(norm, before.end, el.start)) or (
                after is not None
                and after.term.kind == "cmp_after"
                and g.cmp_after_gap.fullmatch(norm, el.end, after.start)
            ):
                el.consumed = el.reference = True
    mentions = [el for el in clause if el.term.kind in _MENTION_KINDS and not el.consumed]
    last_groups = None
    for i, el in enumerate(mentions):
        kind = el.term.kind
        if kind == "organ":
            el.organs = frozenset(el.term.organs)
            continue
        if kind != "node":
            continue
        chain: list[_Element] = []
        nxt = el
        for cand in reversed(mentions[:i]):
            if cand.consumed or cand.term.kind not in ("organ", "region"):
                break
            gap = g.region_gap if cand.term.kind == "region" else g.organ_gap
            if not gap.fullmatch(norm, cand.end, nxt.start):
                break
            chain.append(cand)
            nxt = cand
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
                if cand.term.kind == "region":
                    groups.add(cand.term.organs[0])
                else:
                    groups.update(lx.ORGAN_NODE_GROUP[o] for o in cand.term.organs)
            last_groups = frozenset(groups)
        el.organs = last_groups


def _clause_events(norm: str, clause: list[_Element], g: _Grammar) -> list:
    """The clause as an ordered list of mentions (``_Element``) and uptake statements (``_Statement``)."""
    if not any(el.term.uptake for el in clause):  # no uptake noun: no statement, only the mentions matter
        return [el for el in clause if el.term.kind in _MENTION_KINDS and not (el.consumed and el.term.kind != "node")]
    events: list = []
    cluster: list[_Element] = []
    clusters: list[tuple[int, list[_Element]]] = []  # (index in events, cluster)

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
            if not (el.consumed and kind != "node"):
                events.append(el)
            continue
        if kind in ("ct", "break"):
            close()
            continue
        if cluster and el.start - cluster[-1].end > g.max_gap:
            close()
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
        states = _cluster_states(norm, els, g)
        events[idx] = _Statement(els[0].start, els[-1].end, states) if states is not None else "drop"
    return [e for e in events if e is not None and not isinstance(e, str)]


def _has_uptake(els: Sequence[_Element]) -> bool:
    return any(e.term.uptake for e in els)


def _has_state(els: Sequence[_Element]) -> bool:
    return any(e.term.kind in _STATE_BEARING for e in els)


def _cluster_states(norm: str, els: list[_Element], g: _Grammar) -> set[str] | None:
    """The states a cluster asserts, or None when it is not an uptake statement (no uptake noun)."""
    if not _has_uptake(els):
        return None
    negated = [False] * len(els)
    states: set[str] = set()
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
            _apply_negation(els, scope, negated, states)
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
            _apply_negation(els, scope, negated, states)
    physiological = any(el.term.kind == "physio" and not negated[i] for i, el in enumerate(els))
    for i, el in enumerate(els):
        if el.term.state is not None and not negated[i]:
            if physiological and el.term.state != _ABS:
                continue  # 生理性浓聚, physiologic increased uptake: normal
            states.add(el.term.state)
    return states


_COPULA_RE = re.compile(r"(?:\s|\bis\b|\bare\b|\bwas\b|\bwere\b|\bbe\b|\bbeen\b)*")


def _copula(norm: str, a: _Element, b: _Element) -> bool:
    return bool(_COPULA_RE.fullmatch(norm, a.end, b.start))


def _apply_negation(els, scope, negated, states) -> None:
    bearing = [j for j in scope if els[j].term.kind in _STATE_BEARING]
    if bearing:
        for j in bearing:
            negated[j] = True
    elif any(els[j].term.uptake for j in scope):
        states.add(_ABS)


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
